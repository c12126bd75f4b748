// Free loopback ports for benchmarks and tests, in a module with no side effects (processes.ts
// installs exit and signal handlers when imported, which test processes must not get).
import { createServer } from "node:net";

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

/** `count` distinct free ports (distinct even if the OS would hand one out twice). */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  for (let attempt = 0; attempt < count * 20 && ports.size < count; attempt++) ports.add(await freePort());
  if (ports.size < count) throw new Error(`could not find ${count} free ports`);
  return [...ports];
}

/** True when `port` on 127.0.0.1 can be bound right now. */
export function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** The first of `count` consecutive ports that were all free a moment ago (for tools that number ports from a base). */
export async function freePortBlock(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = await freePort();
    if (base + count > 65536) continue;
    let free = true;
    for (let p = base + 1; p < base + count && free; p++) free = await bindable(p);
    if (free) return base;
  }
  throw new Error(`could not find ${count} consecutive free ports`);
}

/**
 * Checks that every named port can be bound on 127.0.0.1 before anything is started on it;
 * throws one line naming each port that is taken and what it was for.
 */
export async function requireFree(ports: readonly { port: number; what: string }[]): Promise<void> {
  const taken: string[] = [];
  for (const { port, what } of ports) if (!(await bindable(port))) taken.push(`${port} (${what})`);
  if (taken.length > 0) throw new Error(`port${taken.length > 1 ? "s" : ""} ${taken.join(", ")} on 127.0.0.1 already in use by another process`);
}

/**
 * ZooKeeper's four-letter words this project asks: `srvr` (is it serving) and `conf` (whose
 * dataDir: tells our server from another one that answers on the same port). A zoo.cfg line.
 */
export const ZK_FOUR_LETTER_WORDS = "4lw.commands.whitelist=srvr,conf";

/** The port a ZooKeeper log says it could not bind, or null. */
export function zooKeeperBindFailure(log: string, port: number): string | null {
  return /BindException|Address already in use/.test(log) ? `ZooKeeper could not bind 127.0.0.1:${port}: the port is already in use by another process` : null;
}
