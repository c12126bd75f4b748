// The one event loop that feeds a log core and carries out its output. Everything that
// reaches the core (peer messages, ticks, appends, elections) enters here; every ready() batch
// is carried out here and nowhere else, in the contract's order:
//   1. send the batch's requests (promise, write, learned, recover, fence requests): they
//      vouch for nothing about this replica's durable state, so the peers' fsyncs may run
//      while ours does (etcd/raft sends a leader's appends before its own persist likewise),
//   2. persist the batch's records in one transaction, fsynced when the batch says so,
//   3. then send its responses (a replica's promise or write reply never leaves before the
//      state it vouches for is durable),
//   4. then apply learned entries, resolve results and notices,
//   5. then advance().
// A response to an early request is stepped only after this drain returns, by when the
// batch's persist is done, so a coordinator never counts its own vote before it is durable.
// Events arriving in one turn of the JS event loop are stepped into the core first and drained
// once (setImmediate), so one fsync covers every append of that turn: group commit.
import { BROADCAST, CoreAbort, LIMITS, type LearnedEntry, type LogCore, NoticeKind, ResultStatus, StepError } from "./core.ts";
import { Kind } from "./codec/index.ts";
import { ActionType } from "./codec/records.ts";
import { logger } from "./logging.ts";
import type { Metrics, Timer } from "./metrics.ts";
import type { ReplicaStore } from "./storage/types.ts";
import { LineLimiter } from "./net/rate_limit.ts";

const log = logger("loop.ts");

/** Counted for every learned position a peer's message tried to overwrite with another value. */
export const LEARNED_CONFLICTS_METRIC = "registrar/log/learned_conflicts_refused";

/** Appends and truncations waiting for their result; more are refused, not queued. */
export const PENDING_REQUESTS_MAX = 65_536;
/** Append latencies kept for the percentile metrics (the latest ones). */
export const LATENCY_SAMPLES_MAX = 10_000;
/** ready() batches carried out per drain before yielding to I/O. */
const BATCHES_PER_DRAIN_MAX = 256;

export const ReplicaStatus = { VOTING: 1, RECOVERING: 2, STARTING: 3, EMPTY: 4 } as const;

/** The replica id the core uses for an address: FNV-1a of "host:port", never 0 or BROADCAST. */
export function replicaId(address: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < address.length; i++) {
    hash ^= address.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash === 0 || hash === BROADCAST ? 1 : hash;
}

/** What the loop needs from a transport: addressed by "host:port". */
export interface PeerSender {
  send(to: string, payload: Uint8Array): boolean;
}

export interface LogLoopOptions {
  core: LogCore;
  store: ReplicaStore & { readonly path?: string };
  transport: PeerSender;
  /** This replica's address ("host:port"). */
  self: string;
  /** Every replica's address, this one included (what the core was initialised with). */
  replicas: readonly string[];
  /** Crash-only exit for a failed persist or a core assertion (logs first). */
  fatal: (message: string) => never;
  metrics?: Metrics;
  onLearned?: (entry: LearnedEntry) => void;
}

type Pending = { resolve: (position: number | null) => void; started_ms: number };

export class LogLoop {
  private readonly addresses = new Map<number, string>();
  private readonly pending = new Map<number, Pending>();
  private readonly elections: ((elected: { position: number; proposal: number } | null) => void)[] = [];
  private next_request = 1;
  private drain_scheduled = false;
  /** True while a batch is being carried out: the core must not be stepped then. */
  private draining = false;
  /** Events that arrived during a drain (from a synchronous callback), stepped right after it. */
  private deferred: (() => void)[] = [];
  private ticker: ReturnType<typeof setInterval> | null = null;
  private last_tick_ms = 0;
  private status_value: number = ReplicaStatus.EMPTY;
  private stopped = false;
  private readonly conflict_lines = new LineLimiter(60_000, 1);
  /** Observability: entries made durable per fsync, and the latest append latencies (ms). */
  readonly stats = { fsyncs: 0, entries_synced: 0, latencies_ms: new Float64Array(LATENCY_SAMPLES_MAX), latency_samples: 0 };
  /** registrar/log/fsync_ms: how long each synced persist took (null without metrics). */
  private readonly fsync_timer: Timer | null;
  /** Observability: the highest learned position (-1: none yet) and the first kept one (raised by learned TRUNCATEs). */
  readonly positions = { learned: -1, begin: 0 };

  constructor(private readonly options: LogLoopOptions) {
    for (const address of options.replicas) {
      const id = replicaId(address);
      const clash = this.addresses.get(id);
      if (clash !== undefined && clash !== address) throw new Error(`replica ids collide: ${clash} and ${address}`);
      this.addresses.set(id, address);
    }
    if (!options.replicas.includes(options.self)) throw new Error(`${options.self} is not among the replicas`);
    this.fsync_timer = options.metrics?.timer("registrar/log/fsync_ms") ?? null;
    options.metrics?.counter("registrar/log/appends");
  }

