// One WebSocket from the agent to a master's AGENT_CHANNEL_PATH (host/agent/protocol.ts). It
// queues what is sent before the socket opens, bounds everything not yet on the wire by
// AGENT_SEND_BUFFER_MAX_BYTES (beyond that the socket is closed and reported failed, so the
// agent reconnects instead of growing without bound), and reports each frame and the close
// once. close() detaches the handlers first: nothing from a closed channel reaches the agent.
// With TLS on (LIBPROCESS_SSL_*) it dials wss:// and verifies the master's certificate against
// the CA, presenting the agent's own certificate for masters that require one.
import { clientTls, schemes, type TlsConfig } from "../security/tls.ts";
import { AGENT_CHANNEL_PATH, AGENT_SEND_BUFFER_MAX_BYTES, type AgentMessage, encodeMessage } from "./protocol.ts";

export interface ChannelHandlers {
  open(): void;
  frame(data: string | Uint8Array): void;
  closed(reason: string): void;
}

export interface AgentChannel {
  readonly url: string;
  readonly opened_at_ms: number;
  isOpen(): boolean;
  /** Queues one message; false (and the channel fails) when the send buffer is full. */
  send(message: AgentMessage): boolean;
  close(): void;
}

export type ChannelFactory = (host: string, port: number, handlers: ChannelHandlers) => AgentChannel;

/** Channels over ws://, or over wss:// with `tls`. */
export function webSocketChannels(tls: TlsConfig | null): ChannelFactory {
  return (host, port, handlers) => new WebSocketChannel(host, port, handlers, tls);
}

class WebSocketChannel implements AgentChannel {
  readonly url: string;
  readonly opened_at_ms = Date.now();
  private readonly socket: WebSocket;
  private handlers: ChannelHandlers | null;
  private pending: string[] = [];
  private pending_bytes = 0;

  constructor(host: string, port: number, handlers: ChannelHandlers, tls: TlsConfig | null) {
    this.handlers = handlers;
    this.url = `${schemes(tls).ws}://${host.includes(":") ? `[${host}]` : host}:${port}${AGENT_CHANNEL_PATH}`;
    this.socket = tls === null ? new WebSocket(this.url) : new WebSocket(this.url, { tls: clientTls(tls) });
    this.socket.binaryType = "arraybuffer";
    this.socket.onopen = () => this.opened();
    this.socket.onmessage = (event) => {
      const data = event.data;
      this.handlers?.frame(typeof data === "string" ? data : new Uint8Array(data as ArrayBuffer));
    };
    this.socket.onclose = (event) => this.fail(`socket closed (code ${event.code}${event.reason ? `: ${event.reason}` : ""})`);
    this.socket.onerror = () => this.fail("socket error");
  }

  isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  send(message: AgentMessage): boolean {
    if (this.handlers === null) return false;
    const text = encodeMessage(message);
    const bytes = Buffer.byteLength(text);
    const buffered = this.isOpen() ? this.socket.bufferedAmount : this.pending_bytes;
    if (buffered + bytes > AGENT_SEND_BUFFER_MAX_BYTES) {
      this.fail(`send buffer full (${buffered} bytes queued, limit ${AGENT_SEND_BUFFER_MAX_BYTES})`);
      return false;
    }
    if (this.isOpen()) {
      this.socket.send(text);
    } else {
      this.pending.push(text);
      this.pending_bytes += bytes;
    }
    return true;
  }

  close(): void {
    this.handlers = null;
    this.pending = [];
    try {
      this.socket.close();
    } catch {
      // already closing
    }
  }

  private opened(): void {
    for (const text of this.pending) this.socket.send(text);
    this.pending = [];
    this.pending_bytes = 0;
    this.handlers?.open();
  }

  private fail(reason: string): void {
    const handlers = this.handlers;
    this.close();
    handlers?.closed(reason);
  }
}
