// The chaos suite's nemesis: a schedule of faults drawn from the seed alone (kind, which of
// the candidates, how long), applied one at a time to the live cluster, each healed after its
// duration and followed by a wait for a leader that answers a registry read again. The kinds
// are rows of reliability.md's fault matrix: process kills and pauses, ZooKeeper's, damaged
// replica files; when the run has its network namespaces (netns.ts), one-way partitions
// between masters, from a master to ZooKeeper or to the agent and back, and a slow link; when
// it has its own file systems (disk.ts), a full disk; under libfaketime (clock.ts), clock jumps.
import { existsSync, readFileSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ChaosCluster, Member } from "./cluster.ts";
import type { Prng as Random } from "../../host/sim/prng.ts";
import { fillDisk } from "./disk.ts";

export const PROCESS_FAULTS = ["kill-leader", "kill-standby", "pause-leader", "pause-standby", "kill-zookeeper", "pause-zookeeper",
  "corrupt-standby", "truncate-standby"] as const;
export const NETWORK_FAULTS = ["partition-leader-oneway", "isolate-leader-oneway", "partition-standby-oneway", "partition-leader-zookeeper",
  "partition-leader-agent", "partition-agent-leader", "slow-leader"] as const;
export const DISK_FAULTS = ["disk-full-leader", "disk-full-standby"] as const;
export const CLOCK_FAULTS = ["clock-jump-leader", "clock-jump-standby"] as const;
export type FaultKind = typeof PROCESS_FAULTS[number] | typeof NETWORK_FAULTS[number] | typeof DISK_FAULTS[number] | typeof CLOCK_FAULTS[number];

export interface Fault {
  at_ms: number;
  kind: FaultKind;
  /** Chooses among the candidates when it is applied (which standby, which peer). */
  pick: number;
  duration_ms: number;
}

export interface FaultRecord extends Fault {
  started_ms: number;
  target: string;
  /** From healing to a leader answering a registry read; null if none did within the bound. */
  recovery_ms: number | null;
}

/** Up to HEAL_WAIT_MS for a leader after each fault: longer is a liveness failure, and the run says so. */
export const HEAL_WAIT_MS = 60_000;
const LEADER_WAIT_MS = 5_000;

export function schedule(random: Random, kinds: readonly FaultKind[], start_ms: number, end_ms: number): Fault[] {
  const faults: Fault[] = [];
  for (let at_ms = start_ms; at_ms < end_ms;) {
    const duration_ms = random.int(500, 5_000);
    faults.push({ at_ms, kind: random.pick(kinds), pick: random.int(0, 1_000_000), duration_ms });
    at_ms += duration_ms + random.int(500, 3_000);
  }
  return faults;
}

export interface Injector {
  /** Applies the fault; resolves with its target's name and a heal function. */
  apply(fault: Fault): Promise<{ target: string; heal: () => Promise<void> } | null>;
}

export class Faults implements Injector {
  constructor(private readonly cluster: ChaosCluster, private readonly elected: () => Promise<number | null>) {}

  /** The leader, waiting up to LEADER_WAIT_MS for one (a fault may land mid-election). */
  private async leader(): Promise<number | null> {
    const until = Date.now() + LEADER_WAIT_MS;
    for (;;) {
      const leader = await this.elected();
      if (leader !== null || Date.now() > until) return leader;
      await Bun.sleep(100);
    }
  }

  async apply(fault: Fault): Promise<{ target: string; heal: () => Promise<void> } | null> {
    const c = this.cluster;
    if ((NETWORK_FAULTS as readonly string[]).includes(fault.kind)) return await this.network(fault);
    if (fault.kind === "kill-zookeeper") {
      c.signal(c.zk, "SIGKILL");
      await c.zk!.stop(1_000);
      return { target: "zookeeper", heal: () => c.startZooKeeper() };
    }
    if (fault.kind === "pause-zookeeper") {
      c.signal(c.zk, "SIGSTOP");
      return { target: "zookeeper", heal: async () => c.signal(c.zk, "SIGCONT") };
    }
    const member = await this.target(fault);
    if (member === null) return null;
    const name = `master ${member.index + 1}`;
    if (fault.kind.startsWith("disk-full-")) {
      const full = fillDisk(member.work_dir);
      return { target: `${name} (${full.detail})`, heal: async () => full.heal() };
    }
    if (fault.kind.startsWith("clock-jump-")) {
      // ±30 s to ±2 h, from the pick: forward and backward steps alike.
      const offset_s = (fault.pick % 2 === 0 ? 1 : -1) * (30 + (fault.pick % 7170));
      const back = c.clocks!.jump(`m${member.index + 1}`, offset_s);
      return { target: `${name} (wall clock ${offset_s >= 0 ? "+" : ""}${offset_s} s)`, heal: async () => back() };
    }
    if (fault.kind.startsWith("pause-")) {
      c.signal(member.server, "SIGSTOP");
      member.paused = true;
      return { target: name, heal: async () => {
        c.signal(member.server, "SIGCONT");
        member.paused = false;
      } };
    }
    member.held = true;
    const restart = async () => {
      member.held = false;
      c.startMaster(member);
    };
    if (fault.kind === "corrupt-standby" || fault.kind === "truncate-standby") {
      await member.server!.stop(5_000);
      const damage = fault.kind === "corrupt-standby" ? corruptPage(member, fault.pick) : tearTail(member, fault.pick);
      return { target: `${name} (${damage})`, heal: restart };
    }
    c.signal(member.server, "SIGKILL");
    await member.server!.stop(1_000);
    return { target: name, heal: restart };
  }

