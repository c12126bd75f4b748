// A fault-injecting TCP proxy for tests (etcd's pkg/proxy vocabulary), on loopback only.
// A dialer connects to proxy.port; each accepted connection is paired with a new connection
// to 127.0.0.1:target_port, and bytes are forwarded both ways:
//   Tx = dialer -> listener (what the dialer transmits), Rx = listener -> dialer.
// Faults per direction, applied to live and future connections:
//   delayTx/Rx(ms, jitter_ms)  hold each chunk ms ± jitter (order is kept: TCP is a stream)
//   blackholeTx/Rx             read and discard (the link looks up, nothing arrives)
//   pauseTx/Rx                 stop reading (the sender's buffers fill: a stalled peer)
//   modifyTx/Rx(fn)            rewrite or drop (null) each chunk as read; chunk bounds are
//                              TCP's, not the application's
// and for the listener: pauseAccept (connections wait unaccepted), resetListener (drop every
// connection, listen again on the same port), close. WebSocket traffic passes through
// untouched unless a fault says otherwise. Every buffer and queue here is bounded.

import { connect, createServer, type Server, type Socket } from "node:net";

const LOOPBACK = "127.0.0.1";

export type Modify = (chunk: Uint8Array) => Uint8Array | null;

export interface ProxyOptions {
  /** The listener to forward to, on 127.0.0.1. */
  target_port: number;
  /** Where the proxy listens on 127.0.0.1; 0 (default) picks a free port. */
  listen_port?: number;
  /** Most connection pairs (and most connections held by pauseAccept). */
  connections_max?: number;
  /** Bytes held for delay per connection and direction before reading pauses. */
  delayed_bytes_max?: number;
}

const CONNECTIONS_MAX_DEFAULT = 256;
const DELAYED_BYTES_MAX_DEFAULT = 16 * 1024 * 1024;

interface Faults {
  delay_ms: number;
  jitter_ms: number;
  blackhole: boolean;
  paused: boolean;
  modify: Modify | null;
}

type Way = "tx" | "rx";

/** One direction of one connection pair: src is read, dst is written. */
interface Flow {
  src: Socket;
  dst: Socket;
  faults: Faults;
  delayed: { at_ms: number; chunk: Uint8Array }[];
  delayed_bytes: number;
  timer: ReturnType<typeof setTimeout> | null;
  ended: boolean;
  /** Reading stopped because dst is backed up or too much is delayed (not a pause fault). */
  throttled: boolean;
}

interface Pair {
  client: Socket;
  target: Socket;
  tx: Flow;
  rx: Flow;
}

export class TcpProxy {
  private readonly faults: Record<Way, Faults> = { tx: noFaults(), rx: noFaults() };
  private readonly pairs = new Set<Pair>();
  private readonly waiting: Socket[] = [];
  private server: Server | null = null;
  private accept_paused = false;
  private closed = false;
  private listening_port = 0;
  private readonly connections_max: number;
  private readonly delayed_bytes_max: number;

  private constructor(private readonly options: ProxyOptions) {
    this.connections_max = options.connections_max ?? CONNECTIONS_MAX_DEFAULT;
    this.delayed_bytes_max = options.delayed_bytes_max ?? DELAYED_BYTES_MAX_DEFAULT;
  }

  /** Starts a proxy listening on 127.0.0.1 and forwarding to 127.0.0.1:target_port. */
  static async start(options: ProxyOptions): Promise<TcpProxy> {
    const proxy = new TcpProxy(options);
    await proxy.listen(options.listen_port ?? 0);
    return proxy;
  }

  get port(): number {
    return this.listening_port;
  }

  /** Live connection pairs (not counting ones held by pauseAccept). */
  connections(): number {
    return this.pairs.size;
  }

  delayTx(ms: number, jitter_ms = 0): void {
    this.setDelay("tx", ms, jitter_ms);
  }
  delayRx(ms: number, jitter_ms = 0): void {
    this.setDelay("rx", ms, jitter_ms);
  }
  undelayTx(): void {
    this.setDelay("tx", 0, 0);
  }
  undelayRx(): void {
    this.setDelay("rx", 0, 0);
  }
  blackholeTx(): void {
    this.faults.tx.blackhole = true;
  }
  blackholeRx(): void {
    this.faults.rx.blackhole = true;
  }
  unblackholeTx(): void {
    this.faults.tx.blackhole = false;
  }
  unblackholeRx(): void {
    this.faults.rx.blackhole = false;
  }
  pauseTx(): void {
    this.setPaused("tx", true);
  }
  pauseRx(): void {
    this.setPaused("rx", true);
  }
  resumeTx(): void {
    this.setPaused("tx", false);
  }
  resumeRx(): void {
    this.setPaused("rx", false);
  }
  modifyTx(fn: Modify): void {
    this.faults.tx.modify = fn;
  }
  modifyRx(fn: Modify): void {
    this.faults.rx.modify = fn;
  }
  unmodifyTx(): void {
    this.faults.tx.modify = null;
  }
  unmodifyRx(): void {
    this.faults.rx.modify = null;
  }

  /** New connections wait (bounded by connections_max) instead of being forwarded. */
  pauseAccept(): void {
    this.accept_paused = true;
  }

  /** Forwards the connections that waited, then new ones as they come. */
  resumeAccept(): void {
    this.accept_paused = false;
    for (let socket = this.waiting.shift(); socket !== undefined; socket = this.waiting.shift()) this.pair(socket);
  }

  /** Drops every connection and listens again on the same port, like a restarted listener. */
  async resetListener(): Promise<void> {
    await this.stopListening();
    if (!this.closed) await this.listen(this.listening_port);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.stopListening();
  }

