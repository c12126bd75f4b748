// Where the registrar keeps its entries (hashicorp/raft's small storage seam): the replicated
// log for real masters, memory for --registry=in_memory. The log variant is also the
// registrar's fence: once another master's coordinator has been elected, this one's appends
// answer "none" (null) and the registrar aborts, as Mesos's does.
import { ActionType } from "../codec/index.ts";
import { bounds, read, ReadError } from "../log/reader.ts";
import type { ReplicatedLog } from "../log/replicated_log.ts";
import { applyRecords, type DurableView } from "../storage/memory.ts";
import { ReplicaStatus } from "../loop.ts";

export interface RegistryStorage {
  /**
   * Makes this master the log's only writer and returns every entry from the log's beginning,
   * in order; rejects with a reason when that cannot be done by `deadline_ms` (epoch ms).
   */
  fetch(deadline_ms: number): Promise<Uint8Array[]>;
  /** Appends one entry; its position, or null when this writer was fenced or stopped. */
  append(entry: Uint8Array): Promise<number | null>;
  /** Drops every entry below `to`; null when fenced. */
  truncate(to: number): Promise<number | null>;
}

export class MemoryStorage implements RegistryStorage {
  private entries: { position: number; entry: Uint8Array }[] = [];
  private next = 1;

  async fetch(): Promise<Uint8Array[]> {
    return this.entries.map((e) => e.entry);
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

const FETCH_POLL_MS = 10;

export class LogStorage implements RegistryStorage {
  constructor(private readonly log: ReplicatedLog) {}

  async fetch(deadline_ms: number): Promise<Uint8Array[]> {
    if (!(await this.log.recovered(deadline_ms - Date.now()))) {
      throw new Error(`the local log replica is not VOTING (status ${this.log.loop.status()}) yet`);
    }
    const elected = await this.log.elect(deadline_ms - Date.now());
    if (elected === null) throw new Error("this master's log coordinator was not elected");
    // The election filled and learned every position up to `elected.position`; the learn
    // records may land a drain later, so read until they have.
    for (;;) {
      const entries = this.readUpTo(elected.position);
      if (entries !== null) return entries;
      if (Date.now() >= deadline_ms) throw new Error(`the log's positions up to ${elected.position} were not learned in time`);
      await Bun.sleep(FETCH_POLL_MS);
    }
  }

  append(entry: Uint8Array): Promise<number | null> {
    return this.log.loop.append(entry);
  }

  truncate(to: number): Promise<number | null> {
    return this.log.loop.truncate(to);
  }

  /** The APPEND payloads of [begin, end], or null while a position is still pending. */
  private readUpTo(end: number): Uint8Array[] | null {
    if (this.log.loop.status() !== ReplicaStatus.VOTING) return null;
    const view: DurableView = { status: 0, promised: 0, fenceProposal: 0, fencePosition: 0, actions: new Map() };
    for (const blob of this.log.store.load()) applyRecords(view, blob);
    const begin = bounds(view).begin;
    if (end < begin) return [];
    try {
      return read(view, begin, end).filter((a) => a.type === ActionType.APPEND).map((a) => a.payload ?? new Uint8Array(0));
    } catch (error) {
      if (error instanceof ReadError) return null;
      throw error;
    }
  }
}
