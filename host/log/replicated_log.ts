// A replicated log node as a process runs it: the SQLite replica store under `path`, a WASM
// log core, the event loop, and the peer transport riding on the process's HTTP server.
// Used by the mesos-log tool (replica, benchmark) and by the master. The replica set is fixed
// when the node starts (static --peers, or the ZooKeeper group once 2*quorum-1 replicas are
// there), which is what the core's replica ids are initialised with.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { type LearnedEntry, LIMITS, LogCore } from "../core.ts";
import { CODEC_VERSION, FRAME_OVERHEAD, Kind, MESSAGE_MAX_BYTES } from "../codec/index.ts";
import { logger } from "../logging.ts";
import { LEARNED_CONFLICTS_METRIC, LogLoop, ReplicaStatus, replicaId, statusName } from "../loop.ts";
import type { Metrics } from "../metrics.ts";
import { clusterName } from "../net/cluster.ts";
import { PeerTransport, type PeerSocketData } from "../net/transport.ts";
import { CorruptStore, SqliteStore, StoreFailure } from "../storage/sqlite.ts";
import { clientTls, type TlsConfig } from "../security/tls.ts";

const log = logger("replicated_log.ts");

export const REPLICA_FILE = "replica.db";

export interface ReplicatedLogOptions {
  /** The log directory (Mesos's --path; the master uses <work_dir>/replicated_log). */
  path: string;
  /** This replica's advertised "ip:port" (its id and where peers dial it). */
  self: string;
  /** Every replica's "ip:port", this one included. */
  replicas: readonly string[];
  quorum: number;
  auto_initialize: boolean;
  /** Names the cluster in the peer hello: the ZooKeeper path or the replica list. */
  cluster: string;
  metrics?: Metrics;
  fatal: (message: string) => never;
  onLearned?: (entry: LearnedEntry) => void;
  /** The log's shared secret (--log_secret_file): peers prove they hold it in the hello; null: unauthenticated peers. */
  secret?: Uint8Array | null;
  /** TLS of this process's port: peer links are dialed with wss:// and verify the peer's certificate. */
  tls?: TlsConfig | null;
  /** Seeds the core's PRNG (proposal back-off); defaults to a random value. */
  seed?: number;
}

export interface ReplicaDescription {
  self: string;
  replicas: string[];
  quorum: number;
  status: string;
  begin: number;
  learned: number;
  fsyncs: number;
  fsyncs_per_s: number;
  entries_per_fsync: number;
  append_latency_ms_p99: number;
}

export class ReplicatedLog {
  readonly store: SqliteStore;
  readonly loop: LogLoop;
  readonly transport: PeerTransport;
  readonly file: string;
  private catchup_timer: ReturnType<typeof setInterval> | null = null;
  /** fsyncs in the last whole second, sampled once a second. */
  private fsyncs_per_s = 0;
  private rate_timer: ReturnType<typeof setInterval> | null = null;

  constructor(readonly options: ReplicatedLogOptions) {
    if (options.quorum < 1 || 2 * options.quorum - 1 > options.replicas.length) {
      throw new Error(`quorum ${options.quorum} needs ${2 * options.quorum - 1} replicas, ${options.replicas.length} given`);
    }
    this.file = join(options.path, REPLICA_FILE);
    this.store = openStore(this.file, options.quorum, options.fatal);
    const core = new LogCore({
      nodeId: replicaId(options.self),
      quorum: options.quorum,
      replicas: options.replicas.map(replicaId),
      autoInitialize: options.auto_initialize,
      seed: options.seed ?? Math.floor(Math.random() * 2 ** 48),
    });
    let loop: LogLoop | null = null;
    this.transport = new PeerTransport({
      id: options.self,
      cluster: options.cluster,
      metrics: options.metrics,
      frame_bytes_max: MESSAGE_MAX_BYTES,
      allowed: (id) => options.replicas.includes(id),
      validate: validateMessage,
      onMessage: (from, payload) => loop?.receive(from, payload),
      secret: options.secret ?? null,
      tls: options.tls ? clientTls(options.tls) : null,
    });
    this.transport.setPeers(options.replicas.filter((r) => r !== options.self));
    this.loop = loop = new LogLoop({
      core, store: this.store, transport: this.transport, self: options.self, replicas: options.replicas,
      fatal: options.fatal, metrics: options.metrics, onLearned: options.onLearned,
    });
    this.registerMetrics();
  }

  /** The Bun.serve hooks that carry peer links on the process's HTTP port. */
  serverHooks() {
    return {
      upgrade: (request: Request, server: Bun.Server<PeerSocketData>) => this.transport.upgrade(request, server),
      websocket: this.transport.websocket,
    };
  }

  start(): void {
    log.info(`Starting replica ${this.options.self} of ${this.options.replicas.length} (quorum ${this.options.quorum}) on ${this.file}`);
    this.loop.start();
  }

  /** Resolves once the local replica is VOTING (recovered), or false at the deadline. */
  async recovered(deadline_ms: number): Promise<boolean> {
    const until = Date.now() + deadline_ms;
    while (this.loop.status() !== ReplicaStatus.VOTING) {
      if (Date.now() >= until) return false;
      await Bun.sleep(LIMITS.tickMs);
    }
    return true;
  }

  /** Elects this node's coordinator, retrying until `deadline_ms`; null when it never won. */
  async elect(deadline_ms: number): Promise<{ position: number; proposal: number } | null> {
    const until = Date.now() + deadline_ms;
    while (Date.now() < until) {
      const elected = await this.loop.elect();
      if (elected !== null) return elected;
      await Bun.sleep(LIMITS.tickMs);
    }
    return null;
  }

