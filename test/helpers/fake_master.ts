// A fake master for agent tests: a WebSocket server at the agent channel path that records every
// frame an agent sends, answers (re-)registrations, sends what a test tells it to, and can lead
// a ZooKeeper group by joining it with its MasterInfo JSON.
import { randomUUID } from "node:crypto";
import { AGENT_CHANNEL_PATH, type AgentMessage, parseAgentMessage } from "../../host/agent/protocol.ts";
import { makeMasterInfo, masterInfoJson } from "../../host/master/info.ts";
import { Group, type Membership } from "../../host/zk/group.ts";
import { parseZkUrl, type ZkUrl } from "../../host/zk/url.ts";
import { until } from "./log_cluster.ts";

/** A frame the fake master received, and which socket (in the order they opened) it came on. */
export type Received = { socket: number; message: AgentMessage };

type Socket = Bun.ServerWebSocket<{ n: number }>;

export class FakeMaster {
  readonly id = randomUUID();
  readonly received: Received[] = [];
  readonly sockets: Socket[] = [];
  /** Sockets the agent closed, by number. */
  readonly closed: number[] = [];
  /** Sent in each registration's `connection`. */
  total_ping_timeout_seconds = 75;
  private readonly server: Bun.Server<{ n: number }>;

  /** Listens on a free loopback port; pushes its stop() onto `cleanup`. */
  constructor(cleanup: (() => void)[]) {
    this.server = Bun.serve<{ n: number }>({
      hostname: "127.0.0.1",
      port: 0,
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
    this.received.push({ socket: ws.data.n, message });
    const connection = { total_ping_timeout_seconds: this.total_ping_timeout_seconds };
    if (message.type === "REGISTER_SLAVE") this.send({ type: "SLAVE_REGISTERED", slave_id: { value: `${this.id}-S0` }, connection }, ws);
    if (message.type === "REREGISTER_SLAVE") this.send({ type: "SLAVE_REREGISTERED", slave_id: message.slave.id, connection }, ws);
  }
}
