// Masters of the built binary in one ZooKeeper ensemble (quorum 2 of 3 by default), each with
// its own work dir and port on loopback, for cluster tests that need a leader and its registry.
import { join } from "node:path";
import { until } from "./log_cluster.ts";
import { BINARY, freePort, type Running, start } from "./process.ts";
import { tlsFetch } from "./security.ts";

export class Ensemble {
  readonly masters: { port: number; running: Running | null }[] = [];

  private constructor(readonly dir: string, readonly zk_connect: string, readonly path: string, readonly extra: string[]) {}

  static async create(dir: string, zk_connect: string, path: string, size = 3, extra: string[] = []): Promise<Ensemble> {
    const ensemble = new Ensemble(dir, zk_connect, path, extra);
    for (let i = 0; i < size; i++) ensemble.masters.push({ port: await freePort(), running: null });
    return ensemble;
  }

  start(index: number): Running {
    const m = this.masters[index]!;
    m.running = start([BINARY, "master", `--zk=zk://${this.zk_connect}${this.path}`, `--quorum=${Math.floor(this.masters.length / 2) + 1}`,
      `--work_dir=${join(this.dir, this.path, `m${index}`)}`, "--ip=127.0.0.1", `--port=${m.port}`, "--hostname=127.0.0.1",
      "--zk_session_timeout=1secs", "--registry_fetch_timeout=20secs", ...this.extra]);
    return m.running;
  }

  startAll(): void {
    for (let i = 0; i < this.masters.length; i++) this.start(i);
  }

  kill(index: number, signal: NodeJS.Signals = "SIGKILL"): Promise<number | null> {
    const running = this.masters[index]!.running!;
    running.kill(signal);
    return running.exited;
  }

  stopAll(): void {
    for (const m of this.masters) m.running?.kill("SIGKILL");
  }

  url(index: number, path: string): string {
    return `http://127.0.0.1:${this.masters[index]!.port}${path}`;
  }

  async metric(index: number, name: string): Promise<number | null> {
    try {
      // Bounded: a stopped (SIGSTOP) master accepts the connection and never answers.
      const response = await tlsFetch(this.url(index, "/metrics/snapshot"), { signal: AbortSignal.timeout(2_000) });
      return ((await response.json()) as Record<string, number>)[name] ?? null;
    } catch {
      return null;
    }
  }

  private alive(index: number): boolean {
    const running = this.masters[index]!.running;
    return running !== null && running.exitCode() === null;
  }

  /** The one master reporting master/elected = 1 (null unless exactly one does). */
  async leader(): Promise<number | null> {
    const elected = await Promise.all(this.masters.map((_, i) => (this.alive(i) ? this.metric(i, "master/elected") : null)));
    const leaders = elected.flatMap((e, i) => (e === 1 ? [i] : []));
    return leaders.length === 1 ? leaders[0]! : null;
  }

  /** One leader that has recovered the registry, and every live replica voting. */
  async settledLeader(): Promise<number> {
    const index = await until(async () => await this.leader(), "exactly one leader");
    await until(() => this.masters[index]!.running!.stderr().includes("agents from the registry"), "the leader's registry recovery");
    const live = this.masters.flatMap((_, i) => (this.alive(i) ? [i] : []));
    await until(async () => (await Promise.all(live.map((i) => this.metric(i, "registrar/log/recovered")))).every((r) => r === 1), "every live replica to vote");
    return index;
  }
}
