// Real processes of the built binary on loopback: start, wait for health, collect stderr.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { secureCommand, tlsFetch } from "./security.ts";

export const DIST = join(import.meta.dir, "..", "..", "dist");
export const BINARY = join(DIST, "mesos");

/** Fails loudly (never skips) when the binary was not built: `npm test` builds it first. */
export function requireBinary(): string {
  if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: run \`npm run build\` (npm test does it)`);
  return BINARY;
}

export { freePort, freePortBlock, freePorts } from "../../scripts/bench/systems/ports.ts";

export interface Running {
  pid: number;
  /** Sends a signal; a process that already exited is ignored. */
  kill(signal: NodeJS.Signals): void;
  /** Everything the process wrote to stdout and stderr so far. */
  stdout: () => string;
  stderr: () => string;
  /** The exit status (128 + signal number when killed by a signal). */
  exited: Promise<number>;
  /** The exit status once known, else null. */
  exitCode: () => number | null;
}

// Long-running children are started detached (setsid -f) and tracked by pid: bun test 1.4.5
// SIGTERMs every process a file spawned when a stale timeout timer fires (oven-sh/bun#38774).
// A small sh wrapper records the child's pid and exit status in files, and a watcher SIGKILLs
// the child once the test process ($OWNER) is gone, however it died, so nothing outlives a run.
// (The shell starts the child with SIGINT ignored, as background jobs are; Bun's own SIGINT
// handler replaces that.)
export const WRAPPER = [
  '"$@" > "$OUT" 2> "$ERR" & child=$!; echo $child > "$PIDFILE"',
  '(while kill -0 "$OWNER" 2>/dev/null; do sleep 1; done; kill -9 $child 2>/dev/null) & watcher=$!',
  'wait $child; status=$?; kill $watcher 2>/dev/null; echo $status > "$STATUS"',
].join("; ");
const EXIT_WAIT_MS_MAX = 10 * 60_000;
const live = new Set<number>();
process.on("exit", () => {
  for (const pid of live) signalPid(pid, "SIGKILL");
});

/** Whether process `pid` exists. */
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const swept = new Set<string>();

/**
 * A temporary directory named `<prefix>XXXXXX` that records its owner (this process). bun test
 * runs no exit handlers, and a directory may still be written to after its test ended, so none is
 * removed by its own run: the first call for a prefix removes that prefix's directories whose
 * owner has exited (those of earlier runs).
 */
export function ownedTempDir(prefix: string): string {
  if (!swept.has(prefix)) {
    swept.add(prefix);
    for (const name of readdirSync(tmpdir()).filter((n) => n.startsWith(prefix))) {
      const dir = join(tmpdir(), name);
      const owner = Number(existsSync(join(dir, "owner")) ? readFileSync(join(dir, "owner"), "utf8") : "0");
      if (owner > 0 && owner !== process.pid && !alive(owner)) rmSync(dir, { recursive: true, force: true });
    }
  }
  const dir = mkdtempSync(join(tmpdir(), prefix));
  writeFileSync(join(dir, "owner"), String(process.pid));
  return dir;
}

/**
 * Starts `command` detached. A command of the built binary gets the security profile (flags
 * and TLS environment, test/helpers/security.ts) unless `insecure`: cluster tests run secured.
 */
export function start(plain: string[], options: { cwd?: string; env?: Record<string, string>; insecure?: boolean } = {}): Running {
  const { command, env } = options.insecure ? { command: plain, env: options.env ?? {} } : secureCommand(plain, options.env);
  const dir = ownedTempDir("proc-");
  const files = { OUT: join(dir, "out"), ERR: join(dir, "err"), PIDFILE: join(dir, "pid"), STATUS: join(dir, "status") };
  Bun.spawnSync(["setsid", "-f", "sh", "-c", WRAPPER, "sh", ...command], {
    cwd: options.cwd,
    stdin: "ignore", stdout: "ignore", stderr: "ignore", // or spawnSync waits for the detached child
    env: { PATH: process.env.PATH ?? "", ...env, ...files, OWNER: String(process.pid) },
  });
  const pid = waitForPid(files.PIDFILE);
  live.add(pid);
  const read = (file: string) => (existsSync(file) ? readFileSync(file, "utf8") : "");
  // Once the process has exited, its status and output are kept in memory and its files removed.
  let ended: { status: number; out: string; err: string } | null = null;
  // The wrapper's `echo $status > file` creates the file before it writes it: empty is not yet.
  const recorded = () => {
    const text = existsSync(files.STATUS) ? readFileSync(files.STATUS, "utf8").trim() : "";
    return text === "" ? null : Number(text);
  };
  const exitCode = () => ended?.status ?? recorded();
  const exited = (async () => {
    const until = Date.now() + EXIT_WAIT_MS_MAX;
    while (exitCode() === null && Date.now() < until) await Bun.sleep(20);
    live.delete(pid);
    const status = exitCode();
    if (status === null) throw new Error(`process ${pid} (${command.join(" ")}) did not exit`);
    ended = { status, out: read(files.OUT), err: read(files.ERR) };
    rmSync(dir, { recursive: true, force: true });
    return status;
  })();
  return {
    pid,
    kill: (signal) => signalPid(pid, signal),
    stdout: () => ended?.out ?? read(files.OUT),
    stderr: () => ended?.err ?? read(files.ERR),
    exited,
    exitCode,
  };
}

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already exited
  }
}

function waitForPid(file: string): number {
  for (let i = 0; i < 500; i++) {
    if (existsSync(file)) {
      const pid = Number(readFileSync(file, "utf8").trim());
      if (pid > 0) return pid;
    }
    Bun.sleepSync(10);
  }
  throw new Error(`no pid in ${file}`);
}

/** Runs a command to completion and returns its status, stdout and stderr. */
export async function run(command: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  const child = Bun.spawn(command, { cwd: options.cwd, env: { PATH: process.env.PATH ?? "", ...options.env }, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, status] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { status, stdout, stderr };
}

/** Polls /health until it answers 200 or the deadline passes. */
export async function waitForHealth(port: number, running?: Running, deadline_ms = 10_000): Promise<void> {
  const until = Date.now() + deadline_ms;
  while (Date.now() < until) {
    try {
      const response = await tlsFetch(`http://127.0.0.1:${port}/health`);
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    if (running && running.exitCode() !== null) throw new Error(`process exited ${running.exitCode()}: ${running.stderr()}`);
    await Bun.sleep(50);
  }
  throw new Error(`no health on port ${port} within ${deadline_ms} ms: ${running?.stderr() ?? ""}`);
}

export async function isListening(port: number): Promise<boolean> {
  try {
    await tlsFetch(`http://127.0.0.1:${port}/health`);
    return true;
  } catch {
    return false;
  }
}
