// Where the agent's leading master is (mesos-spec §2.6): with zk:// (or file:// holding it) the
// same MasterDetector the masters run, on the agent's own ZooKeeper session; with a static
// host:port that master is the leader from the start, and its id is learned from the first
// message it sends on the agent's socket (`id: null` until then). The agent never asks the
// master's /state for it: on a large cluster that body is megabytes, fetched on every reconnect.
import { logger } from "../logging.ts";
import { MasterDetector, type Detection } from "../zk/detector.ts";
import { Group } from "../zk/group.ts";
import type { MasterSpec } from "./flags.ts";

const log = logger("leader.ts");

export interface Leader {
  /** The master's MasterInfo id, or null when it is learned from its first message. */
  id: string | null;
  host: string;
  port: number;
  hostname: string;
  /** master@ip:port, for log lines. */
  pid: string;
}

export interface LeaderSource {
  /** Calls `changed` with each new leader, or null for "no leader"; `failed` when detection cannot go on. */
  start(changed: (leader: Leader | null) => void, failed: (reason: string) => void): void;
  stop(): void;
}

export function leaderSource(spec: MasterSpec, zk_session_timeout_ms: number): LeaderSource {
  return spec.kind === "zk" ? new ZooKeeperLeader(spec, zk_session_timeout_ms) : new StaticLeader(spec.host, spec.port);
}

class StaticLeader implements LeaderSource {
  constructor(private readonly host: string, private readonly port: number) {}

  start(changed: (leader: Leader | null) => void): void {
    const pid = `master@${this.host}:${this.port}`;
    queueMicrotask(() => changed({ id: null, host: this.host, port: this.port, hostname: this.host, pid }));
  }

  stop(): void {}
}

class ZooKeeperLeader implements LeaderSource {
  private readonly group: Group;
  private readonly detector: MasterDetector;
  private unsubscribe: (() => void) | null = null;

  constructor(spec: Extract<MasterSpec, { kind: "zk" }>, session_timeout_ms: number) {
    this.group = new Group({ url: spec.url, session_timeout_ms });
    this.detector = new MasterDetector(this.group);
  }

  start(changed: (leader: Leader | null) => void, failed: (reason: string) => void): void {
    this.unsubscribe = this.detector.onChange((detection) => this.report(detection, changed, failed));
    this.detector.start();
  }

  stop(): void {
    this.unsubscribe?.();
    this.detector.stop();
    this.group.close();
  }

  private report(detection: Detection, changed: (leader: Leader | null) => void, failed: (reason: string) => void): void {
    if (detection.kind === "failed") return failed(detection.reason);
    if (detection.kind === "none") return changed(null);
    const info = detection.info;
    const fromPid = /@([^:]+):(\d+)$/.exec(info.pid);
    const host = info.address?.ip ?? fromPid?.[1];
    if (host === undefined) return failed(`the leader's MasterInfo names no address: ${info.pid}`);
    if (info.id === "") log.warning(`Leading master ${info.pid} has a legacy znode without an id; trusting its first message`);
    changed({ id: info.id === "" ? null : info.id, host, port: info.address?.port ?? info.port, hostname: info.hostname, pid: info.pid });
  }
}
