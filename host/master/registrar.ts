// The registrar (mesos-spec §4.3): the leader's only path to the registry. Operations queue
// FIFO; while no store is in flight, every queued operation (up to a batch's bounds) is applied
// in order to the registry state machine in the WASM core and the batch is appended to the log
// as one entry; each operation's promise then resolves with its own result. Unlike Mesos, a
// store writes the batch, not the whole registry: when the operations written since the last
// snapshot outweigh it, the registrar appends a snapshot and truncates the log to it, so a
// store costs what changed (design: "The registry").
// Failure is final, as in Mesos: a failed, fenced or timed-out store (or fetch) aborts the
// registrar, every queued and later operation fails, and the master aborts (onAbort).
import { ActionType } from "../codec/index.ts";
import type { LearnedEntry } from "../core.ts";
import { logger } from "../logging.ts";
import type { Metrics, Timer } from "../metrics.ts";
import { encodeBatch, encodeOperation, decodeRegistry } from "../registry/codec.ts";
import { RegistryCore } from "../registry/core.ts";
import { decodeEntry, EntryKind, operationsEntry, snapshotEntries } from "../registry/entries.ts";
import { RegistryReplay } from "../registry/replay.ts";
import { SmallCache } from "../registry/small_cache.ts";
import type { RegistrarService } from "../registry/service.ts";
import type { RegistryStorage } from "../registry/storage.ts";
import { type Operation, type Registry, Section, SMALL_SECTIONS } from "../registry/types.ts";

const log = logger("registrar.ts");
const FOLLOW_POLL_MS = 5;
/** Timers may fire this much before their deadline: a failure that close to it is the timeout. */
const DEADLINE_SLACK_MS = 5;
/** Operations that change only the agent lists (not the parts current() serves). */
const AGENT_ONLY: ReadonlySet<string> = new Set(["ADMIT_SLAVE", "UPDATE_SLAVE", "MARK_SLAVE_UNREACHABLE", "MARK_SLAVE_REACHABLE", "REMOVE_SLAVE", "MARK_SLAVE_GONE", "PRUNE", "MARK_AGENT_DRAINED"]);

/** Operations waiting for a store; more are refused (every queue has a limit). */
export const QUEUED_OPERATIONS_MAX = 1 << 17;
/** One batch is one log entry (at most 1 MiB): bounded in bytes and in operations. */
export const BATCH_BYTES_MAX = 512 << 10;
export const BATCH_OPERATIONS_MAX = 8192;
/** Operations written since the last snapshot before a new one, at least (then: its size). */
export const SNAPSHOT_MIN_BYTES = 1 << 20;
/**
 * A new snapshot once the batches since the last one outweigh it this many times: snapshots
 * then cost 1/ratio of the batches' bytes, and a cold replay reads at most ratio × the registry.
 */
export const SNAPSHOT_RATIO = 2;

export interface RegistrarOptions {
  /** The storage, or its promise when the log's replica set is still being discovered. */
  storage: RegistryStorage | Promise<RegistryStorage>;
  metrics: Metrics;
  fetch_timeout_ms: number;
  store_timeout_ms: number;
  /** Told once, with the reason, when the registrar aborts; the master aborts the process. */
  onAbort: (reason: string) => void;
  snapshot_min_bytes?: number;
}

interface Pending {
  op: Operation;
  bytes: Uint8Array;
  /** Changes the small sections the master reads through current(). */
  small: boolean;
  resolve: (applied: boolean) => void;
  reject: (error: Error) => void;
}

type State = "idle" | "recovering" | "recovered" | "aborted" | "stopped";

export class Registrar implements RegistrarService {
  private state: State = "idle";
  private replayed = false;
  private abort_reason = "";
  private readonly core = new RegistryCore();
  private readonly replay = new RegistryReplay(this.core);
  /** The hot standby's position in the log's learned entries (see learned()). */
  private readonly follow = { next: null as number | null, broken: null as string | null };
  /** The snapshot being written: its chunks still to store, and the first one's position. */
  private snapshotting: { chunks: Uint8Array[]; bytes: number; first: number | null; unstored: number } | null = null;
  private queue: Pending[] = [];
  private inflight: Pending[] = [];
  private storing = false;
  /** The storage, once recovery has it (stores call append synchronously, to keep their order). */
  private storage: RegistryStorage | null = null;
  private update_scheduled = false;
  /** Readers of the stored registry wait while a batch applied to the core is not yet stored. */
  private readers: (() => void)[] = [];
  private readonly cache = new SmallCache();
  private readonly fetch_ms: Timer;
  private readonly store_ms: Timer;
  private readonly snapshot_min_bytes: number;

