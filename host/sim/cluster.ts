// A cluster of replicated-log nodes in one process: each node is a WASM core instance with
// an in-memory store, connected by the simulated network. The harness plays the host's
// part exactly as host/loop.ts does, in its order: ready() -> send the batch's requests ->
// persist (sync when flagged) -> send its responses -> apply learned -> results -> notices
// -> advance(). Between the requests and the persist lies a crash point (seed-drawn, off
// unless `crashBeforePersist` > 0): the process dies with its requests on the wire and the
// batch's records (and any unsynced tail) lost. Scenario tests and the VOPR both drive it.
import {
  LogCore, BROADCAST, NoticeKind, StepError, type LearnedEntry, type Notice, type ReadyBatch, type Result,
} from "../core.ts";
import { MemoryStore } from "../storage/memory.ts";
import { encodeRecord, Kind, Status } from "../codec/index.ts";
import { SimNetwork } from "./network.ts";
import { Prng } from "./prng.ts";

/** Hooks for checkers; each is called at the point of the host loop it names. */
export interface Observer {
  /** A ready() batch is about to be carried out (before any of its messages leaves). */
  onBatch?(node: SimNode, batch: ReadyBatch): void;
  onPersist?(node: SimNode, batch: ReadyBatch): void;
  onSend?(node: SimNode, to: number, bytes: Uint8Array): void;
  onLearned?(node: SimNode, entry: LearnedEntry): void;
  onResult?(node: SimNode, result: Result): void;
  onNotice?(node: SimNode, notice: Notice): void;
  onRestart?(node: SimNode): void;
  /** The node's process died; `beforePersist` at the crash point between requests and persist. */
  onCrash?(node: SimNode, beforePersist: boolean): void;
}

/**
 * Frame kinds (byte 1) the host sends before the batch's persist: requests and learned
 * notes, which vouch for nothing about the sender's durable state. Every other kind is a
 * response (promise, write, recover, fence) and leaves only after the persist. This is
 * host/loop.ts's classification, restated here so the simulator checks that order.
 */
export const EARLY_KINDS: ReadonlySet<number> = new Set([
  Kind.PromiseRequest, Kind.WriteRequest, Kind.Learned, Kind.RecoverRequest, Kind.FenceRequest, Kind.LearnedRange,
]);

export function isEarly(frame: Uint8Array): boolean {
  return EARLY_KINDS.has(frame[1]!);
}

export interface ClusterOptions {
  replicas: number;
  /** Defaults to a majority of `replicas`. */
  quorum?: number;
  autoInitialize?: boolean;
  /** Start every replica VOTING (as after `mesos-log initialize`) instead of EMPTY. */
  initialized?: boolean;
  /** With `initialized`, these replicas still start EMPTY (fresh disks). */
  emptyIds?: number[];
  seed?: number;
  /** Keep a decoded durable view in each store (for S5 checks). */
  track?: boolean;
  observer?: Observer;
  /** TEST ONLY: every replica runs the broken write rule (see LogConfig). */
  mutationAcceptLowWrites?: boolean;
  /** TEST ONLY: every replica's learn() overwrites learned positions (see LogConfig). */
  mutationOverwriteLearned?: boolean;
  /** Probability that a node dies between sending a batch's requests and persisting it. */
  crashBeforePersist?: number;
  /** TEST ONLY (host-order mutation): responses too leave before the persist. */
  mutationEarlyResponses?: boolean;
}

export class SimNode {
  core: LogCore | null = null;
  alive = false;
  status = 0;
  /** Set while this node's coordinator is elected: last position and proposal. */
  elected: { position: number; proposal: number } | null = null;
  readonly results = new Map<number, Result>();
  /** Learned entries handed to this node's host since its last start. */
  learned = new Map<number, LearnedEntry>();
  notices: Notice[] = [];
  restarts = 0;

  constructor(readonly id: number, readonly store: MemoryStore) {}
}

export class Cluster {
  readonly nodes: SimNode[] = [];
  readonly network: SimNetwork;
  readonly prng: Prng;
  readonly quorum: number;
  readonly ids: number[];
  observer: Observer;
  now = 0;
  /** Probability, per batch with requests and records, of dying at the crash point. */
  crashBeforePersist: number;
  /** Counters: messages sent before their batch's persist, and crash-point deaths. */
  readonly counts = { earlySent: 0, crashesBeforePersist: 0, orphansDelivered: 0 };
  /** Frames sent by a batch whose persist never happened (its node died at the crash point). */
  private readonly orphans = new WeakSet<Uint8Array>();
  private nextRequestId = 1;