  /** Egress rules in one member's namespace; the target names who cannot hear whom. */
  private async network(fault: Fault): Promise<{ target: string; heal: () => Promise<void> } | null> {
    const c = this.cluster;
    const netns = c.netns!;
    const leader = await this.leader();
    if (leader === null) return null;
    const l = c.masters[leader]!;
    const others = c.masters.filter((m) => m.index !== leader);
    const other = others[fault.pick % others.length]!;
    const name = (m: Member) => `master ${m.index + 1}`;
    const done = (target: string, heal: () => void) => ({ target, heal: async () => heal() });
    switch (fault.kind) {
      case "partition-leader-oneway": return done(`${name(l)} ↛ ${name(other)}`, netns.blackhole(`m${leader + 1}`, [{ ip: other.host }]));
      case "isolate-leader-oneway": return done(`${name(l)} ↛ both peers`, netns.blackhole(`m${leader + 1}`, others.map((m) => ({ ip: m.host }))));
      case "partition-standby-oneway": return done(`${name(other)} ↛ ${name(l)}`, netns.blackhole(`m${other.index + 1}`, [{ ip: l.host }]));
      case "partition-leader-zookeeper": return done(`${name(l)} ↛ ZooKeeper`, netns.blackhole(`m${leader + 1}`, [{ ip: c.zk_host, port: c.zk_port }]));
      case "partition-leader-agent": return done(`${name(l)} ↛ agent`, netns.blackhole(`m${leader + 1}`, [{ ip: c.agent_host, port: c.agent_port }]));
      case "partition-agent-leader": return done(`agent ↛ ${name(l)}`, netns.blackhole("agent", [{ ip: l.host, port: l.port }]));
      case "slow-leader": return done(`${name(l)} at 1 Mbit/s`, netns.slow(`m${leader + 1}`));
      default: throw new Error(`not a network fault: ${fault.kind}`);
    }
  }

  private async target(fault: Fault): Promise<Member | null> {
    const c = this.cluster;
    const leader = await this.leader();
    if (fault.kind.endsWith("-leader")) return leader === null ? null : c.masters[leader]!;
    const standbys = c.masters.filter((m) => m.index !== leader && c.alive(m.index));
    return standbys.length === 0 ? null : standbys[fault.pick % standbys.length]!;
  }
}

function replicaFile(member: Member): string {
  return join(member.work_dir, "replicated_log", "replica.db");
}

/** 256 bytes XORed across a page boundary in the middle of the replica's file (a bad sector). */
function corruptPage(member: Member, pick: number): string {
  const file = replicaFile(member);
  if (!existsSync(file)) return "no replica file yet";
  const bytes = readFileSync(file);
  const pages = Math.floor(bytes.length / 4096);
  if (pages < 2) return "replica file under two pages: left alone";
  const boundary = (1 + (pick % (pages - 1))) * 4096;
  for (let i = boundary - 128; i < boundary + 128 && i < bytes.length; i++) bytes[i]! ^= 0x5a;
  writeFileSync(file, bytes);
  return `page boundary at ${boundary} of ${bytes.length} bytes XORed`;
}

/** The file cut mid-page after a crash (a torn last write). */
function tearTail(member: Member, pick: number): string {
  const file = replicaFile(member);
  if (!existsSync(file)) return "no replica file yet";
  const size = statSync(file).size;
  if (size < 8192) return "replica file under two pages: left alone";
  const cut = size - 4096 + 1 + (pick % 4000);
  truncateSync(file, cut);
  return `cut from ${size} to ${cut} bytes`;
}
