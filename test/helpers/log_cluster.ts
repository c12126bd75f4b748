// Three (or more) replicas of one replicated log as real processes of the built binary on
// loopback: `mesos-log replica` processes and `mesos-log benchmark` writers, with a static
// --peers list. Reads go through `mesos-log read`, as an operator would check a replica.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BINARY, freePorts, requireBinary, run, type Running, start } from "./process.ts";
import { clientTls, secure } from "./security.ts";

/** Flags and environment added to a replica's command line (the security flags, TLS). */
export interface Extra {
  flags?: string[];
  env?: Record<string, string>;
}

export interface Ack {
  position: number;
  bytes: number;
}

export class LogCluster {
  readonly dir = mkdtempSync(join(tmpdir(), "log-cluster-"));
  readonly processes = new Map<number, Running>();
  private constructor(
    readonly ports: number[],
    readonly quorum: number,
    readonly zk?: { servers: string; znode: string },
    readonly extra: Extra = {},
  ) {
    requireBinary();
  }

  /**
   * With `zk`, replicas find each other through the ZooKeeper group instead of --peers;
   * `extra` goes to every process (a replica's own `extra` is added after it).
   */
  static async create(size = 3, quorum = 2, zk?: { servers: string; znode: string }, extra: Extra = {}): Promise<LogCluster> {
    return new LogCluster(await freePorts(size), quorum, zk, extra);
  }

  /** Whether the security settings are the test's own (`extra`), not the profile start() gives by default. */
  private get explicit(): boolean {
    return this.extra.flags !== undefined || this.extra.env !== undefined;
  }

  /** Whether the cluster's processes serve TLS (then /metrics/snapshot is read over https with our CA). */
  get tls(): boolean {
    return this.explicit ? this.extra.env?.LIBPROCESS_SSL_ENABLED === "true" : secure();
  }

  private launch(args: string[], extra: Extra): Running {
    const explicit = this.explicit || extra.flags !== undefined || extra.env !== undefined;
    return start([...args, ...(this.extra.flags ?? []), ...(extra.flags ?? [])], { env: { ...this.extra.env, ...extra.env }, insecure: explicit });
  }

  path(i: number): string {
    return join(this.dir, `replica-${i}`);
  }

  private common(i: number): string[] {
    const discovery = this.zk ? [`--servers=${this.zk.servers}`, `--znode=${this.zk.znode}`] : [`--peers=${this.ports.map((p) => `127.0.0.1:${p}`).join(",")}`];
    return [...discovery, `--quorum=${this.quorum}`, "--ip=127.0.0.1", `--port=${this.ports[i]}`, `--path=${this.path(i)}`];
  }

  startReplica(i: number, extra: Extra = {}): Running {
    const running = this.launch([BINARY, "log", "replica", ...this.common(i)], extra);
    this.processes.set(i, running);
    return running;
  }

  /** A writer holding replica i: appends `entries` entries, `concurrency` in flight. */
  startWriter(i: number, entries: number, concurrency = 4, extra: Extra = {}): { running: Running; output: string } {
    const output = join(this.dir, `writer-${i}-${Date.now()}.out`);
    const args = [BINARY, "log", "benchmark", ...this.common(i), `--entries=${entries}`, `--concurrency=${concurrency}`, "--size=64", `--output=${output}`, "--timeout=20secs"];
    const running = this.launch(args, extra);
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

  /** The replica's /metrics/snapshot, or null when it is not up. */
  async metrics(i: number): Promise<Record<string, number> | null> {
    try {
      const url = `${this.tls ? "https" : "http"}://127.0.0.1:${this.ports[i]}/metrics/snapshot`;
      const response = await fetch(url, this.tls ? ({ tls: clientTls() } as RequestInit) : {});
      return (await response.json()) as Record<string, number>;
    } catch {
      return null;
    }
  }

  /** The replica's registrar/log/recovered metric (1 once VOTING), or null when it is not up. */
  async recovered(i: number): Promise<number | null> {
    return (await this.metrics(i))?.["registrar/log/recovered"] ?? null;
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
