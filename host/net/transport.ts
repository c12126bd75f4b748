// PeerTransport: the replicated log's links between masters, over each master's own HTTP port.
//
// Connection rule: every replica dials every peer it sends to, and sends only on the link it
// dialed; what it receives arrives on links the peers dialed (libprocess's shape, which Mesos's
// log runs on). So each pair has two WebSockets, one per direction. We chose this over "one
// socket per pair, lower id dials" because (1) a reply always has a path even when the asker
// is not (yet) in our discovered peer set — a replica answers whoever asked, as Mesos's do —
// (2) there is no tie-break race when both sides connect at once, and (3) each direction's
// health is independent and visible (peers(): outbound/inbound), which is what a one-way
// partition looks like. The cost, 2·(n−1) sockets per replica, is nothing for n ≤ 5.
//
// Each link opens with a hello in both directions (protocol version, cluster name, replica id,
// nonces) and the dialer's AUTH: a challenge-response over the log's shared secret
// (handshake.ts), so each side proves to the other that it holds the secret. Only after a
// verified AUTH do payloads flow; anything else first closes the socket, counted in
// log/peer_auth_failures and logged at most once a minute per remote address. Every frame is checked (frame.ts) before anything reaches onMessage; a bad one
// closes that connection and is counted, and the link redials with back-off.

import type { Server, ServerWebSocket, WebSocketHandler } from "bun";
import { logger } from "../logging.ts";
import { Metrics } from "../metrics.ts";
import { nonce } from "../security/hmac.ts";
import { decodeFrame, decodeHello, encodeFrame, encodeHello, FRAME_HEADER_BYTES, FrameType } from "./frame.ts";
import { checkDialerAuth, checkDialerHello, type HandshakeSide, listenerMac } from "./handshake.ts";
import { LineLimiter } from "./rate_limit.ts";
import { type PeerTransportOptions, type ResolvedOptions, resolveOptions } from "./options.ts";
import { CloseCode, type LinkContext, OutboundLink, PEER_PATH, PING_FRAME } from "./outbound.ts";
import type { PeerStatus, ReplicaId, Transport } from "./types.ts";

export { PEER_PATH } from "./outbound.ts";
export type { PeerTransportOptions } from "./options.ts";

const log = logger("transport.ts");

/** Metric names, all under registrar/log/ like Mesos's replicated-log metrics. */
export const PEER_METRICS = {
  frames_rejected: "registrar/log/peer_frames_rejected",
  hellos_rejected: "registrar/log/peer_hellos_rejected",
  /** Every refused hello (either side), the name the security docs give operators to alert on. */
  auth_failures: "log/peer_auth_failures",
  send_dropped: "registrar/log/peer_send_dropped",
  messages_sent: "registrar/log/peer_messages_sent",
  messages_received: "registrar/log/peer_messages_received",
  connects: "registrar/log/peer_connects",
  peers_connected: "registrar/log/peers_connected",
  inbound_connected: "registrar/log/peer_inbound_connected",
  queued_bytes: "registrar/log/peer_queued_bytes",
} as const;

/** Per-connection state of an inbound (peer-dialed) WebSocket, kept in ws.data. */
export interface PeerSocketData {
  /** The peer's replica id once its AUTH was verified: only then are its messages accepted. */
  replica: ReplicaId | null;
  /** Between our hello answer and the dialer's AUTH: what it claimed, and both challenges. */
  pending: { replica: ReplicaId; nonce_d: Uint8Array; nonce_l: Uint8Array } | null;
  opened_ms: number;
  last_received_ms: number;
  /** Set when we closed it ourselves, so the close handler does not count it twice. */
  dropped: boolean;
}

type Inbound = ServerWebSocket<PeerSocketData>;

/**
 * The limits of inbound peer sockets, for Bun.serve's `websocket` option. Exported so that a
 * server whose transport is attached later (a master discovering its replicas) serves peer
 * sockets with the same bounds from the start.
 */
