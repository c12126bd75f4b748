// One dialed link to one peer: connect, hello, send, reconnect with capped exponential
// back-off plus jitter. A link only ever *sends* payloads; the peer's answers come back on the
// peer's own dialed link to us (see transport.ts for why). What arrives here is the peer's
// hello answer and its pings, nothing else. The hello is handshake.ts's challenge-response:
// the link is up only once the listener proved it holds the secret and we sent our AUTH.

import { nonce } from "../security/hmac.ts";
import { decodeFrame, decodeHello, encodeFrame, encodeHello, FrameType } from "./frame.ts";
import { checkListenerAnswer, dialerAuth, type HandshakeSide } from "./handshake.ts";
import type { ResolvedOptions } from "./options.ts";
import { BoundedQueue } from "./queue.ts";
import type { OutboundState, ReplicaId } from "./types.ts";

/** The path on the master's HTTP port where peers upgrade to a WebSocket. */
export const PEER_PATH = "/log/peer";

/** Application close codes (4000–4999 are ours by RFC 6455). */
export const CloseCode = {
  HELLO_REJECTED: 4001,
  FRAME_REJECTED: 4002,
  IDLE: 4003,
  REPLACED: 4004,
  TOO_MANY_CONNECTIONS: 4005,
  HANDSHAKE_TIMEOUT: 4006,
  GOING_AWAY: 1001,
} as const;

/** Cap on the back-off exponent, so 2^attempt never overflows whatever backoff_ms_max is. */
const BACKOFF_DOUBLINGS_MAX = 30;
/** How soon to retry flushing while the socket holds more than socket_buffer_bytes_max. */
const FLUSH_RETRY_MS = 2;

export const PING_FRAME = encodeFrame(FrameType.PING, new Uint8Array(0));

/** What a link needs from its transport: identity, options, and where to report events. */
export interface LinkContext {
  readonly self: ReplicaId;
  readonly cluster: string;
  readonly options: ResolvedOptions;
  readonly side: HandshakeSide;
  frameRejected(peer: ReplicaId, reason: string): void;
  helloRejected(peer: ReplicaId, reason: string): void;
  linkUp(peer: ReplicaId): void;
  /** The link went down; `retrying` is false only when the transport closed it for good. */
  linkDown(peer: ReplicaId, reason: string, was_connected: boolean, reason_changed: boolean, retrying: boolean): void;
  sent(): void;
}