  constructor(readonly options: ClusterOptions) {
    this.prng = new Prng(options.seed ?? 1);
    this.network = new SimNetwork(this.prng);
    this.quorum = options.quorum ?? Math.floor(options.replicas / 2) + 1;
    this.ids = Array.from({ length: options.replicas }, (_, i) => i + 1);
    this.observer = options.observer ?? {};
    this.crashBeforePersist = options.crashBeforePersist ?? 0;
    for (const id of this.ids) {
      const store = new MemoryStore({ track: options.track ?? false });
      if (options.initialized && !options.emptyIds?.includes(id)) store.persist(encodeRecord({ kind: Kind.Metadata, status: Status.VOTING, promised: 0, fenceProposal: 0, fencePosition: 0 }), true);
      this.nodes.push(new SimNode(id, store));
    }
  }

  node(id: number): SimNode {
    const node = this.nodes[id - 1];
    if (!node) throw new Error(`no node ${id}`);
    return node;
  }

  /** Starts every node that is not running. */
  startAll(): this {
    for (const node of this.nodes) if (!node.alive) this.start(node.id);
    return this;
  }

  /** Boots a node from its store: a fresh core, RESTORE of every record, START. */
  start(id: number): void {
    const node = this.node(id);
    if (node.alive) throw new Error(`node ${id} already running`);
    node.core = new LogCore({
      nodeId: id,
      quorum: this.quorum,
      replicas: this.ids,
      autoInitialize: this.options.autoInitialize ?? true,
      seed: this.prng.u32() * 0x10000 + node.restarts,
      mutationAcceptLowWrites: this.options.mutationAcceptLowWrites ?? false,
      mutationOverwriteLearned: this.options.mutationOverwriteLearned ?? false,
    });
    node.alive = true;
    node.status = 0;
    node.elected = null;
    node.learned = new Map();
    for (const blob of node.store.load()) check(node.core.restore(blob), "restore", [StepError.Corrupt]);
    check(node.core.start(), "start", [StepError.Corrupt]);
    this.observer.onRestart?.(node);
    this.pump(node);
  }

  /** Kills a node's process; its store loses what was not synced. */
  crash(id: number, beforePersist = false): void {
    const node = this.node(id);
    node.alive = false;
    node.core = null;
    node.elected = null;
    node.restarts++;
    node.store.crash();
    this.network.dropTo(id);
    this.observer.onCrash?.(node, beforePersist);
  }

  restart(id: number): void {
    if (this.node(id).alive) this.crash(id);
    this.start(id);
  }

  /** Crash plus a lost disk. */
  wipe(id: number): void {
    this.crash(id);
    this.node(id).store.wipe();
  }

  // ---- the host loop --------------------------------------------------------------------

  /**
   * Carries out every pending batch of a node in host/loop.ts's order: (1) the requests,
   * (2) the persist, (3) the responses, (4) learned entries, results, notices, (5) advance().
   * Between (1) and (2) the node may die (crash point): its requests are on the wire, the
   * batch's records never reach the store, and the store's unsynced tail is lost too.
   */
  pump(node: SimNode): void {
    for (let guard = 0; node.core && guard < 1000; guard++) {
      const core = node.core;
      const batch = core.ready();
      if (!batch) return;
      this.observer.onBatch?.(node, batch);
      const leavesEarly = (bytes: Uint8Array): boolean => this.options.mutationEarlyResponses === true || isEarly(bytes);
      let early = 0;
      for (const m of batch.messages) {
        if (!leavesEarly(m.bytes)) continue;
        this.transmit(node, m.to, m.bytes);
        early++;
      }
      this.counts.earlySent += early;
      if (early > 0 && batch.persist.length > 0 && this.crashBeforePersist > 0 && this.prng.chance(this.crashBeforePersist)) {
        this.counts.crashesBeforePersist++;
        for (const m of batch.messages) if (leavesEarly(m.bytes)) this.orphans.add(m.bytes);
        this.crash(node.id, true);
        return;
      }
      if (batch.persist.length > 0 || batch.mustSync) node.store.persist(batch.persist, batch.mustSync);
      this.observer.onPersist?.(node, batch);
      for (const m of batch.messages) if (!leavesEarly(m.bytes)) this.transmit(node, m.to, m.bytes);
      for (const entry of batch.learned) {
        node.learned.set(entry.position, entry);
        this.observer.onLearned?.(node, entry);
      }
      for (const result of batch.results) {
        node.results.set(result.requestId, result);
        this.observer.onResult?.(node, result);
      }
      for (const notice of batch.notices) this.notice(node, notice);
      core.advance();
    }
    if (node.core) throw new Error(`node ${node.id}: ready() never drained`);
  }