  /** Restores the stored records, starts the core and its clock. */
  start(): void {
    for (const blob of this.options.store.load()) this.check(this.options.core.restore(blob), "restore");
    this.check(this.options.core.start(), "start");
    this.last_tick_ms = performance.now();
    this.ticker = setInterval(() => this.tick(), LIMITS.tickMs);
    this.drain();
  }

  stop(): void {
    this.stopped = true;
    if (this.ticker !== null) clearInterval(this.ticker);
    this.ticker = null;
    for (const [, pending] of this.pending) pending.resolve(null);
    this.pending.clear();
    for (const resolve of this.elections.splice(0)) resolve(null);
  }

  status(): number {
    return this.status_value;
  }

  /** A message from a peer; malformed or unknown-sender messages are dropped and counted. */
  receive(from: string, bytes: Uint8Array): void {
    if (this.stopped || this.deferIfDraining(() => this.receive(from, bytes))) return;
    const code = this.step((core) => core.receive(replicaId(from), bytes));
    if (code === StepError.Malformed || code === StepError.UnknownPeer || code === StepError.Corrupt) {
      this.options.metrics?.increment("registrar/log/messages_dropped");
    }
    this.scheduleDrain();
  }

  /** Appends `payload`; resolves with its position, or null when this node is not the writer. */
  append(payload: Uint8Array): Promise<number | null> {
    this.options.metrics?.increment("registrar/log/appends");
    return this.request((core, id) => core.append(id, payload));
  }

  /** Appends a TRUNCATE to `to`; resolves with its position, or null when not the writer. */
  truncate(to: number): Promise<number | null> {
    return this.request((core, id) => core.truncate(id, to));
  }

  /**
   * Reader catch-up (Mesos Reader.catchup) for a VOTING replica that is not the writer: fills
   * what it missed up to the quorum's end. Resolves true when it ran, false when it could not.
   */
  async catchup(): Promise<boolean> {
    return (await this.request((core, id) => core.catchup(id))) !== null;
  }

  /** Runs an election; resolves with the last position and proposal, or null when it failed. */
  elect(): Promise<{ position: number; proposal: number } | null> {
    if (this.draining) return new Promise((resolve) => this.deferIfDraining(() => void this.elect().then(resolve)));
    return new Promise((resolve) => {
      this.elections.push(resolve);
      const code = this.step((core) => core.elect());
      if (code < 0) this.settleElections(null);
      this.scheduleDrain();
    });
  }

  private request(event: (core: LogCore, id: number) => number): Promise<number | null> {
    if (this.stopped) return Promise.resolve(null);
    if (this.draining) return new Promise((resolve, reject) => this.deferIfDraining(() => this.request(event).then(resolve, reject)));
    if (this.pending.size >= PENDING_REQUESTS_MAX) return Promise.reject(new Error("too many log requests in flight"));
    const id = this.next_request;
    this.next_request = this.next_request >= 0xfffffffe ? 1 : this.next_request + 1;
    return new Promise((resolve, reject) => {
      const code = this.step((core) => event(core, id));
      if (code === StepError.QueueFull) return reject(new Error("the log's write queue is full"));
      if (code < 0) return resolve(null);
      this.pending.set(id, { resolve, started_ms: performance.now() });
      this.scheduleDrain();
    });
  }

  private tick(): void {
    const now = performance.now();
    const ticks = Math.floor((now - this.last_tick_ms) / LIMITS.tickMs);
    if (ticks <= 0) return;
    this.last_tick_ms += ticks * LIMITS.tickMs;
    this.step((core) => core.tick(Math.min(ticks, 100)));
    this.drain();
  }

  /** Steps one event; on back-pressure drains the core's output and tries once more. */
  private step(event: (core: LogCore) => number): number {
    if (this.draining) throw new Error("loop: the core was stepped between ready() and advance()");
    try {
      let code = event(this.options.core);
      if (code === StepError.Backpressure) {
        this.drain();
        code = event(this.options.core);
      }
      return code;
    } catch (error) {
      if (error instanceof CoreAbort) this.options.fatal(error.message);
      throw error;
    }
  }

  private scheduleDrain(): void {
    if (this.drain_scheduled || this.stopped) return;
    this.drain_scheduled = true;
    setImmediate(() => {
      this.drain_scheduled = false;
      this.drain();
    });
  }

