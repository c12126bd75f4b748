// A fake master for agent tests: a WebSocket server at the agent channel path that records every
// frame an agent sends, answers (re-)registrations, sends what a test tells it to, and can lead
// a ZooKeeper group by joining it with its MasterInfo JSON. Under the security profile it speaks
// mutual TLS and answers the agent's authentication as a master with the profile's credentials
// does (the exchange itself is not recorded: tests read what the agent sends afterwards).
import { randomUUID } from "node:crypto";
import { AGENT_CHANNEL_PATH, type AgentMessage, parseAgentMessage } from "../../host/agent/protocol.ts";
import { makeMasterInfo, masterInfoJson } from "../../host/master/info.ts";
import { Group, type Membership } from "../../host/zk/group.ts";
import { parseZkUrl, type ZkUrl } from "../../host/zk/url.ts";
import { until } from "./log_cluster.ts";
import { AGENT_MAC_LABEL, encodeMessage, MASTER_MAC_LABEL } from "../../host/agent/protocol.ts";
import { mac, macEqual, nonce } from "../../host/security/hmac.ts";
import { loadTls, serverTls } from "../../host/security/tls.ts";
import { AGENT_PRINCIPAL, AGENT_SECRET, secure, tlsEnv } from "./security.ts";

/** A frame the fake master received, and which socket (in the order they opened) it came on. */
export type Received = { socket: number; message: AgentMessage };

type Socket = Bun.ServerWebSocket<{ n: number; nonce_a?: Uint8Array; nonce_m?: Uint8Array }>;

export class FakeMaster {
  readonly id = randomUUID();
  readonly received: Received[] = [];
  readonly sockets: Socket[] = [];
  /** Sockets the agent closed, by number. */
  readonly closed: number[] = [];
  /** Sent in each registration's `connection`. */
  total_ping_timeout_seconds = 75;
  private readonly server: Bun.Server<{ n: number }>;
  /** Whether the fake speaks TLS and authenticates agents (the security profile). */
  readonly secured = secure();

  /** Listens on a free loopback port; pushes its stop() onto `cleanup`. */
  constructor(cleanup: (() => void)[]) {
    const tls = this.secured ? loadTls(tlsEnv()) : null;
    this.server = Bun.serve<{ n: number }>({
      hostname: "127.0.0.1",
      port: 0,
      ...(tls === null ? {} : { tls: serverTls(tls) }),
      fetch: (request, server) => {
        if (new URL(request.url).pathname === AGENT_CHANNEL_PATH && server.upgrade(request, { data: { n: this.sockets.length } })) return undefined;
        return new Response("", { status: 404 });
      },
      websocket: {
        open: (ws) => void this.sockets.push(ws),
        message: (ws, frame) => this.message(ws, typeof frame === "string" ? frame : frame.toString()),
        close: (ws) => void this.closed.push(ws.data.n),
      },
    });
    cleanup.push(() => this.stop());
  }

  get port(): number {
    return this.server.port!;
  }

  /** The socket the agent opened last. */
  get socket(): Socket {
    return this.sockets[this.sockets.length - 1]!;
  }

  /** A string as is; an object as JSON with this master's id as master_id (unless it names one). */
  send(message: object | string, socket = this.socket): void {
    socket.send(typeof message === "string" ? message : JSON.stringify({ master_id: this.id, ...message }));
  }

  stop(): void {
    this.server.stop(true);
  }

  /** The first `type` frame received after the first `after` frames. */
  async next(type: AgentMessage["type"], after = 0): Promise<Received> {
    return await until(() => this.received.slice(after).find((r) => r.message.type === type), `${type} at the fake master`);
  }

  /** Joins the group at zk://`connect``path` as json.info with this master's MasterInfo (hostname fake.test), so agents there follow it. */
  async lead(connect: string, path: string): Promise<{ group: Group; membership: Membership }> {
    const group = new Group({ url: parseZkUrl(`zk://${connect}${path}`) as ZkUrl, session_timeout_ms: 5000 });
    const info = { ...makeMasterInfo("127.0.0.1", this.port, "fake.test"), id: this.id };
    const { membership } = await group.join(Buffer.from(masterInfoJson(info)), "json.info");
    return { group, membership };
  }

  private message(ws: Socket, frame: string): void {
    const message = parseAgentMessage(frame);
    if (this.authentication(ws, message)) return;
    this.received.push({ socket: ws.data.n, message });
    const connection = { total_ping_timeout_seconds: this.total_ping_timeout_seconds };
    if (message.type === "REGISTER_SLAVE") this.send({ type: "SLAVE_REGISTERED", slave_id: { value: `${this.id}-S0` }, connection }, ws);
    if (message.type === "REREGISTER_SLAVE") this.send({ type: "SLAVE_REREGISTERED", slave_id: message.slave.id, connection }, ws);
  }

  /** The master's half of the agent's challenge-response for the profile's agent principal; false for other messages. */
  private authentication(ws: Socket, message: AgentMessage): boolean {
    const secret = new TextEncoder().encode(AGENT_SECRET);
    if (message.type === "AUTHENTICATE") {
      ws.data.nonce_a = message.nonce;
      ws.data.nonce_m = nonce();
      ws.send(encodeMessage({ type: "AUTHENTICATION_CHALLENGE", master_id: this.id, nonce: ws.data.nonce_m }));
      return true;
    }
    if (message.type !== "AUTHENTICATION_RESPONSE") return false;
    const { nonce_a, nonce_m } = ws.data;
    if (nonce_a === undefined || nonce_m === undefined) return true;
    if (!macEqual(mac(secret, AGENT_MAC_LABEL, [AGENT_PRINCIPAL, nonce_m, nonce_a]), message.mac)) {
      ws.send(encodeMessage({ type: "AUTHENTICATION_FAILED", master_id: this.id, message: "Authentication failed" }));
      return true;
    }
    ws.send(encodeMessage({ type: "AUTHENTICATED", master_id: this.id, mac: mac(secret, MASTER_MAC_LABEL, [AGENT_PRINCIPAL, nonce_a, nonce_m]) }));
    return true;
  }
}
