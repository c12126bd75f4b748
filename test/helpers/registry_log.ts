// Replicated logs in this process for registrar tests: real SQLite replica files with fsync,
// real peer links (WebSockets on loopback), one Bun.serve per replica. A replica can be
// stopped (its process "dies": the store is closed, the port stops answering) and reopened.
import { join } from "node:path";
import { ReplicatedLog } from "../../host/log/replicated_log.ts";
import { clusterName } from "../../host/net/cluster.ts";
import type { LearnedEntry } from "../../host/core.ts";
import { Metrics } from "../../host/metrics.ts";
import { servePeerLinks } from "../../host/log/serve.ts";
import { freePorts, ownedTempDir } from "./process.ts";

interface Replica {
  log: ReplicatedLog;
  server: ReturnType<typeof Bun.serve>;
}

export class RegistryLogs {
  /** Removed by a later run (ownedTempDir): a closed replica's last writes may still land after its test. */
  readonly dir = ownedTempDir("registry-log-");
  private readonly replicas = new Map<number, Replica>();

  private constructor(readonly ports: number[], readonly quorum: number) {}

  static async create(size: number, quorum: number): Promise<RegistryLogs> {
    return new RegistryLogs(await freePorts(size), quorum);
  }

  address(i: number): string {
    return `127.0.0.1:${this.ports[i]}`;
  }

  /**
   * Opens replica i on its file and port (again, after stop()). With `start: false` the
   * caller starts it, after wiring `onLearned` (a registrar must see the log's first entries).
   */
  open(i: number, options: { start?: boolean; onLearned?: (entry: LearnedEntry) => void } = {}): ReplicatedLog {
    if (this.replicas.has(i)) throw new Error(`replica ${i} is open`);
    const replicas = this.ports.map((_, j) => this.address(j));
    const log = new ReplicatedLog({
      path: join(this.dir, `replica-${i}`), self: this.address(i), replicas, quorum: this.quorum, auto_initialize: true,
      cluster: clusterName({ masters: replicas }), metrics: new Metrics(), onLearned: options.onLearned,
      fatal: (message) => {
        throw new Error(`replica ${i} fatal: ${message}`);
      },
    });
    const server = servePeerLinks(log, "127.0.0.1", this.ports[i]!);
    if (options.start ?? true) log.start();
    this.replicas.set(i, { log, server });
    return log;
  }

  get(i: number): ReplicatedLog {
    const replica = this.replicas.get(i);
    if (!replica) throw new Error(`replica ${i} is not open`);
    return replica.log;
  }

  stop(i: number): void {
    const replica = this.replicas.get(i);
    if (!replica) return;
    replica.log.close();
    void replica.server.stop(true);
    this.replicas.delete(i);
  }

  close(): void {
    for (const i of [...this.replicas.keys()]) this.stop(i);
  }
}