  /** Carries out ready() batches in the contract's order until none is left (bounded). */
  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      this.drainBatches();
    } finally {
      this.draining = false;
    }
    const deferred = this.deferred.splice(0);
    for (const event of deferred) event();
  }

  /**
   * True (and `event` queued) when a drain is under way: a callback it runs (onLearned) may
   * append, but the core must not be stepped between ready() and advance().
   */
  private deferIfDraining(event: () => void): boolean {
    if (!this.draining) return false;
    if (this.deferred.length >= PENDING_REQUESTS_MAX) throw new Error("too many log events deferred during a drain");
    this.deferred.push(event);
    return true;
  }

  private learned(entry: LearnedEntry): void {
    if (entry.position > this.positions.learned) this.positions.learned = entry.position;
    if (entry.type === ActionType.TRUNCATE && entry.bytes.length >= 8) {
      const to = Number(new DataView(entry.bytes.buffer, entry.bytes.byteOffset, 8).getBigUint64(0, true));
      if (to > this.positions.begin) this.positions.begin = to;
    }
    this.options.onLearned?.(entry);
  }

  private drainBatches(): void {
    const core = this.options.core;
    for (let n = 0; n < BATCHES_PER_DRAIN_MAX && !this.stopped; n++) {
      const batch = core.ready();
      if (batch === null) return;
      for (const message of batch.messages) if (isRequest(message.bytes)) this.send(message.to, message.bytes);
      if ((batch.persist.length > 0 || batch.mustSync) && !this.persist(batch.persist, batch.mustSync)) return;
      for (const message of batch.messages) if (!isRequest(message.bytes)) this.send(message.to, message.bytes);
      for (const entry of batch.learned) this.learned(entry);
      for (const result of batch.results) this.settle(result.requestId, result.status === ResultStatus.Ok ? result.position : null);
      for (const notice of batch.notices) this.notice(notice.kind, notice.a, notice.b);
      core.advance();
    }
    this.scheduleDrain(); // more remains: yield to I/O, then continue
  }

  /** False when the store failed: the loop has stopped and nothing of the batch may be sent. */
  private persist(records: Uint8Array, sync: boolean): boolean {
    const started_ms = performance.now();
    try {
      this.options.store.persist(records, sync);
    } catch (error) {
      this.stop();
      this.options.fatal(`Failed to persist to ${this.options.store.path ?? "the replica store"}: ${(error as Error).message}`);
      return false;
    }
    if (sync) {
      this.fsync_timer?.record(performance.now() - started_ms);
      this.stats.fsyncs++;
      this.stats.entries_synced += countActions(records);
    }
    return true;
  }

  private send(to: number, bytes: Uint8Array): void {
    if (to === BROADCAST) {
      for (const [id, address] of this.addresses) if (address !== this.options.self) this.options.transport.send(address, bytes);
      return;
    }
    const address = this.addresses.get(to);
    if (address === undefined) throw new Error(`core addressed unknown replica ${to}`);
    this.options.transport.send(address, bytes);
  }

  private settle(request: number, position: number | null): void {
    const pending = this.pending.get(request);
    if (pending === undefined) return;
    this.pending.delete(request);
    if (position !== null) {
      // A ring of the latest samples: the percentiles follow what the log does now.
      this.stats.latencies_ms[this.stats.latency_samples % LATENCY_SAMPLES_MAX] = performance.now() - pending.started_ms;
      this.stats.latency_samples++;
    }
    pending.resolve(position);
  }

  private notice(kind: number, a: number, b: number): void {
    if (kind === NoticeKind.Status) {
      if (a !== this.status_value) log.info(`Replica status is now ${statusName(a)}`);
      this.status_value = a;
    } else if (kind === NoticeKind.Elected) {
      this.settleElections({ position: a, proposal: b });
    } else if (kind === NoticeKind.ElectFailed) {
      this.settleElections(null);
    } else if (kind === NoticeKind.Demoted) {
      log.warning(`The coordinator was demoted (a higher proposal ${a} exists); pending appends return none`);
    } else if (kind === NoticeKind.InitNeeded) {
      log.warning("All replicas are EMPTY and auto-initialisation is off: run `mesos-log initialize` on each");
    } else if (kind === NoticeKind.ConflictRefused) {
      this.options.metrics?.increment(LEARNED_CONFLICTS_METRIC, a);
      // A flood of forged messages must not flood the log too: one line a minute.
      const admitted = this.conflict_lines.admit("conflict");
      if (admitted.ok) {
        const more = admitted.suppressed === 0 ? "" : ` (${admitted.suppressed} more such messages in the last minute not logged)`;
        log.warning(`Refused a message that would overwrite ${a} learned position(s) from ${b} with other values: forged or corrupt${more}`);
      }
    }
  }

  private settleElections(result: { position: number; proposal: number } | null): void {
    for (const resolve of this.elections.splice(0)) resolve(result);
  }

  private check(code: number, what: string): void {
    if (code < 0) throw new Error(`core refused ${what} (code ${code})`);
  }
}

/** Frame kinds (byte 1 of a codec frame) that ask or inform but vouch for no durable state. */
const REQUEST_KINDS: ReadonlySet<number> = new Set([
  Kind.PromiseRequest, Kind.WriteRequest, Kind.Learned, Kind.RecoverRequest, Kind.FenceRequest, Kind.LearnedRange,
]);

function isRequest(frame: Uint8Array): boolean {
  return REQUEST_KINDS.has(frame[1]!);
}

/** ACTION records in a batch of frames, read from the frame headers alone. */
function countActions(records: Uint8Array): number {
  const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
  let count = 0;
  for (let at = 0; at + 6 <= records.length; at += 10 + view.getUint32(at + 2, true)) {
    if (records[at + 1] === 2) count++;
  }
  return count;
}

export function statusName(status: number): string {
  return ["?", "VOTING", "RECOVERING", "STARTING", "EMPTY"][status] ?? `status ${status}`;
}
