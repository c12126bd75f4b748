// The master's identity and leadership as the rest of the process sees them: its MasterInfo,
// when it started and was elected, which master leads, and its metrics. Leadership changes
// follow Mesos (mesos-spec §2.5): a leader that detects another leader, or no leader, exits 1
// with one log line first, and a supervisor restarts it.
import { logger } from "../logging.ts";
import { Metrics } from "../metrics.ts";
import { MASTER_FLAGS, type MasterFlags } from "./flags.ts";
import type { MasterInfo } from "./info.ts";
import { renderFlags } from "../flags.ts";

const log = logger("master.ts");

export interface MasterOptions {
  flags: MasterFlags;
  info: MasterInfo;
  /** How the process ends on lost leadership; tests replace it. */
  exit?: (status: number) => never;
  now_ms?: () => number;
}

export class Master {
  readonly flags: MasterFlags;
  readonly info: MasterInfo;
  readonly metrics = new Metrics();
  readonly start_time_ms: number;
  private elected_time_ms: number | null = null;
  private leader_info: MasterInfo | null = null;
  private readonly exit: (status: number) => never;
  private readonly now_ms: () => number;

  constructor(options: MasterOptions) {
    this.flags = options.flags;
    this.info = options.info;
    this.exit = options.exit ?? ((status) => process.exit(status));
    this.now_ms = options.now_ms ?? Date.now;
    this.start_time_ms = this.now_ms();
    this.metrics.gauge("master/uptime_secs", () => (this.now_ms() - this.start_time_ms) / 1000);
    this.metrics.gauge("master/elected", () => (this.elected() ? 1 : 0));
    for (const name of ["slaves_connected", "slaves_disconnected", "slaves_active", "slaves_inactive", "slaves_unreachable",
      "frameworks_connected", "frameworks_disconnected", "frameworks_active", "frameworks_inactive", "outstanding_offers"]) {
      this.metrics.gauge(`master/${name}`, () => 0); // no agents or frameworks exist in this build yet
    }
    this.metrics.counter("master/dropped_messages");
  }

  elected(): boolean {
    return this.leader_info !== null && this.leader_info.id === this.info.id;
  }

  leader(): MasterInfo | null {
    return this.leader_info;
  }

  electedTimeMs(): number | null {
    return this.elected_time_ms;
  }

  /** The detector's verdict: `leader` leads now, or nobody (null). */
  detected(leader: MasterInfo | null): void {
    const was_elected = this.elected();
    this.leader_info = leader;
    if (was_elected && leader === null) {
      log.error("EXIT with status 1: Lost leadership after indecisive election; committing suicide");
      this.exit(1);
    } else if (was_elected && leader !== null && leader.id !== this.info.id) {
      log.error(`EXIT with status 1: Conceded leadership to another master ${leader.pid}; committing suicide`);
      this.exit(1);
    } else if (!was_elected && this.elected()) {
      this.elected_time_ms = this.now_ms();
      log.info("Elected as the leading master!");
    } else if (leader === null) {
      log.info("No master is currently elected");
    } else if (!this.elected()) {
      log.info(`The newly elected leader is ${leader.pid} with id ${leader.id}`);
    }
  }

  /** `{name: value}` for /flags and /state, the zk password hidden. */
  flagsJson(): Record<string, string> {
    return renderFlags(MASTER_FLAGS, this.flags);
  }
}
