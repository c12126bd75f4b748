// Where the registrar keeps its entries (hashicorp/raft's small storage seam): the replicated
// log for real masters, memory for --registry=in_memory. The log variant is also the
// registrar's fence: once another master's coordinator has been elected, this one's appends
// answer "none" (null) and the registrar aborts, as Mesos's does.
import type { ReplicatedLog } from "../log/replicated_log.ts";

export interface RegistryStorage {
  /**
   * Makes this master the only writer; rejects with a reason when that cannot be done by
   * `deadline_ms` (epoch ms). The registrar must then have replayed the log through position
   * `through`: from `entries` (every entry since the log's beginning) when given, otherwise
   * from the log's learned entries, which reach the registrar as they are learned.
   */
  fetch(deadline_ms: number): Promise<{ through: number; entries?: Uint8Array[] }>;
  /** Appends one entry; its position, or null when this writer was fenced or stopped. */
  append(entry: Uint8Array): Promise<number | null>;
  /** Drops every entry below `to`; null when fenced. */
  truncate(to: number): Promise<number | null>;
}

export class MemoryStorage implements RegistryStorage {
  private entries: { position: number; entry: Uint8Array }[] = [];
  private next = 1;

  async fetch(): Promise<{ through: number; entries: Uint8Array[] }> {
    return { through: this.next - 1, entries: this.entries.map((e) => e.entry) };
  }

  async append(entry: Uint8Array): Promise<number> {
    this.entries.push({ position: this.next, entry });
    return this.next++;
  }

  async truncate(to: number): Promise<number> {
    this.entries = this.entries.filter((e) => e.position >= to);
    return this.next++;
  }
}

/** The replicated log as the registry's storage; the log's learned entries feed the registrar. */
export class LogStorage implements RegistryStorage {
  constructor(private readonly log: ReplicatedLog) {}

  async fetch(deadline_ms: number): Promise<{ through: number }> {
    if (!(await this.log.recovered(deadline_ms - Date.now()))) {
      throw new Error(`the local log replica is not VOTING (status ${this.log.loop.status()}) yet`);
    }
    const elected = await this.log.elect(deadline_ms - Date.now());
    if (elected === null) throw new Error("this master's log coordinator was not elected");
    return { through: elected.position };
  }

  append(entry: Uint8Array): Promise<number | null> {
    return this.log.loop.append(entry);
  }

  truncate(to: number): Promise<number | null> {
    return this.log.loop.truncate(to);
  }
}
