// The transport seam between host/loop.ts and the other replicas, kept as small as
// hashicorp/raft's Transport: address by replica id, send opaque bytes, get a callback.
// Two implementations: PeerTransport (WebSocket over the master's HTTP port) and
// MemoryTransport (one process, for simulation and tests that need no sockets).

/** A replica's id: the "host:port" its master advertises (and listens on for peers). */
export type ReplicaId = string;

/** Receives one valid payload (opaque bytes in the core's codec) from replica `from`. */
export type MessageHandler = (from: ReplicaId, payload: Uint8Array) => void;

/** The core codec's check of a received payload: null when it is well formed, else why not. */
export type Validate = (payload: Uint8Array) => string | null;

export type OutboundState = "connecting" | "connected" | "backoff" | "closed";

export interface PeerStatus {
  id: ReplicaId;
  /** Our own link to the peer; "connected" means hellos were exchanged and sends go out. */
  outbound: OutboundState;
  /** Whether the peer's link to us is up (hello accepted), i.e. whether we can hear it. */
  inbound: boolean;
  queued_messages: number;
  queued_bytes: number;
  /** The last reason the outbound link failed, for operators; absent once connected. */
  last_error?: string;
}

export interface Transport {
  /** This replica's own id. */
  readonly id: ReplicaId;
  /**
   * Queues `payload` for replica `to` and returns true, or returns false (and counts a drop)
   * when it cannot be: the queue is full, the payload is too large, the id is not allowed, or
   * the transport is closed. Delivery is best effort: Paxos retries, so loss is safe.
   */
  send(to: ReplicaId, payload: Uint8Array): boolean;
  /** The replicas to keep links to (discovery output); others are closed. Own id is ignored. */
  setPeers(ids: readonly ReplicaId[]): void;
  /** Status of every known peer, sorted by id. */
  peers(): PeerStatus[];
  /** Stops everything: no more sends, deliveries, timers or reconnects. */
  close(): void;
}