  constructor(private readonly options: RegistrarOptions) {
    this.snapshot_min_bytes = options.snapshot_min_bytes ?? SNAPSHOT_MIN_BYTES;
    const metrics = options.metrics;
    metrics.gauge("registrar/queued_operations", () => this.queue.length);
    metrics.gauge("registrar/registry_size_bytes", () => this.sizeBytes());
    this.fetch_ms = metrics.timer("registrar/state_fetch_ms");
    this.store_ms = metrics.timer("registrar/state_store_ms");
  }

  recovered(): boolean {
    return this.state === "recovered";
  }

  /** Bytes of the registry's snapshot encoding (0 before recovery). */
  sizeBytes(): number {
    return this.state === "recovered" ? this.core.sizeBytes() : 0;
  }

  /** The reason the registrar aborted, or null while it works. */
  aborted(): string | null {
    return this.state === "aborted" ? this.abort_reason : null;
  }

  current(): Registry {
    return this.state === "recovered" ? this.cache.current() : {};
  }


  full(): Promise<Registry> {
    return this.read(Section.ALL);
  }

  /** The stored registry's `sections` (never a batch that is still being stored). */
  read(sections: number): Promise<Registry> {
    if (this.state !== "recovered") return Promise.resolve({});
    if (!this.storing) return Promise.resolve(decodeRegistry(this.core.snapshot(sections)));
    return new Promise((resolve) => this.readers.push(() => resolve(this.state === "recovered" ? decodeRegistry(this.core.snapshot(sections)) : {})));
  }

  apply(op: Operation): Promise<boolean> {
    if (this.state === "idle") return Promise.reject(new Error("Attempted to apply the operation before recovering"));
    if (this.state === "aborted") return Promise.reject(new Error(`Registrar aborted: ${this.abort_reason}`));
    if (this.state === "stopped") return Promise.reject(new Error("Registrar stopped: the master is shutting down"));
    if (this.queue.length >= QUEUED_OPERATIONS_MAX) return Promise.reject(new Error(`Registrar queue is full (${QUEUED_OPERATIONS_MAX} operations)`));
    const bytes = encodeOperation(op);
    if (bytes.length > BATCH_BYTES_MAX) return Promise.reject(new Error(`Registry operation of ${bytes.length} bytes exceeds ${BATCH_BYTES_MAX}`));
    return new Promise((resolve, reject) => {
      this.queue.push({ op, bytes, small: !AGENT_ONLY.has(op.type), resolve, reject });
      this.scheduleUpdate();
    });
  }

  /**
   * Fetches the registry within the fetch timeout (this master's log writer elected, and the
   * registry replayed up to the election), then stores a Recover operation with
   * `master_info`; resolves with the recovered registry's small parts once that store
   * succeeded. On failure the registrar aborts (and the promise rejects).
   */
  async recover(master_info: Record<string, unknown>, initial: (replayed: Registry) => Operation[] = () => []): Promise<Registry> {
    if (this.state !== "idle") throw new Error(`recover() called while ${this.state}`);
    this.state = "recovering";
    const started_ms = performance.now();
    try {
      await this.fetch();
      if (this.follow.broken !== null) throw new Error(this.follow.broken);
      if (!this.replay.known) throw new Error("the log begins with an incomplete registry snapshot");
    } catch (error) {
      const reason = `Failed to recover registrar: ${(error as Error).message}`;
      this.abort(reason);
      throw new Error(reason);
    }
    this.fetch_ms.record(performance.now() - started_ms);
    this.replayed = true;
    // `initial` sees the replayed registry; what it returns is stored in the Recover batch, so
    // no caller ever sees the registrar recovered without it (the master's --weights).
    const ops: Operation[] = [{ type: "RECOVER", master_info }, ...initial(decodeRegistry(this.core.snapshot(SMALL_SECTIONS)))];
    const stored = ops.map((op) => new Promise<boolean>((resolve, reject) => this.queue.push({ op, bytes: encodeOperation(op), small: true, resolve, reject })));
    this.scheduleUpdate();
    await Promise.all(stored); // rejects when the store failed: the registrar aborted
    this.state = "recovered";
    log.info(`Successfully recovered the registrar: ${this.core.sizeBytes()} bytes`);
    return this.cache.current();
  }

