// The master's end of the agent channel (host/agent/protocol.ts): WebSocket upgrades at
// AGENT_CHANNEL_PATH on the master's HTTP port, accepted only by the elected leader; every
// frame is parsed, a malformed one dropped and counted; sends are bounded per socket.
// Beyond Mesos (which drops agent messages until the registry is recovered and lets agents
// retry): a leader still recovering accepts the sockets and holds their frames, in order and
// up to HELD_FRAMES_MAX, until it is ready, so a failover does not send every agent into its
// registration back-off.
import { AGENT_CHANNEL_PATH, AGENT_SEND_BUFFER_MAX_BYTES, encodeMessage, type MasterMessage, parseAgentMessage, ProtocolError } from "../agent/protocol.ts";
import { logger } from "../logging.ts";
import { type AgentConnection, normalizeIp } from "./agent_types.ts";
import type { Master } from "./master.ts";
import { NOT_RECOVERED } from "./registry_requests.ts";

const log = logger("agent_channel.ts");

/** ws.data of an agent socket; peer log sockets carry no `kind`. */
export interface AgentSocketData {
  kind: "agent";
  conn: SocketConnection | null;
}

/** WebSocket close code for "message too big / buffer exceeded" (RFC 6455 1009). */
const CLOSE_TOO_BIG = 1009;
const CLOSE_GOING_AWAY = 1001;
/** Frames held while the leader recovers (one (re-)registration per agent, and then some). */
export const HELD_FRAMES_MAX = 1 << 17;

export class SocketConnection implements AgentConnection {
  agent_id: string | null = null;
  principal: string | null = null;
  readonly ip: string;
  readonly remote: string;
  private closed = false;

  constructor(private readonly ws: Bun.ServerWebSocket<AgentSocketData>) {
    this.ip = normalizeIp(ws.remoteAddress);
    this.remote = this.ip;
  }

  send(message: MasterMessage): void {
    if (this.closed) return;
    const text = encodeMessage(message);
    // A reader that stops reading must not grow the master's memory: beyond the bound the socket goes.
    if (this.ws.getBufferedAmount() + text.length > AGENT_SEND_BUFFER_MAX_BYTES) {
      log.warning(`Closing agent connection ${this.remote}${this.agent_id ? ` (agent ${this.agent_id})` : ""}: more than ${AGENT_SEND_BUFFER_MAX_BYTES} bytes queued`);
      this.closed = true;
      this.ws.close(CLOSE_TOO_BIG, "send buffer exceeded");
      return;
    }
    this.ws.send(text);
  }

  /** The peer closed the socket. */
  markClosed(): void {
    this.closed = true;
  }

  isClosed(): boolean {
    return this.closed;
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.ws.close(CLOSE_GOING_AWAY, reason);
  }
}

export class AgentChannel {
  private held: { conn: SocketConnection; frame: string | Buffer }[] = [];
  private draining_armed = false;

  constructor(private readonly master: Master) {}

  /**
   * Upgrades an agent socket: false when the path is not the agent channel, a refusal
   * (503, one line) when this master does not accept agents now, true when upgraded.
   */
  upgrade(request: Request, server: Bun.Server<unknown>): boolean | Response {
    if (new URL(request.url).pathname !== AGENT_CHANNEL_PATH) return false;
    const refusal = !this.master.elected() ? "This master is not the leader" : null;
    if (refusal === null && (server as Bun.Server<AgentSocketData>).upgrade(request, { data: { kind: "agent", conn: null } })) return true;
    this.master.metrics.increment("master/agent_channel_refused");
    return new Response(refusal ?? "Expected a WebSocket upgrade", { status: refusal === null ? 400 : 503, headers: { "content-type": "text/plain; charset=utf-8" } });
  }

  open(ws: Bun.ServerWebSocket<AgentSocketData>): void {
    ws.data.conn = new SocketConnection(ws);
    // Leadership may have ended between the upgrade and the open.
    if (!this.master.elected()) ws.data.conn.close("not the leader");
  }

  message(ws: Bun.ServerWebSocket<AgentSocketData>, frame: string | Buffer): void {
    const conn = ws.data.conn;
    if (conn === null) return;
    if (!this.master.elected()) return this.master.agents.invalid(conn, "this master is not the leader");
    if (!this.master.agents.ready()) return this.hold(conn, frame);
    this.handle(conn, frame);
  }

  /** Keeps a frame for when the registry is recovered; beyond the bound the socket is closed (the agent retries). */
  private hold(conn: SocketConnection, frame: string | Buffer): void {
    if (this.held.length >= HELD_FRAMES_MAX) {
      conn.close(NOT_RECOVERED);
      return;
    }
    this.held.push({ conn, frame });
    if (this.draining_armed) return;
    this.draining_armed = true;
    this.master.agents.whenReady(() => {
      this.draining_armed = false;
      for (const { conn: held, frame: f } of this.held.splice(0)) if (!held.isClosed()) this.handle(held, f);
    });
  }

  private handle(conn: SocketConnection, frame: string | Buffer): void {
    let message;
    try {
      message = parseAgentMessage(frame);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      return this.master.agents.invalid(conn, error.message);
    }
    this.master.agents.receive(conn, message);
  }

  close(ws: Bun.ServerWebSocket<AgentSocketData>): void {
    const conn = ws.data.conn;
    if (conn === null) return;
    conn.markClosed();
    this.master.agents.authentication.closed(conn);
    this.master.agents.disconnected(conn);
  }
}

export function isAgentSocket(ws: Bun.ServerWebSocket<unknown>): ws is Bun.ServerWebSocket<AgentSocketData> {
  const data = ws.data as { kind?: string } | undefined;
  return data?.kind === "agent";
}
