// Real processes of the built binary on loopback: start, wait for health, collect stderr.
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

export const DIST = join(import.meta.dir, "..", "..", "dist");
export const BINARY = join(DIST, "mesos");

/** Fails loudly (never skips) when the binary was not built: `npm test` builds it first. */
export function requireBinary(): string {
  if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: run \`npm run build\` (npm test does it)`);
  return BINARY;
}

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface Running {
  process: ReturnType<typeof Bun.spawn>;
  stderr: () => string;
  exited: Promise<number>;
}

// Children still running when the test process exits (even after a crash) are killed, so no
// master or ZooKeeper outlives its test file.
const children = new Set<ReturnType<typeof Bun.spawn>>();
process.on("exit", () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
});

export function start(command: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Running {
  const child = Bun.spawn(command, {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? "", ...options.env },
    stdout: "pipe",
    stderr: "pipe",
  });
  children.add(child);
  void child.exited.then(() => children.delete(child));
  let collected = "";
  const decoder = new TextDecoder();
  void (async () => {
    for await (const chunk of child.stderr as ReadableStream<Uint8Array>) collected += decoder.decode(chunk);
  })();
  return { process: child, stderr: () => collected, exited: child.exited };
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
      const response = await fetch(`http://127.0.0.1:${port}/health`);
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    if (running && running.process.exitCode !== null) throw new Error(`process exited ${running.process.exitCode}: ${running.stderr()}`);
    await Bun.sleep(50);
  }
  throw new Error(`no health on port ${port} within ${deadline_ms} ms: ${running?.stderr() ?? ""}`);
}

export async function isListening(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/health`);
    return true;
  } catch {
    return false;
  }
}