  /**
   * The log's learned entries in position order (the log core re-emits them from its
   * beginning at start). Until this master recovers the registry it follows the log as a hot
   * standby, so an election only has to replay what was learned since; afterwards the core
   * is the registry, and the entries are its own writes.
   */
  learned(entry: LearnedEntry): void {
    if (this.replayed || this.follow.broken !== null) return;
    // The log's first entry, or a jump over truncated positions: the state is known only from
    // the log's very beginning, or again from the next complete snapshot.
    if (this.follow.next !== entry.position) this.replay.start(entry.position === 0);
    this.follow.next = entry.position + 1;
    if (entry.type !== ActionType.APPEND) return;
    try {
      this.replay.apply(entry.bytes);
    } catch (error) {
      this.follow.broken = (error as Error).message;
      log.error(`The registry in the log cannot be replayed: ${this.follow.broken}`);
    }
  }

  /** Elects this master's writer; then replays what the storage returned or waits for the feed. */
  private async fetch(): Promise<void> {
    const timeout_ms = this.options.fetch_timeout_ms;
    const deadline_ms = Date.now() + timeout_ms;
    const work = (async () => {
      this.storage = await this.options.storage;
      const fetched = await this.storage.fetch(deadline_ms);
      if (fetched.entries !== undefined) return this.replayAll(fetched.entries);
      while (this.follow.broken === null && (this.follow.next ?? 0) <= fetched.through) {
        if (Date.now() >= deadline_ms) throw new Error(`the log's positions up to ${fetched.through} were not learned in time`);
        await Bun.sleep(FOLLOW_POLL_MS);
      }
    })();
    const timed_out = `Failed to perform fetch within ${timeout_ms}ms`;
    // The waits inside `work` end at the same deadline as the timeout: whichever fires first, a
    // failure at the deadline is the timeout (Mesos's text), with what was still missing.
    const failed = work.catch((error: unknown) => {
      if (Date.now() >= deadline_ms - DEADLINE_SLACK_MS) throw new Error(`${timed_out}: ${(error as Error).message}`);
      throw error;
    });
    await withTimeout(failed, timeout_ms, timed_out);
  }

  /** Replays entries handed over whole (memory storage: no learned feed). */
  private replayAll(entries: Uint8Array[]): void {
    const first = entries.length > 0 ? decodeEntry(entries[0]!) : null;
    this.replay.start(!(first?.kind === EntryKind.SNAPSHOT && first.index === 0)); // or truncated to it
    for (const payload of entries) this.replay.apply(payload);
  }

  private scheduleUpdate(): void {
    if (this.update_scheduled) return;
    this.update_scheduled = true;
    // Operations submitted in the same turn join one batch.
    setImmediate(() => {
      this.update_scheduled = false;
      this.update();
    });
  }

  /**
   * Starts the next store when none is in flight (Mesos's RegistrarProcess::update): every
   * queued operation up to a batch's bounds, preceded by the next chunk of a snapshot being
   * written, if any.
   */
  private update(): void {
    if (this.storing || !this.replayed || this.state === "aborted" || this.state === "stopped") return;
    const chunk = this.snapshotting?.chunks.shift() ?? null;
    if (this.queue.length === 0 && chunk === null) return;
    const batch = this.takeBatch();
    const encoded = batch.length > 0 ? encodeBatch(batch.map((p) => p.bytes)) : null;
    const results = encoded !== null ? this.core.apply(encoded) : new Uint8Array(0);
    const entries = [...(chunk !== null ? [chunk] : []), ...(encoded !== null ? [operationsEntry(encoded)] : [])];
    this.storing = true;
    this.inflight = batch;
    const started_ms = performance.now();
    void this.store(entries).then((positions) => {
      if (positions === null) return;
      if (chunk !== null) this.chunkStored(positions[0]!);
      if (encoded !== null) {
        this.store_ms.record(performance.now() - started_ms);
        this.inflight = [];
        this.refreshCache(batch, results);
        for (const read of this.readers.splice(0)) read();
        batch.forEach((p, i) => p.resolve(results[i] === 1));
        this.replay.bytes_since_snapshot += encoded.length + 2;
        if (this.snapshotting === null && this.replay.bytes_since_snapshot >= Math.max(this.snapshot_min_bytes, SNAPSHOT_RATIO * this.replay.last_snapshot_bytes)) this.snapshot();
      }
      this.storing = false;
      for (const read of this.readers.splice(0)) read(); // after a chunk-only store too
      this.update();
    });
  }

