// What a master tells of its replica and its place in the ensemble (GET /log/status, beyond
// Mesos; the web UI's HA view reads it from every master): this master and the leader it
// sees, its log replica (status, replica set, quorum, learned and first positions, fsyncs),
// its ZooKeeper session's state, and the registry's size and store latency. Every master
// answers for itself, so it is not leader-only.
import type { ReplicatedLog } from "../log/replicated_log.ts";
import type { Master } from "./master.ts";

export interface ReplicationSource {
  log(): ReplicatedLog | null;
  /** null: standalone (no ZooKeeper). */
  zookeeper(): { state: string; session_timeout_ms: number; url: string } | null;
  /** Whether the ZooKeeper sessions are known alive now (always, standalone). */
  fresh(): boolean;
}

export const STANDALONE: ReplicationSource = { log: () => null, zookeeper: () => null, fresh: () => true };

export function logStatusJson(master: Master): Record<string, unknown> {
  const leader = master.leader();
  const elected_ms = master.electedTimeMs();
  const metrics = master.metrics.snapshot();
  const metric = (name: string) => metrics[name] ?? null;
  return {
    master: {
      id: master.info.id, pid: master.info.pid, hostname: master.info.hostname, port: master.info.port, elected: master.elected(),
      start_time: master.start_time_ms / 1000, ...(elected_ms === null ? {} : { elected_time: elected_ms / 1000 }),
    },
    leader: leader === null ? null : { id: leader.id, pid: leader.pid, hostname: leader.hostname, port: leader.port },
    replica: master.replication.log()?.describe() ?? null,
    zookeeper: master.replication.zookeeper(),
    registry: {
      recovered: master.registrar.recovered(), size_bytes: metric("registrar/registry_size_bytes"),
      store_ms_p50: metric("registrar/state_store_ms/p50"), store_ms_p99: metric("registrar/state_store_ms/p99"), stores: metric("registrar/state_store_ms/count"),
    },
    time: Date.now() / 1000,
  };
}