  /**
   * Keeps a replica that does not write caught up: every `interval_ms`, once VOTING and while
   * `when()` holds (not the leader: Mesos runs the reader catch-up on non-leading replicas
   * only), run the reader catch-up, so a restarted replica learns what it missed.
   */
  keepCaughtUp(interval_ms: number, when: () => boolean = () => true): void {
    if (this.catchup_timer !== null) return;
    let running = false;
    this.catchup_timer = setInterval(() => {
      if (running || this.loop.status() !== ReplicaStatus.VOTING || !when()) return;
      running = true;
      void this.loop.catchup().finally(() => (running = false));
    }, interval_ms);
  }

  /** Stops the loop and the transport, then checkpoints and closes the store. */
  close(): void {
    if (this.catchup_timer !== null) clearInterval(this.catchup_timer);
    if (this.rate_timer !== null) clearInterval(this.rate_timer);
    this.loop.stop();
    this.transport.close();
    this.store.close();
  }

  /** What the operator's views show of this replica (the master's /log/status). */
  describe(): ReplicaDescription {
    const fsyncs = this.loop.stats.fsyncs;
    return {
      self: this.options.self, replicas: [...this.options.replicas], quorum: this.options.quorum, status: statusName(this.loop.status()),
      begin: this.loop.positions.begin, learned: this.loop.positions.learned, fsyncs, fsyncs_per_s: this.fsyncs_per_s,
      entries_per_fsync: fsyncs === 0 ? 0 : this.loop.stats.entries_synced / fsyncs, append_latency_ms_p99: percentile(this.latencySamples(), 0.99),
    };
  }

  /** The recorded append latencies (the ring's filled part). */
  private latencySamples(): Float64Array {
    const { latencies_ms, latency_samples } = this.loop.stats;
    return latencies_ms.subarray(0, Math.min(latency_samples, latencies_ms.length));
  }

  private registerMetrics(): void {
    const metrics = this.options.metrics;
    if (!metrics) return;
    metrics.gauge("registrar/log/recovered", () => (this.loop.status() === ReplicaStatus.VOTING ? 1 : 0));
    metrics.gauge("registrar/log/ensemble_size", () => this.options.replicas.length);
    metrics.counter("registrar/log/messages_dropped");
    metrics.counter(LEARNED_CONFLICTS_METRIC);
    metrics.gauge("registrar/log/fsyncs", () => this.loop.stats.fsyncs);
    metrics.gauge("registrar/log/fsyncs_per_s", () => this.fsyncs_per_s);
    let last = 0;
    this.rate_timer = setInterval(() => {
      this.fsyncs_per_s = this.loop.stats.fsyncs - last;
      last = this.loop.stats.fsyncs;
    }, 1000);
    metrics.gauge("registrar/log/entries_per_fsync", () => (this.loop.stats.fsyncs === 0 ? 0 : this.loop.stats.entries_synced / this.loop.stats.fsyncs));
    for (const [suffix, q] of [["p50", 0.5], ["p90", 0.9], ["p99", 0.99]] as const) {
      metrics.gauge(`registrar/log/append_latency_ms/${suffix}`, () => percentile(this.latencySamples(), q));
    }
  }
}

/**
 * Opens the replica's file. A corrupt file is never served: with peers to recover from
 * (quorum > 1) it is moved aside and the replica starts EMPTY, which keeps it from voting
 * until it has caught up from a VOTING quorum; alone (quorum 1) nothing could restore it,
 * so the process exits. Any other failure (the file cannot be opened, is locked, an I/O error)
 * exits with its reason and leaves the file alone: it may be perfectly good.
 */
function openStore(file: string, quorum: number, fatal: (message: string) => never): SqliteStore {
  try {
    const store = SqliteStore.open(file);
    store.load({ keep: true }); // verifies every record's checksum; the loop's start() restores what it read
    return store;
  } catch (error) {
    if (error instanceof StoreFailure) fatal(error.message);
    if (!(error instanceof CorruptStore)) throw error;
    if (quorum === 1 || !existsSync(file)) fatal(`${error.message}; with quorum ${quorum} no other replica can restore it`);
    const aside = SqliteStore.quarantine(file);
    log.error(`${error.message}; moved it to ${aside} and starting EMPTY: the replica will not vote until it has caught up`);
    return SqliteStore.open(file);
  }
}

const MESSAGE_KINDS: ReadonlySet<number> = new Set([
  Kind.PromiseRequest, Kind.PromiseResponse, Kind.WriteRequest, Kind.WriteResponse, Kind.Learned,
  Kind.RecoverRequest, Kind.RecoverResponse, Kind.FenceRequest, Kind.FenceResponse, Kind.LearnedRange,
]);

/**
 * The transport's check of a peer payload before it may reach the core: one codec frame of a
 * message kind, our codec version, whose length is exactly the payload's. It reads the header
 * only: the link's CRC already caught corruption in transit, and the core decodes (and checks
 * the frame's CRC-32C) itself, refusing a malformed body with a counted error. A full decode
 * here cost a sixth of the writer's CPU at concurrency 256.
 */
export function validateMessage(payload: Uint8Array): string | null {
  if (payload.length < FRAME_OVERHEAD) return "message shorter than a frame header";
  if (payload[0] !== CODEC_VERSION) return `codec version ${payload[0]}, expected ${CODEC_VERSION}`;
  if (!MESSAGE_KINDS.has(payload[1]!)) return `frame kind ${payload[1]} is not a message`;
  const body = new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getUint32(2, true);
  if (body + FRAME_OVERHEAD !== payload.length) return `frame length ${body + FRAME_OVERHEAD} for a ${payload.length}-byte message`;
  return null;
}

function percentile(values: Float64Array, q: number): number {
  if (values.length === 0) return 0;
  const sorted = values.slice().sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export { clusterName, statusName };