  /** current() after a stored batch: what its applied operations changed (the core is at the stored state now). */
  private refreshCache(batch: Pending[], results: Uint8Array): void {
    // RECOVER loads the whole cache whatever its result (refused when the registry is too full for the MasterInfo).
    const changed = batch.filter((p, i) => p.small && (results[i] === 1 || p.op.type === "RECOVER")).map((p) => p.op);
    if (changed.length === 0) return;
    const decode = this.cache.applyBatch(changed);
    if (decode !== 0) this.cache.replace(decodeRegistry(this.core.snapshot(decode)), decode);
  }

  private takeBatch(): Pending[] {
    let bytes = 0;
    let count = 0;
    while (count < this.queue.length && count < BATCH_OPERATIONS_MAX && bytes + this.queue[count]!.bytes.length <= BATCH_BYTES_MAX) {
      bytes += this.queue[count]!.bytes.length;
      count++;
    }
    return this.queue.splice(0, count);
  }

  /**
   * Takes a snapshot of the registry as just stored; its chunks go out one ahead of each
   * following store (chunk 0 first, so it sits right after the last batch it holds), and once
   * all are stored the log is truncated to chunk 0 (replay.ts tells how they are read).
   */
  private snapshot(): void {
    const bytes = this.core.snapshot(Section.ALL);
    this.snapshotting = { chunks: snapshotEntries(bytes), bytes: bytes.length, first: null, unstored: 0 };
    this.snapshotting.unstored = this.snapshotting.chunks.length;
    this.replay.bytes_since_snapshot = 0;
  }

  private chunkStored(position: number): void {
    const snapshot = this.snapshotting!;
    snapshot.first ??= position;
    if (--snapshot.unstored > 0) return;
    void this.guard(this.storage!.truncate(snapshot.first), "truncate").then((truncated) => {
      if (truncated === null) return;
      this.replay.last_snapshot_bytes = snapshot.bytes;
      this.snapshotting = null;
      this.update(); // the next snapshot may be due already
    });
  }

  /** Appends `entries`, in this order and before any later store's; their positions, or null after aborting. */
  private async store(entries: Uint8Array[]): Promise<number[] | null> {
    const storage = this.storage!;
    const appends = Promise.all(entries.map((e) => storage.append(e)));
    const positions = await this.guard(appends, "store");
    if (positions === null) return null;
    if (positions.some((p) => p === null)) {
      this.abort("Failed to update registry: the log writer was demoted (another master's coordinator was elected)");
      return null;
    }
    return positions as number[];
  }

  /** Runs one storage step within --registry_store_timeout; null (and aborted) otherwise. */
  private async guard<T>(work: Promise<T>, what: string): Promise<T | null> {
    const timeout_ms = this.options.store_timeout_ms;
    try {
      return await withTimeout(work, timeout_ms, `Failed to update registry: ${what} timed out after ${timeout_ms}ms`);
    } catch (error) {
      this.abort((error as Error).message.startsWith("Failed to update registry") ? (error as Error).message : `Failed to update registry: ${(error as Error).message}`);
      return null;
    }
  }

  /**
   * A clean shutdown: the log is about to close under the registrar, and what fails after
   * this is the shutdown's doing, not a registry failure (no abort). Pending operations fail.
   */
  stop(): void {
    if (this.state === "aborted" || this.state === "stopped") return;
    this.state = "stopped";
    const failed = [...this.inflight.splice(0), ...this.queue.splice(0)];
    for (const p of failed) p.reject(new Error("Registrar stopped: the master is shutting down"));
    for (const read of this.readers.splice(0)) read();
  }

  private abort(reason: string): void {
    if (this.state === "aborted" || this.state === "stopped") return;
    this.state = "aborted";
    this.abort_reason = reason;
    log.error(`Registrar aborted: ${reason}`);
    const failed = [...this.inflight.splice(0), ...this.queue.splice(0)];
    for (const p of failed) p.reject(new Error(`Registrar aborted: ${reason}`));
    for (const read of this.readers.splice(0)) read();
    this.options.onAbort(reason);
  }
}

function withTimeout<T>(work: Promise<T>, timeout_ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), timeout_ms)));
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}
