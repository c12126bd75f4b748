// Server processes for the comparison benchmark: spawned, tracked by pid, and killed however
// the script ends — normal return (each system's stop() in a `finally`), an exception,
// SIGINT/SIGTERM (Ctrl-C), or process exit. Directories registered here are removed then too.
// Servers are plain children of this process (no setsid): this is a script, not a bun test, so
// no test runner kills them behind our back, and a terminal's Ctrl-C also reaches them.
import { closeSync, existsSync, openSync, readFileSync, rmSync } from "node:fs";
import { connect as tcpConnect } from "node:net";

export interface Server {
  pid: number;
  /** The server's stdout+stderr file, for error messages. */
  log_path: string;
  alive(): boolean;
  /** SIGTERM, then SIGKILL after grace_ms; resolves once the process has exited. */
  stop(grace_ms?: number): Promise<void>;
}

const live = new Map<number, ReturnType<typeof Bun.spawn>>();
const dirs = new Set<string>();

function killAllNow(): void {
  for (const [pid, child] of live) {
    try { child.kill("SIGKILL"); } catch { /* already gone */ }
    live.delete(pid);
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

process.on("exit", killAllNow);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    process.stderr.write(`\n${signal}: stopping ${live.size} server(s) and removing data dirs\n`);
    killAllNow();
    process.exit(130);
  });
}

/** Removes `dir` when the script ends, whatever the way (call forgetDir after removing it). */
export function removeOnExit(dir: string): void {
  dirs.add(dir);
}

export function forgetDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
}

export function spawnServer(command: string[], options: { cwd: string; env: Record<string, string>; log_path: string }): Server {
  const fd = openSync(options.log_path, "a");
  const child = Bun.spawn(command, { cwd: options.cwd, env: options.env, stdin: "ignore", stdout: fd, stderr: fd });
  closeSync(fd);
  live.set(child.pid, child);
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    pid: child.pid,
    log_path: options.log_path,
    alive,
    async stop(grace_ms = 5_000) {
      if (alive()) {
        child.kill("SIGTERM");
        const killed = await Promise.race([child.exited.then(() => true), Bun.sleep(grace_ms).then(() => false)]);
        if (!killed) child.kill("SIGKILL");
        await child.exited;
      }
      live.delete(child.pid);
    },
  };
}

/** The last `chars` of a server's log, for error messages. */
export function tail(log_path: string, chars = 3_000): string {
  return existsSync(log_path) ? readFileSync(log_path, "utf8").slice(-chars) : "(no log)";
}

export { freePort, freePorts } from "./ports.ts";

/**
 * Polls `ready` every interval_ms until it returns true or deadline_ms passes; `check` runs
 * first on each pass and throws to fail fast (e.g. a server exited).
 */
export async function waitUntil(what: string, ready: () => Promise<boolean>, check: () => void, deadline_ms = 60_000, interval_ms = 200): Promise<void> {
  const until = Date.now() + deadline_ms;
  while (Date.now() < until) {
    check();
    if (await ready()) return;
    await Bun.sleep(interval_ms);
  }
  throw new Error(`${what} not ready within ${deadline_ms} ms`);
}

/** Sends `request` on a fresh TCP connection to host:port and collects the reply until the server closes it. */
export function tcpAsk(port: number, request: string, timeout_ms = 2_000, host = "127.0.0.1"): Promise<string> {
  return new Promise((resolve) => {
    let answer = "";
    const socket = tcpConnect(port, host, () => socket.write(request));
    const done = () => { socket.destroy(); resolve(answer); };
    socket.setTimeout(timeout_ms, done);
    socket.on("data", (chunk) => (answer += chunk.toString()));
    socket.on("end", done);
    socket.on("error", done);
  });
}
