// Three (or more) replicas of one replicated log as real processes of the built binary on
// loopback: `mesos-log replica` processes and `mesos-log benchmark` writers, with a static
// --peers list. Reads go through `mesos-log read`, as an operator would check a replica.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BINARY, freePorts, requireBinary, run, type Running, start } from "./process.ts";
import { tlsFetch } from "./security.ts";

export interface Ack {
  position: number;
  bytes: number;
}

export class LogCluster {
  readonly dir = mkdtempSync(join(tmpdir(), "log-cluster-"));
  readonly processes = new Map<number, Running>();
  private constructor(readonly ports: number[], readonly quorum: number, readonly zk?: { servers: string; znode: string }) {
    requireBinary();
  }

  /** With `zk`, replicas find each other through the ZooKeeper group instead of --peers. */
  static async create(size = 3, quorum = 2, zk?: { servers: string; znode: string }): Promise<LogCluster> {
    return new LogCluster(await freePorts(size), quorum, zk);
  }

  path(i: number): string {
    return join(this.dir, `replica-${i}`);
  }

  private common(i: number): string[] {
    const discovery = this.zk ? [`--servers=${this.zk.servers}`, `--znode=${this.zk.znode}`] : [`--peers=${this.ports.map((p) => `127.0.0.1:${p}`).join(",")}`];
    return [...discovery, `--quorum=${this.quorum}`, "--ip=127.0.0.1", `--port=${this.ports[i]}`, `--path=${this.path(i)}`];
  }

  startReplica(i: number): Running {
    const running = start([BINARY, "log", "replica", ...this.common(i)]);
    this.processes.set(i, running);
    return running;
  }

  /** A writer holding replica i: appends `entries` entries, `concurrency` in flight. */
  startWriter(i: number, entries: number, concurrency = 4): { running: Running; output: string } {
    const output = join(this.dir, `writer-${i}-${Date.now()}.out`);
    const running = start([BINARY, "log", "benchmark", ...this.common(i), `--entries=${entries}`, `--concurrency=${concurrency}`, "--size=64", `--output=${output}`, "--timeout=20secs"]);
    this.processes.set(i, running);
    return { running, output };
  }

  kill(i: number, signal: NodeJS.Signals = "SIGKILL"): void {
    this.processes.get(i)?.kill(signal);
  }

  async stopped(i: number): Promise<void> {
    await this.processes.get(i)?.exited;
  }

  /** The acknowledged appends a writer recorded so far. */
  acks(output: string): Ack[] {
    if (!existsSync(output)) return [];
    return readFileSync(output, "utf8").split("\n").flatMap((line) => {
      const match = / Appended (\d+) bytes in [\d.]+ ms at position (\d+)$/.exec(line);
      return match ? [{ bytes: Number(match[1]), position: Number(match[2]) }] : [];
    });
  }

  /** `mesos-log read` of replica i over [from, to]: its blocks keyed by position (type + bytes). */
  async read(i: number, from: number, to: number): Promise<{ status: number; stderr: string; entries: Map<number, string> }> {
    const result = await run([BINARY, "log", "read", `--path=${this.path(i)}`, `--from=${from}`, `--to=${to}`]);
    const entries = new Map<number, string>();
    for (const block of result.stdout.split(/^-{40}$/m)) {
      const position = /^position: (\d+)$/m.exec(block);
      if (!position) continue;
      const content = block.split("\n").filter((l) => /^(type:|  bytes:|  to:)/.test(l)).join("|");
      entries.set(Number(position[1]), content);
    }
    return { status: result.status, stderr: result.stderr, entries };
  }

  /** The replica's registrar/log/recovered metric (1 once VOTING), or null when it is not up. */
  async recovered(i: number): Promise<number | null> {
    try {
      const snapshot = (await (await tlsFetch(`http://127.0.0.1:${this.ports[i]}/metrics/snapshot`)).json()) as Record<string, number>;
      return snapshot["registrar/log/recovered"] ?? null;
    } catch {
      return null;
    }
  }

  destroy(): void {
    for (const running of this.processes.values()) running.kill("SIGKILL");
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function until<T>(read: () => Promise<T | null | undefined | false> | T | null | undefined | false, what: string, deadline_ms = 20_000): Promise<T> {
  const end = Date.now() + deadline_ms;
  for (;;) {
    const value = await read();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}
