// The master detector (mesos-spec §2.3): the leader is the member with the lowest sequence,
// whatever its label; its data is MasterInfo JSON ("json.info"), or a plain UPID for
// unlabelled legacy members. Every master and agent runs one, so followers know whom to
// redirect to. A member that vanished before its data was read means "no leader".
import { logger } from "../logging.ts";
import { isIPv4, ipToMesosUint32 } from "../net/address.ts";
import type { MasterInfo } from "../master/info.ts";
import type { Group, Membership } from "./group.ts";

const log = logger("detector.ts");

export const MASTER_LABEL = "json.info";

export type Detection = { kind: "leader"; info: MasterInfo } | { kind: "none" } | { kind: "failed"; reason: string };

export class MasterDetector {
  private leader_membership: Membership | null = null;
  private detection: Detection = { kind: "none" };
  private generation = 0;
  private readonly listeners = new Set<(detection: Detection) => void>();
  private unwatch: (() => void) | null = null;

  constructor(private readonly group: Group) {}

  start(): void {
    if (this.unwatch !== null) return;
    this.unwatch = this.group.watch((members) => this.membersChanged(members));
    this.group.start();
    this.membersChanged(this.group.memberships());
  }

  stop(): void {
    this.unwatch?.();
    this.unwatch = null;
  }

  current(): Detection {
    return this.detection;
  }

  /** Calls `listener` on every change of the detected leader (or its absence, or failure). */
  onChange(listener: (detection: Detection) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private membersChanged(members: readonly Membership[]): void {
    if (this.detection.kind === "failed") return;
    const lowest = members[0] ?? null;
    if (lowest?.path === this.leader_membership?.path && (lowest === null) === (this.detection.kind === "none")) return;
    this.leader_membership = lowest;
    const generation = ++this.generation;
    if (lowest === null) return this.report({ kind: "none" });
    this.group.data(lowest).then(
      (data) => generation === this.generation && this.report(data === null ? { kind: "none" } : parseLeader(lowest, data)),
      (error) => generation === this.generation && this.report({ kind: "failed", reason: `reading ${lowest.path}: ${String(error)}` }),
    );
  }

  private report(detection: Detection): void {
    const same = detection.kind === this.detection.kind &&
      (detection.kind !== "leader" || (this.detection.kind === "leader" && this.detection.info.id === detection.info.id && this.detection.info.pid === detection.info.pid));
    if (same) return;
    this.detection = detection;
    if (detection.kind === "failed") log.error(`Master detector failed: ${detection.reason}`);
    for (const listener of [...this.listeners]) listener(detection);
  }
}

/** Reads a leader znode's data by its label, as Mesos's detector does. */
export function parseLeader(membership: Membership, data: Buffer): Detection {
  if (membership.label === MASTER_LABEL) {
    try {
      const info = JSON.parse(data.toString("utf8")) as MasterInfo;
      if (typeof info.pid !== "string" || typeof info.id !== "string" || typeof info.port !== "number") throw new Error("missing id, pid or port");
      if (typeof info.hostname !== "string") info.hostname = info.address?.hostname ?? info.pid.split("@")[1]?.split(":")[0] ?? "";
      return { kind: "leader", info };
    } catch (error) {
      return { kind: "failed", reason: `${membership.path} holds no MasterInfo JSON: ${(error as Error).message}` };
    }
  }
  if (membership.label === undefined) return legacyUpid(membership, data.toString("utf8").trim());
  return { kind: "failed", reason: `${membership.path} has the unsupported label '${membership.label}'` };
}

function legacyUpid(membership: Membership, text: string): Detection {
  const match = /^([^@]+)@([^:]+):(\d+)$/.exec(text);
  if (!match || !isIPv4(match[2]!)) return { kind: "failed", reason: `${membership.path} holds no UPID: '${text}'` };
  const ip = match[2]!;
  const port = Number(match[3]);
  return {
    kind: "leader",
    info: { address: { hostname: ip, ip, port }, capabilities: [], hostname: ip, id: "", ip: ipToMesosUint32(ip), pid: text, port, version: "" },
  };
}