  private transmit(node: SimNode, to: number, bytes: Uint8Array): void {
    const targets = to === BROADCAST ? this.ids.filter((id) => id !== node.id) : [to];
    for (const target of targets) {
      this.observer.onSend?.(node, target, bytes);
      this.network.send(node.id, target, bytes);
    }
  }

  private notice(node: SimNode, notice: Notice): void {
    node.notices.push(notice);
    if (node.notices.length > 64) node.notices.shift();
    if (notice.kind === NoticeKind.Status) node.status = notice.a;
    if (notice.kind === NoticeKind.Elected) node.elected = { position: notice.a, proposal: notice.b };
    if (notice.kind === NoticeKind.Demoted) node.elected = null;
    this.observer.onNotice?.(node, notice);
  }

  /** Steps an event into a live node, draining its output when it asks for backpressure. */
  private step(node: SimNode, event: (core: LogCore) => number): number {
    if (!node.alive || !node.core) return StepError.NotStarted;
    let code = event(node.core);
    if (code === StepError.Backpressure) {
      this.pump(node);
      if (!node.core) return 0; // died at the crash point: the event is lost with the process
      code = event(node.core);
    }
    this.pump(node);
    return code;
  }

  /** One tick of time: every live node ticks, then due messages are delivered. */
  tick(): void {
    this.now++;
    this.network.now = this.now;
    for (const node of this.nodes) if (node.alive) check(this.step(node, (c) => c.tick(1)), "tick");
    this.settle();
  }

  /** Delivers every message due now, including replies produced along the way. */
  settle(): void {
    for (let guard = 0; guard < 100000; guard++) {
      const due = this.network.takeDue();
      if (due.length === 0) return;
      for (const e of due) {
        const node = this.node(e.to);
        if (node.alive && this.orphans.has(e.bytes)) this.counts.orphansDelivered++;
        if (node.alive) check(this.step(node, (c) => c.receive(e.from, e.bytes)), "receive", [StepError.Malformed]);
      }
    }
    throw new Error("settle: messages never quiesced");
  }

  /** Ticks until `done()` holds; false if `maxTicks` pass first. */
  runUntil(done: () => boolean, maxTicks = 10000): boolean {
    this.settle();
    for (let i = 0; i < maxTicks && !done(); i++) this.tick();
    return done();
  }

  run(ticks: number): void {
    for (let i = 0; i < ticks; i++) this.tick();
  }

  // ---- the writer's and reader's calls --------------------------------------------------

  elect(id: number): void {
    check(this.step(this.node(id), (c) => c.elect()), "elect");
  }

  demote(id: number): void {
    check(this.step(this.node(id), (c) => c.demote()), "demote");
  }

  append(id: number, payload: Uint8Array | string): number {
    const bytes = typeof payload === "string" ? new TextEncoder().encode(payload) : payload;
    const requestId = this.nextRequestId++;
    check(this.step(this.node(id), (c) => c.append(requestId, bytes)), "append");
    return requestId;
  }

  truncate(id: number, to: number): number {
    const requestId = this.nextRequestId++;
    check(this.step(this.node(id), (c) => c.truncate(requestId, to)), "truncate");
    return requestId;
  }

  catchup(id: number): number {
    const requestId = this.nextRequestId++;
    check(this.step(this.node(id), (c) => c.catchup(requestId)), "catchup");
    return requestId;
  }

  result(id: number, requestId: number): Result | undefined {
    return this.node(id).results.get(requestId);
  }

  /** Runs until the request is answered; its position, or null when answered "none". */
  await(id: number, requestId: number, maxTicks = 10000): number | null | undefined {
    this.runUntil(() => this.result(id, requestId) !== undefined, maxTicks);
    const r = this.result(id, requestId);
    if (!r) return undefined;
    return r.status === 1 ? r.position : null;
  }

  /** Runs until the node's coordinator is elected; the last position, or undefined. */
  awaitElected(id: number, maxTicks = 10000): number | undefined {
    this.runUntil(() => this.node(id).elected !== null, maxTicks);
    return this.node(id).elected?.position;
  }
}

function check(code: number, what: string, allowed: number[] = []): void {
  if (code < 0 && !allowed.includes(code)) throw new Error(`${what}: core returned ${code}`);
}