export function peerSocketLimits(frame_bytes_max: number) {
  return {
    // Bun closes (code 1006, "Received too big message") anything larger, before our handler.
    maxPayloadLength: frame_bytes_max + FRAME_HEADER_BYTES,
    // We only send hello answers and pings on inbound sockets; a peer that stops reading
    // them is dead, and a bounded buffer is enough.
    backpressureLimit: INBOUND_BACKPRESSURE_BYTES_MAX,
    closeOnBackpressureLimit: true,
    // Liveness is ours (heartbeat_ms / idle_timeout_ms), in both directions.
    idleTimeout: 0,
    sendPings: false,
  };
}

export class PeerTransport implements Transport {
  readonly id: ReplicaId;
  readonly metrics: Metrics;
  /** Pass to Bun.serve({ websocket }); it serves PEER_PATH upgrades made by `upgrade`. */
  readonly websocket: WebSocketHandler<PeerSocketData>;
  private readonly options: ResolvedOptions;
  private readonly links = new Map<ReplicaId, OutboundLink>();
  private readonly inbound_sockets = new Set<Inbound>();
  private readonly inbound_by_id = new Map<ReplicaId, Inbound>();
  private readonly context: LinkContext;
  private readonly side: HandshakeSide;
  /** Refusal lines: one per remote address (or peer) per minute. */
  private readonly refusals = new LineLimiter(REFUSAL_LOG_INTERVAL_MS, REFUSAL_LOG_KEYS_MAX);
  private readonly heartbeat: ReturnType<typeof setInterval>;
  private connected_count = 0;
  private closed = false;

  constructor(options: PeerTransportOptions) {
    this.options = resolveOptions(options);
    this.id = options.id;
    this.metrics = options.metrics ?? new Metrics();
    this.registerMetrics();
    const o = this.options;
    this.side = { self: this.id, cluster: o.cluster, secret: o.secret, ...(o.allowed === undefined ? {} : { allowed: o.allowed }) };
    this.context = this.makeContext();
    this.websocket = this.makeHandler();
    this.heartbeat = setInterval(() => this.tick(), this.options.heartbeat_ms);
  }

  /**
   * For the HTTP server's fetch: upgrades a request for PEER_PATH to a peer WebSocket and
   * returns true (fetch then returns undefined); false for every other request, and for a
   * PEER_PATH request that is not a WebSocket upgrade (let the app answer it: 404).
   */
  upgrade(request: Request, server: Server<PeerSocketData>): boolean {
    // Cheap header test first: this runs for every HTTP request the master serves.
    if (this.closed || request.headers.get("upgrade")?.toLowerCase() !== "websocket") return false;
    if (new URL(request.url).pathname !== PEER_PATH) return false;
    const now = performance.now();
    return server.upgrade(request, { data: { replica: null, pending: null, opened_ms: now, last_received_ms: now, dropped: false } });
  }

  send(to: ReplicaId, payload: Uint8Array): boolean {
    if (this.closed) return false;
    if (to === this.id) return this.sendToSelf(payload);
    if (payload.length > this.options.frame_bytes_max) {
      // Never expected (the core bounds its messages): worth a line, unlike a full queue.
      log.warning(`Dropped a ${payload.length}-byte message to replica ${to}: over frame_bytes_max ${this.options.frame_bytes_max}`);
      return this.dropSend();
    }
    const link = this.links.get(to) ?? this.addLink(to);
    // Drops are expected while a peer is down or not allowed; a line per drop would flood.
    if (link === null || !link.send(encodeFrame(FrameType.MESSAGE, payload))) return this.dropSend();
    return true;
  }

  setPeers(ids: readonly ReplicaId[]): void {
    if (this.closed) return;
    const wanted = new Set(ids.filter((id) => id !== this.id));
    for (const [id, link] of this.links) {
      if (!wanted.has(id)) {
        link.close();
        this.links.delete(id);
      }
    }
    for (const id of wanted) if (!this.links.has(id)) this.addLink(id);
  }