export class OutboundLink {
  state: OutboundState = "backoff";
  last_error: string | undefined;
  readonly queue: BoundedQueue;
  private ws: WebSocket | null = null;
  /** Our challenge in the current connection's hello. */
  private nonce_d: Uint8Array = new Uint8Array(0);
  private attempt = 0;
  private opened_ms = 0;
  private last_received_ms = 0;
  private retry_timer: ReturnType<typeof setTimeout> | null = null;
  private flush_timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    readonly id: ReplicaId,
    private readonly ctx: LinkContext,
  ) {
    this.queue = new BoundedQueue(ctx.options.queue_messages_max, ctx.options.queue_bytes_max);
  }

  /** Queues an encoded frame (sent at once when the link is up); false when the queue is full. */
  send(frame: Uint8Array): boolean {
    if (this.state === "closed") return false;
    if (this.state === "connected" && this.queue.length === 0 && this.ws!.bufferedAmount < this.ctx.options.socket_buffer_bytes_max) {
      this.ws!.send(frame);
      this.ctx.sent();
      return true;
    }
    if (!this.queue.push(frame)) return false;
    if (this.state === "connected") this.scheduleFlush();
    return true;
  }

  /** Dials now (the first connection, or a retry after back-off). */
  connect(): void {
    if (this.state === "closed") return;
    this.retry_timer = null;
    this.state = "connecting";
    this.opened_ms = performance.now();
    const address = this.ctx.options.dial?.(this.id) ?? this.id;
    const tls = this.ctx.options.tls;
    let ws: WebSocket;
    try {
      ws = tls === null ? new WebSocket(`ws://${address}${PEER_PATH}`) : new WebSocket(`wss://${address}${PEER_PATH}`, { tls });
    } catch (error) {
      this.failed(`cannot dial ${address}: ${(error as Error).message}`);
      return;
    }
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.nonce_d = nonce();
      const hello = { cluster: this.ctx.cluster, replica: this.ctx.self, authenticates: this.ctx.side.secret !== null, nonce: this.nonce_d, mac: null };
      ws.send(encodeFrame(FrameType.HELLO, encodeHello(hello)));
    };
    ws.onmessage = (event) => {
      if (this.ws === ws) this.received(event.data);
    };
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      const reason = event.reason !== "" ? `closed by peer (${event.code}: ${event.reason})` : `connection closed (${event.code})`;
      if (event.code === CloseCode.HELLO_REJECTED) this.attempt = BACKOFF_DOUBLINGS_MAX; // a config error: retry slowly
      this.failed(reason);
    };
  }

  /** Heartbeat: ping a live link, and close one that is silent or stuck in its hello. */
  tick(now_ms: number): void {
    const o = this.ctx.options;
    if (this.state === "connecting" && now_ms - this.opened_ms > o.handshake_timeout_ms) {
      this.drop(CloseCode.HANDSHAKE_TIMEOUT, `no hello answer within ${o.handshake_timeout_ms} ms`);
    } else if (this.state === "connected") {
      if (now_ms - this.last_received_ms > o.idle_timeout_ms) this.drop(CloseCode.IDLE, `nothing received for ${o.idle_timeout_ms} ms`);
      else this.ws!.send(PING_FRAME);
    }
  }

  /** Stops for good: closes the socket, cancels timers, forgets the queue. */
  close(): void {
    if (this.state === "closed") return;
    const ws = this.ws;
    const was_connected = this.state === "connected";
    this.state = "closed";
    this.ws = null;
    this.clearTimers();
    this.queue.clear();
    ws?.close(CloseCode.GOING_AWAY, "replica leaving");
    if (was_connected) this.ctx.linkDown(this.id, "replica leaving", true, true, false);
  }

  private received(data: unknown): void {
    const decoded = data instanceof ArrayBuffer ? decodeFrame(new Uint8Array(data), this.ctx.options.frame_bytes_max) : null;
    if (this.state === "connecting") {
      // Anything wrong before the hello answer is a refused hello (as on the listening side).
      if (decoded === null) return this.refuseHello("text frame instead of a hello");
      if (!decoded.ok) return this.refuseHello(decoded.reason);
      if (decoded.type !== FrameType.HELLO) return this.refuseHello(`frame type ${decoded.type} before the hello`);
      this.last_received_ms = performance.now();
      return this.helloAnswered(decoded.payload);
    }
    if (decoded === null) return this.reject("text frame");
    if (!decoded.ok) return this.reject(decoded.reason);
    this.last_received_ms = performance.now();
    if (decoded.type !== FrameType.PING) this.reject(`frame type ${decoded.type} on a send-only link`);
  }

  private helloAnswered(payload: Uint8Array): void {
    const hello = decodeHello(payload);
    if (typeof hello === "string") return this.refuseHello(hello);
    const problem = checkListenerAnswer(this.ctx.side, this.id, this.nonce_d, hello);
    if (problem !== null) return this.refuseHello(problem);
    // AUTH goes first on the socket, so every payload flushed below follows it.
    this.ws!.send(encodeFrame(FrameType.AUTH, dialerAuth(this.ctx.side, this.id, this.nonce_d, hello.nonce)));
    this.state = "connected";
    this.attempt = 0;
    this.last_error = undefined;
    this.ctx.linkUp(this.id);
    this.flush();
  }

  private refuseHello(reason: string): void {
    this.ctx.helloRejected(this.id, reason);
    this.attempt = BACKOFF_DOUBLINGS_MAX; // a configuration error: retry slowly
    this.drop(CloseCode.HELLO_REJECTED, reason);
  }

  private reject(reason: string): void {
    this.ctx.frameRejected(this.id, reason);
    this.drop(CloseCode.FRAME_REJECTED, reason);
  }

  /** Closes the current socket ourselves and schedules a reconnect. */
  private drop(code: number, reason: string): void {
    const ws = this.ws;
    this.failed(reason);
    ws?.close(code, reason.slice(0, 120));
  }

  private failed(reason: string): void {
    if (this.state === "closed") return;
    const was_connected = this.state === "connected";
    const reason_changed = reason !== this.last_error;
    this.ws = null;
    this.last_error = reason;
    this.state = "backoff";
    this.clearTimers();
    this.ctx.linkDown(this.id, reason, was_connected, reason_changed, true);
    this.retry_timer = setTimeout(() => this.connect(), this.backoffMs());
  }

  /**
   * The peer just dialed us, so it is up: a link waiting out its back-off dials now (a master
   * that was down for a while would otherwise be reachable only after the longest back-off,
   * and an election that needs it as the quorum would wait that long).
   */
  peerIsUp(): void {
    if (this.state !== "backoff") return;
    if (this.retry_timer !== null) clearTimeout(this.retry_timer);
    this.attempt = 0;
    this.connect();
  }

  /** min · 2^attempt capped at max, jittered to 50–100 % so peers do not redial in lockstep. */
  private backoffMs(): number {
    const { backoff_ms_min: min, backoff_ms_max: max } = this.ctx.options;
    const base = Math.min(max, min * 2 ** Math.min(this.attempt, BACKOFF_DOUBLINGS_MAX));
    this.attempt = Math.min(this.attempt + 1, BACKOFF_DOUBLINGS_MAX);
    return Math.max(1, Math.round(base * (0.5 + Math.random() * 0.5)));
  }

  private flush(): void {
    this.flush_timer = null;
    const ws = this.ws;
    if (this.state !== "connected" || ws === null) return;
    const limit = this.ctx.options.socket_buffer_bytes_max;
    // Bounded by the queue's length; stops early while the socket is backed up.
    for (let n = this.queue.length; n > 0 && ws.bufferedAmount < limit; n--) {
      ws.send(this.queue.shift()!);
      this.ctx.sent();
    }
    if (this.queue.length > 0) this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flush_timer === null) this.flush_timer = setTimeout(() => this.flush(), FLUSH_RETRY_MS);
  }

  private clearTimers(): void {
    if (this.retry_timer !== null) clearTimeout(this.retry_timer);
    if (this.flush_timer !== null) clearTimeout(this.flush_timer);
    this.retry_timer = null;
    this.flush_timer = null;
  }
}
