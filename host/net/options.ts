// PeerTransport's options, their defaults and their bounds, checked once at construction
// (hashicorp/raft ValidateConfig style): a bad value is a programming or flag error, so it
// throws with a message naming the option instead of misbehaving later.

import type { Metrics } from "../metrics.ts";
import { FRAME_BYTES_LIMIT, FRAME_BYTES_MAX_DEFAULT, FRAME_HEADER_BYTES, HELLO_CLUSTER_BYTES_MAX, HELLO_REPLICA_BYTES_MAX } from "./frame.ts";
import { LOG_SECRET_BYTES_MIN } from "../security/secrets.ts";
import type { MessageHandler, ReplicaId, Validate } from "./types.ts";

export interface PeerTransportOptions {
  /** This replica's id: the master's advertised "host:port". */
  id: ReplicaId;
  /** The cluster's name, sent in every hello: the ZooKeeper path or the --masters list. */
  cluster: string;
  /** Receives every valid payload; called from the socket's event, never re-entrantly. */
  onMessage: MessageHandler;
  /** Where the counters and gauges go (/metrics/snapshot); a private registry when absent. */
  metrics?: Metrics;
  /** The --masters whitelist: a peer whose id this refuses is neither accepted nor dialed. */
  allowed?: (id: ReplicaId) => boolean;
  /** The core codec's check of each received payload (null = well formed). */
  validate?: Validate;
  /** The "host:port" to dial for a peer; the id itself by default (tests dial a proxy). */
  dial?: (id: ReplicaId) => string;
  /** Largest payload sent or accepted, bytes (default 4 MiB, at most 64 MiB). */
  frame_bytes_max?: number;
  /** Per-peer send queue bounds; a send past either is dropped and counted. */
  queue_messages_max?: number;
  queue_bytes_max?: number;
  /** Bytes the WebSocket may buffer before we hold frames in our own queue instead. */
  socket_buffer_bytes_max?: number;
  /** Reconnect back-off: doubles from min to max, each wait jittered to 50–100 %. */
  backoff_ms_min?: number;
  backoff_ms_max?: number;
  /** A ping goes out on every link this often; a link silent for idle_timeout_ms is closed. */
  heartbeat_ms?: number;
  idle_timeout_ms?: number;
  /** A link whose hello exchange has not finished within this is closed. */
  handshake_timeout_ms?: number;
  /** Most peers this transport dials (explicit and reply-to peers together). */
  peers_max?: number;
  /** Most inbound WebSocket connections held at once (including ones still in hello). */
  inbound_connections_max?: number;
  /**
   * The log's shared secret (--log_secret_file): every hello is a challenge-response over it
   * (handshake.ts), and a peer that cannot prove it holds it is refused. Null: peers are
   * unauthenticated (and a peer that does authenticate is refused, so a half-configured
   * cluster does not silently run open).
   */
  secret?: Uint8Array | null;
  /** Client TLS for dialing peers (wss://); null: ws://. The listening side's TLS is Bun.serve's. */
  tls?: Bun.TLSOptions | null;
}

type Optional = "metrics" | "allowed" | "validate" | "dial" | "secret" | "tls";
export type ResolvedOptions = Required<Omit<PeerTransportOptions, Optional>> &
  Pick<PeerTransportOptions, "metrics" | "allowed" | "validate" | "dial"> & { secret: Uint8Array | null; tls: Bun.TLSOptions | null };

export const DEFAULTS = {
  frame_bytes_max: FRAME_BYTES_MAX_DEFAULT,
  queue_messages_max: 4096,
  queue_bytes_max: 16 * 1024 * 1024,
  socket_buffer_bytes_max: 4 * 1024 * 1024,
  backoff_ms_min: 50,
  backoff_ms_max: 2000,
  heartbeat_ms: 500,
  idle_timeout_ms: 5000,
  handshake_timeout_ms: 5000,
  peers_max: 64,
  inbound_connections_max: 128,
} as const;

/** Upper bounds for the numeric options: past these a value is surely a mistake. */
const LIMITS: Record<keyof typeof DEFAULTS, number> = {
  frame_bytes_max: FRAME_BYTES_LIMIT,
  queue_messages_max: 1_000_000,
  queue_bytes_max: 1024 * 1024 * 1024,
  socket_buffer_bytes_max: 1024 * 1024 * 1024,
  backoff_ms_min: 60_000,
  backoff_ms_max: 600_000,
  heartbeat_ms: 60_000,
  idle_timeout_ms: 600_000,
  handshake_timeout_ms: 600_000,
  peers_max: 1024,
  inbound_connections_max: 4096,
};

export function resolveOptions(options: PeerTransportOptions): ResolvedOptions {
  const resolved = { ...DEFAULTS, secret: null, tls: null, ...definedOnly(options) } as ResolvedOptions;
  for (const key of Object.keys(DEFAULTS) as (keyof typeof DEFAULTS)[]) {
    const value = resolved[key];
    if (!Number.isInteger(value) || value < 1 || value > LIMITS[key]) {
      throw new Error(`PeerTransport option ${key}: expected an integer in [1, ${LIMITS[key]}], got ${value}`);
    }
  }
  const need = (ok: boolean, message: string) => {
    if (!ok) throw new Error(`PeerTransport options: ${message}`);
  };
  need(resolved.backoff_ms_min <= resolved.backoff_ms_max, "backoff_ms_min must not exceed backoff_ms_max");
  need(resolved.heartbeat_ms < resolved.idle_timeout_ms, "heartbeat_ms must be below idle_timeout_ms");
  need(resolved.queue_bytes_max >= resolved.frame_bytes_max + FRAME_HEADER_BYTES, "queue_bytes_max must hold at least one largest frame");
  need(new TextEncoder().encode(resolved.cluster).length <= HELLO_CLUSTER_BYTES_MAX, `cluster name longer than ${HELLO_CLUSTER_BYTES_MAX} bytes`);
  need(resolved.secret === null || resolved.secret.length >= LOG_SECRET_BYTES_MIN, `secret must be at least ${LOG_SECRET_BYTES_MIN} bytes`);
  need(resolved.id !== "" && new TextEncoder().encode(resolved.id).length <= HELLO_REPLICA_BYTES_MAX, "id must be a non-empty host:port");
  return resolved;
}

function definedOnly<T extends object>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as Partial<T>;
}