  peers(): PeerStatus[] {
    const ids = new Set([...this.links.keys(), ...this.inbound_by_id.keys()]);
    return [...ids].sort().map((id) => {
      const link = this.links.get(id);
      const status: PeerStatus = {
        id,
        outbound: link?.state ?? "closed",
        inbound: this.inbound_by_id.has(id),
        queued_messages: link?.queue.length ?? 0,
        queued_bytes: link?.queue.bytes ?? 0,
      };
      if (link?.last_error !== undefined && link.state !== "connected") status.last_error = link.last_error;
      return status;
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    for (const link of this.links.values()) link.close();
    this.links.clear();
    for (const ws of this.inbound_sockets) this.dropInbound(ws, CloseCode.GOING_AWAY, "replica leaving");
    this.inbound_sockets.clear();
    this.inbound_by_id.clear();
  }

  private addLink(id: ReplicaId): OutboundLink | null {
    if (this.links.size >= this.options.peers_max) return null;
    if (this.options.allowed !== undefined && !this.options.allowed(id)) return null;
    const link = new OutboundLink(id, this.context);
    this.links.set(id, link);
    link.connect();
    return link;
  }

  private sendToSelf(payload: Uint8Array): boolean {
    // A coordinator broadcasts to every replica including its own; deliver it like a peer's
    // message, but after the caller's turn, never re-entrantly.
    const copy = payload.slice();
    queueMicrotask(() => {
      if (!this.closed) this.options.onMessage(this.id, copy);
    });
    return true;
  }

  private dropSend(): false {
    this.metrics.increment(PEER_METRICS.send_dropped);
    return false;
  }

  private tick(): void {
    const now = performance.now();
    for (const link of this.links.values()) link.tick(now);
    const o = this.options;
    for (const ws of this.inbound_sockets) {
      if (ws.data.replica === null && now - ws.data.opened_ms > o.handshake_timeout_ms) {
        this.rejectHello(ws, `no hello within ${o.handshake_timeout_ms} ms`, CloseCode.HANDSHAKE_TIMEOUT);
      } else if (ws.data.replica !== null && now - ws.data.last_received_ms > o.idle_timeout_ms) {
        log.warning(`Closing the link from replica ${ws.data.replica}: nothing received for ${o.idle_timeout_ms} ms`);
        this.dropInbound(ws, CloseCode.IDLE, `nothing received for ${o.idle_timeout_ms} ms`);
      } else if (ws.data.replica !== null) {
        ws.send(PING_FRAME);
      }
    }
  }

  private makeHandler(): WebSocketHandler<PeerSocketData> {
    return {
      ...peerSocketLimits(this.options.frame_bytes_max),
      open: (ws) => this.inboundOpened(ws),
      message: (ws, message) => this.inboundMessage(ws, message),
      close: (ws, code, reason) => this.inboundClosed(ws, code, reason),
    };
  }

  private inboundOpened(ws: Inbound): void {
    if (this.closed) return void ws.close(CloseCode.GOING_AWAY, "replica leaving");
    if (this.inbound_sockets.size >= this.options.inbound_connections_max) {
      log.warning(`Refusing a peer connection from ${ws.remoteAddress}: already ${this.inbound_sockets.size} (inbound_connections_max)`);
      ws.data.dropped = true;
      return void ws.close(CloseCode.TOO_MANY_CONNECTIONS, "too many peer connections");
    }
    this.inbound_sockets.add(ws);
  }

  private inboundMessage(ws: Inbound, message: string | Uint8Array): void {
    if (this.closed || ws.data.dropped) return;
    const decoded = typeof message === "string" ? null : decodeFrame(message, this.options.frame_bytes_max);
    if (ws.data.replica === null) {
      // Anything wrong before a verified AUTH is a refused hello, whatever its kind.
      const expected = ws.data.pending === null ? FrameType.HELLO : FrameType.AUTH;
      const name = expected === FrameType.HELLO ? "the hello" : "AUTH";
      if (decoded === null) return this.rejectHello(ws, `text frame instead of ${name}`);
      if (!decoded.ok) return this.rejectHello(ws, decoded.reason);
      if (decoded.type !== expected) return this.rejectHello(ws, `frame type ${decoded.type} before ${name}`);
      return expected === FrameType.HELLO ? this.helloReceived(ws, decoded.payload) : this.authReceived(ws, decoded.payload);
    }
    if (decoded === null) return this.rejectFrame(ws, "text frame");
    if (!decoded.ok) return this.rejectFrame(ws, decoded.reason);
    ws.data.last_received_ms = performance.now();
    if (decoded.type === FrameType.PING) return;
    if (decoded.type === FrameType.HELLO) return this.rejectFrame(ws, "a second hello");
    if (decoded.type !== FrameType.MESSAGE) return this.rejectFrame(ws, `frame type ${decoded.type} after the hello`);
    const invalid = this.options.validate?.(decoded.payload) ?? null;
    if (invalid !== null) return this.rejectFrame(ws, `payload refused by the codec: ${invalid}`);
    this.metrics.increment(PEER_METRICS.messages_received);
    this.options.onMessage(ws.data.replica, decoded.payload);
  }

  private helloReceived(ws: Inbound, payload: Uint8Array): void {
    const hello = decodeHello(payload);
    if (typeof hello === "string") return this.rejectHello(ws, hello);
    const problem = checkDialerHello(this.side, hello);
    if (problem !== null) return this.rejectHello(ws, problem);
    const nonce_l = nonce();
    ws.data.pending = { replica: hello.replica, nonce_d: hello.nonce, nonce_l };
    const answer = {
      cluster: this.context.cluster, replica: this.id, authenticates: this.side.secret !== null,
      nonce: nonce_l, mac: listenerMac(this.side, hello.replica, hello.nonce, nonce_l),
    };
    ws.send(encodeFrame(FrameType.HELLO, encodeHello(answer)));
  }

  /** The dialer's proof: only now is it the replica it claimed, and may replace an older link. */
  private authReceived(ws: Inbound, payload: Uint8Array): void {
    const { replica, nonce_d, nonce_l } = ws.data.pending!;
    const problem = checkDialerAuth(this.side, replica, nonce_d, nonce_l, payload);
    if (problem !== null) return this.rejectHello(ws, problem);
    const previous = this.inbound_by_id.get(replica);
    if (previous !== undefined) this.dropInbound(previous, CloseCode.REPLACED, "replaced by a newer connection from the same replica");
    ws.data.pending = null;
    ws.data.replica = replica;
    ws.data.last_received_ms = performance.now();
    this.inbound_by_id.set(replica, ws);
    log.info(`Accepted the link from replica ${replica} (${ws.remoteAddress}${this.side.secret === null ? "" : ", authenticated"})`);
    this.links.get(replica)?.peerIsUp();
  }

  private inboundClosed(ws: Inbound, code: number, reason: string): void {
    if (ws.data.dropped || !this.inbound_sockets.has(ws)) return;
    this.forgetInbound(ws);
    const who = ws.data.replica ?? ws.remoteAddress;
    if (code === 1009 || reason.includes("too big")) {
      this.metrics.increment(PEER_METRICS.frames_rejected);
      log.warning(`Rejected a frame from ${who}: larger than frame_bytes_max ${this.options.frame_bytes_max}; connection closed`);
    } else if (ws.data.replica !== null && !this.closed) {
      log.info(`The link from replica ${who} closed (${code}${reason === "" ? "" : `: ${reason}`})`);
    }
  }

  private rejectHello(ws: Inbound, reason: string, code: number = CloseCode.HELLO_REJECTED): void {
    this.countRefusal(ws.remoteAddress, `Refused a peer hello from ${ws.remoteAddress}: ${reason}`);
    this.dropInbound(ws, code, reason);
  }

  /** Counts a refused hello (either side) and logs it, at most once a minute per `key`. */
  private countRefusal(key: string, line: string): void {
    this.metrics.increment(PEER_METRICS.hellos_rejected);
    this.metrics.increment(PEER_METRICS.auth_failures);
    const admitted = this.refusals.admit(key);
    if (!admitted.ok) return;
    const more = admitted.suppressed === 0 ? "" : ` (and ${admitted.suppressed} more refusals of it in the last minute not logged)`;
    log.warning(line + more);
  }

  private rejectFrame(ws: Inbound, reason: string): void {
    this.metrics.increment(PEER_METRICS.frames_rejected);
    log.warning(`Rejected a frame from replica ${ws.data.replica}: ${reason}; connection closed`);
    this.dropInbound(ws, CloseCode.FRAME_REJECTED, reason);
  }

  private dropInbound(ws: Inbound, code: number, reason: string): void {
    ws.data.dropped = true;
    this.forgetInbound(ws);
    ws.close(code, reason.slice(0, CLOSE_REASON_CHARS_MAX));
  }

  private forgetInbound(ws: Inbound): void {
    this.inbound_sockets.delete(ws);
    const replica = ws.data.replica;
    if (replica !== null && this.inbound_by_id.get(replica) === ws) this.inbound_by_id.delete(replica);
  }

  private makeContext(): LinkContext {
    return {
      self: this.id,
      cluster: this.options.cluster,
      options: this.options,
      side: this.side,
      frameRejected: (peer, reason) => {
        this.metrics.increment(PEER_METRICS.frames_rejected);
        log.warning(`Rejected a frame from replica ${peer} on our link to it: ${reason}; connection closed`);
      },
      helloRejected: (peer, reason) => this.countRefusal(`replica ${peer}`, `Refused the hello answer of replica ${peer}: ${reason}`),
      linkUp: (peer) => {
        this.connected_count++;
        this.metrics.increment(PEER_METRICS.connects);
        log.info(`Connected to replica ${peer}`);
      },
      linkDown: (peer, reason, was_connected, reason_changed, retrying) => {
        if (was_connected) this.connected_count--;
        // One line per change, not per retry: a peer that is down for an hour is one line.
        if (retrying && (was_connected || reason_changed)) log.info(`No link to replica ${peer}: ${reason}; will retry`);
      },
      sent: () => this.metrics.increment(PEER_METRICS.messages_sent),
    };
  }

  private registerMetrics(): void {
    const m = this.metrics;
    for (const name of [PEER_METRICS.frames_rejected, PEER_METRICS.hellos_rejected, PEER_METRICS.auth_failures, PEER_METRICS.send_dropped]) m.counter(name);
    for (const name of [PEER_METRICS.messages_sent, PEER_METRICS.messages_received, PEER_METRICS.connects]) m.counter(name);
    m.gauge(PEER_METRICS.peers_connected, () => this.connected_count);
    m.gauge(PEER_METRICS.inbound_connected, () => this.inbound_by_id.size);
    m.gauge(PEER_METRICS.queued_bytes, () => {
      let bytes = 0;
      for (const link of this.links.values()) bytes += link.queue.bytes;
      return bytes;
    });
  }
}

/** At most one refusal line per remote address per this long (and a bound on addresses tracked). */
const REFUSAL_LOG_INTERVAL_MS = 60_000;
const REFUSAL_LOG_KEYS_MAX = 1024;
/** Bytes a peer may leave unread on its link to us (hello answers and pings are tiny). */
const INBOUND_BACKPRESSURE_BYTES_MAX = 1024 * 1024;
/** RFC 6455 limits a close reason to 123 bytes; ours are ASCII. */
const CLOSE_REASON_CHARS_MAX = 120;
