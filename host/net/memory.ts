// The in-memory double of the peer transport (hashicorp/raft InmemTransport style): every
// replica of a test lives in one process and one MemoryNetwork carries their messages.
// It keeps PeerTransport's contract where tests can see it — payloads copied, self-sends
// delivered after the caller's turn, the frame-size bound, the codec hook, bounded buffering —
// and adds the switches a test needs: directed link cuts, partitions, and manual delivery.
// Deliberate difference: a message to a replica that is absent, closed or cut off is lost
// (counted in `dropped`) rather than held until the peer returns; Paxos must cope with both.

import { FRAME_BYTES_MAX_DEFAULT } from "./frame.ts";
import type { MessageHandler, PeerStatus, ReplicaId, Transport, Validate } from "./types.ts";

export interface MemoryNetworkOptions {
  /** Deliver on its own after each send (default), or only when the test calls deliver(). */
  auto_deliver?: boolean;
  /** Messages in flight at once, network-wide; a send past it is refused (default 65536). */
  pending_max?: number;
  /** Largest payload accepted by send (default 4 MiB, as PeerTransport). */
  frame_bytes_max?: number;
}

interface Envelope {
  from: ReplicaId;
  to: ReplicaId;
  payload: Uint8Array;
}

export class MemoryNetwork {
  /** Messages lost: cut links, absent or closed receivers, payloads the codec hook refused. */
  dropped = 0;
  /** Sends refused: network full, payload too large, transport closed. */
  refused = 0;
  private readonly transports = new Map<ReplicaId, MemoryTransport>();
  private readonly cut = new Set<string>();
  private queue: Envelope[] = [];
  private scheduled = false;
  private readonly auto_deliver: boolean;
  private readonly pending_max: number;
  readonly frame_bytes_max: number;

  constructor(options: MemoryNetworkOptions = {}) {
    this.auto_deliver = options.auto_deliver ?? true;
    this.pending_max = options.pending_max ?? 65_536;
    this.frame_bytes_max = options.frame_bytes_max ?? FRAME_BYTES_MAX_DEFAULT;
  }

  /** Joins a replica to the network (replacing a closed one of the same id, as a restart). */
  transport(id: ReplicaId, onMessage: MessageHandler, validate?: Validate): MemoryTransport {
    const existing = this.transports.get(id);
    if (existing !== undefined && !existing.closed) throw new Error(`replica ${id} is already on the network`);
    const transport = new MemoryTransport(this, id, onMessage, validate);
    this.transports.set(id, transport);
    return transport;
  }

  /** Cuts the directed link from -> to (both ways with `both`). */
  disconnect(from: ReplicaId, to: ReplicaId, both = true): void {
    this.cut.add(`${from}>${to}`);
    if (both) this.cut.add(`${to}>${from}`);
  }

  /** Cuts every link between the two sides, both ways. */
  partition(side: readonly ReplicaId[], rest: readonly ReplicaId[]): void {
    for (const a of side) for (const b of rest) this.disconnect(a, b);
  }

  /** Restores every link. */
  heal(): void {
    this.cut.clear();
  }

  isCut(from: ReplicaId, to: ReplicaId): boolean {
    return this.cut.has(`${from}>${to}`);
  }

  pending(): number {
    return this.queue.length;
  }

  /** Delivers up to `count` messages in send order (all by default); returns how many it took. */
  deliver(count = Number.POSITIVE_INFINITY): number {
    const batch = this.queue.splice(0, Math.min(count, this.queue.length));
    for (const envelope of batch) this.deliverOne(envelope);
    return batch.length;
  }

  /** @internal Used by MemoryTransport.send. */
  enqueue(from: ReplicaId, to: ReplicaId, payload: Uint8Array): boolean {
    if (payload.length > this.frame_bytes_max || this.queue.length >= this.pending_max) {
      this.refused++;
      return false;
    }
    if (this.isCut(from, to)) {
      this.dropped++;
      return true; // a real sender can't tell a cut link from a slow one either
    }
    this.queue.push({ from, to, payload: payload.slice() });
    if (this.auto_deliver && !this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => {
        this.scheduled = false;
        // Only what was queued so far: a handler that sends schedules another round.
        this.deliver(this.queue.length);
      });
    }
    return true;
  }

  /** @internal Used by MemoryTransport.peers. */
  reachable(from: ReplicaId, to: ReplicaId): boolean {
    const target = this.transports.get(to);
    return target !== undefined && !target.closed && !this.isCut(from, to);
  }

  private deliverOne({ from, to, payload }: Envelope): void {
    const target = this.transports.get(to);
    // Cut after it was sent, or the receiver left: lost in flight.
    if (target === undefined || target.closed || this.isCut(from, to) || !target.accept(from, payload)) this.dropped++;
  }
}

export class MemoryTransport implements Transport {
  closed = false;
  private peer_ids: ReplicaId[] = [];

  constructor(
    private readonly network: MemoryNetwork,
    readonly id: ReplicaId,
    private readonly onMessage: MessageHandler,
    private readonly validate?: Validate,
  ) {}

  send(to: ReplicaId, payload: Uint8Array): boolean {
    if (this.closed) {
      this.network.refused++;
      return false;
    }
    return this.network.enqueue(this.id, to, payload);
  }

  setPeers(ids: readonly ReplicaId[]): void {
    this.peer_ids = [...new Set(ids)].filter((id) => id !== this.id).sort();
  }

  peers(): PeerStatus[] {
    return this.peer_ids.map((id) => ({
      id,
      outbound: this.closed ? "closed" : this.network.reachable(this.id, id) ? "connected" : "connecting",
      inbound: !this.closed && this.network.reachable(id, this.id),
      queued_messages: 0,
      queued_bytes: 0,
    }));
  }

  close(): void {
    this.closed = true;
  }

  /** @internal Hands a payload to onMessage unless the codec hook refuses it. */
  accept(from: ReplicaId, payload: Uint8Array): boolean {
    if (this.validate !== undefined && this.validate(payload) !== null) return false;
    this.onMessage(from, payload);
    return true;
  }
}