  private setDelay(way: Way, ms: number, jitter_ms: number): void {
    if (!(ms >= 0 && jitter_ms >= 0 && jitter_ms <= ms && ms <= DELAY_MS_MAX)) {
      throw new Error(`delay must satisfy 0 <= jitter_ms <= ms <= ${DELAY_MS_MAX}, got ${ms} ± ${jitter_ms}`);
    }
    this.faults[way].delay_ms = ms;
    this.faults[way].jitter_ms = jitter_ms;
  }

  private setPaused(way: Way, paused: boolean): void {
    this.faults[way].paused = paused;
    for (const pair of this.pairs) {
      const flow = pair[way];
      if (paused) flow.src.pause();
      else if (!flow.throttled) flow.src.resume();
    }
  }

  private async listen(port: number): Promise<void> {
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => this.accepted(socket));
    server.maxConnections = this.connections_max * 2;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, LOOPBACK, () => resolve());
    });
    const address = server.address();
    this.listening_port = typeof address === "object" && address !== null ? address.port : port;
    this.server = server;
  }

  private async stopListening(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.waiting.splice(0)) socket.destroy();
    for (const pair of [...this.pairs]) this.destroyPair(pair);
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accepted(socket: Socket): void {
    if (this.closed || this.pairs.size + this.waiting.length >= this.connections_max) return void socket.destroy();
    if (this.accept_paused) {
      this.waiting.push(socket);
      socket.on("error", () => socket.destroy());
      return;
    }
    this.pair(socket);
  }

  private pair(client: Socket): void {
    const target = connect({ host: LOOPBACK, port: this.options.target_port, allowHalfOpen: true });
    const pair: Pair = { client, target, tx: this.flow(client, target, "tx"), rx: this.flow(target, client, "rx") };
    this.pairs.add(pair);
    for (const socket of [client, target]) {
      socket.on("error", () => this.destroyPair(pair));
      socket.on("close", () => {
        if (client.destroyed && target.destroyed) this.destroyPair(pair);
      });
    }
    this.wire(pair.tx, pair);
    this.wire(pair.rx, pair);
  }

  private flow(src: Socket, dst: Socket, way: Way): Flow {
    return { src, dst, faults: this.faults[way], delayed: [], delayed_bytes: 0, timer: null, ended: false, throttled: false };
  }

  private wire(flow: Flow, pair: Pair): void {
    flow.src.on("data", (data: Buffer) => this.forward(flow, data));
    flow.src.on("end", () => {
      flow.ended = true;
      if (flow.delayed.length === 0) flow.dst.end();
    });
    flow.dst.on("drain", () => this.unthrottle(flow));
    if (flow.faults.paused) flow.src.pause();
    else flow.src.resume();
    void pair;
  }

  private forward(flow: Flow, data: Uint8Array): void {
    const { faults } = flow;
    if (faults.blackhole) return;
    const chunk = faults.modify === null ? data : faults.modify(data);
    if (chunk === null || chunk.length === 0) return;
    if (faults.delay_ms === 0 && flow.delayed.length === 0) return this.write(flow, chunk);
    const jitter = faults.jitter_ms === 0 ? 0 : (Math.random() * 2 - 1) * faults.jitter_ms;
    const last = flow.delayed[flow.delayed.length - 1]?.at_ms ?? 0;
    // A stream keeps its order: a chunk never overtakes one read before it.
    flow.delayed.push({ at_ms: Math.max(performance.now() + faults.delay_ms + jitter, last), chunk: Uint8Array.from(chunk) });
    flow.delayed_bytes += chunk.length;
    if (flow.delayed_bytes > this.delayed_bytes_max) this.throttle(flow);
    this.scheduleDelayed(flow);
  }

  private scheduleDelayed(flow: Flow): void {
    const next = flow.delayed[0];
    if (next === undefined || flow.timer !== null) return;
    flow.timer = setTimeout(() => this.releaseDelayed(flow), Math.max(0, next.at_ms - performance.now()));
  }

  private releaseDelayed(flow: Flow): void {
    flow.timer = null;
    const now = performance.now();
    // Bounded by the queue's length at entry.
    for (let n = flow.delayed.length; n > 0 && flow.delayed[0]!.at_ms <= now; n--) {
      const { chunk } = flow.delayed.shift()!;
      flow.delayed_bytes -= chunk.length;
      this.write(flow, chunk);
    }
    if (flow.delayed.length > 0) return this.scheduleDelayed(flow);
    if (flow.ended) flow.dst.end();
    else if (flow.delayed_bytes <= this.delayed_bytes_max / 2) this.unthrottle(flow);
  }

  private write(flow: Flow, chunk: Uint8Array): void {
    if (flow.dst.destroyed) return;
    if (!flow.dst.write(chunk)) this.throttle(flow);
  }

  private throttle(flow: Flow): void {
    flow.throttled = true;
    flow.src.pause();
  }

  private unthrottle(flow: Flow): void {
    if (!flow.throttled || flow.delayed_bytes > this.delayed_bytes_max / 2 || flow.dst.writableNeedDrain) return;
    flow.throttled = false;
    if (!flow.faults.paused) flow.src.resume();
  }

  private destroyPair(pair: Pair): void {
    if (!this.pairs.delete(pair)) return;
    for (const flow of [pair.tx, pair.rx]) {
      if (flow.timer !== null) clearTimeout(flow.timer);
      flow.timer = null;
      flow.delayed = [];
      flow.delayed_bytes = 0;
    }
    pair.client.destroy();
    pair.target.destroy();
  }
}

/** Longest delay a test may ask for; anything longer is a partition, use blackhole or pause. */
const DELAY_MS_MAX = 60_000;

function noFaults(): Faults {
  return { delay_ms: 0, jitter_ms: 0, blackhole: false, paused: false, modify: null };
}
