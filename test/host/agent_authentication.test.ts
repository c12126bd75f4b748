// Proves the agent channel's authentication in process, a real Agent wired to a real agents service: the right credential authenticates both ways and registers bound to its principal; a wrong secret, an unknown principal or a master without credentials is refused (the agent exits 1); an impostor master is left; replayed answers, stray frames, unanswered challenges and too many in flight are refused; with --authenticate_agents unauthenticated frames are dropped and counted; and an agent id stays with the principal and socket address that registered it.
import { afterEach, describe, expect, test } from "bun:test";
import { Agent } from "../../host/agent/agent.ts";
import type { AgentChannel, ChannelHandlers } from "../../host/agent/channel.ts";
import { type AgentMessage, encodeMessage, type MasterMessage, parseAgentMessage, ProtocolError } from "../../host/agent/protocol.ts";
import { AUTHENTICATION_TIMEOUT_MS, AUTHENTICATIONS_PENDING_MAX } from "../../host/master/agent_auth.ts";
import type { AgentsOptions } from "../../host/master/agents.ts";
import { Credentials } from "../../host/security/credentials.ts";
import { nonce } from "../../host/security/hmac.ts";
import { agentsFixture, FakeConnection, type Fixture, registerMessage, reregisterMessage, settle, slaveInfo } from "../helpers/master_agents.ts";

const credentials = new Credentials([{ principal: "test-agent", secret: "agent-secret" }, { principal: "intruder", secret: "intruder-secret" }]);
const required = { credentials, required: true };
const leader = { id: "M1", host: "10.0.0.1", port: 5050, hostname: "m1", pid: "master@10.0.0.1:5050" };
const stops: (() => void)[] = [];
afterEach(() => stops.splice(0).forEach((stop) => stop()));

/** An agent channel whose other end is the agents service: frames cross as the JSON text a socket carries. */
class Link implements AgentChannel {
  readonly url = "ws://link/agent/channel";
  readonly opened_at_ms = Date.now();
  readonly conn: FakeConnection;
  readonly from_agent: AgentMessage[] = [];
  private handlers: ChannelHandlers | null;

  constructor(private readonly f: Fixture, handlers: ChannelHandlers, ip: string) {
    this.handlers = handlers;
    const link = this;
    this.conn = new (class extends FakeConnection {
      override send(m: MasterMessage): void {
        super.send(m);
        queueMicrotask(() => link.handlers?.frame(encodeMessage(m)));
      }
      override close(reason: string): void {
        super.close(reason);
        queueMicrotask(() => link.drop(reason));
      }
    })(`${ip}:40000`);
    queueMicrotask(() => this.handlers?.open());
  }

  isOpen(): boolean {
    return this.handlers !== null;
  }

  send(message: AgentMessage): boolean {
    if (this.handlers === null) return false;
    const parsed = parseAgentMessage(encodeMessage(message));
    this.from_agent.push(parsed);
    this.f.agents.receive(this.conn, parsed);
    return true;
  }

  close(): void {
    this.handlers = null;
  }

  private drop(reason: string): void {
    const handlers = this.handlers;
    this.handlers = null;
    handlers?.closed(reason);
  }
}

/** A socket to a master the test speaks for. */
class Manual implements AgentChannel {
  readonly url = "ws://manual/agent/channel";
  readonly opened_at_ms = Date.now();
  readonly sent: AgentMessage[] = [];
  closed = false;
  constructor(private readonly handlers: ChannelHandlers) {}
  isOpen(): boolean {
    return !this.closed;
  }
  send(message: AgentMessage): boolean {
    this.sent.push(parseAgentMessage(encodeMessage(message)));
    return true;
  }
  close(): void {
    this.closed = true;
  }
  deliver(message: MasterMessage): void {
    if (!this.closed) this.handlers.frame(encodeMessage(message));
  }
}

/** A real agent at 10.0.0.5 (unless `ip`) with `credential`, following the agents service `f` over Links. */
function agentOf(f: Fixture, credential: { principal: string; secret: string } | null, ip = "10.0.0.5") {
  const links: Link[] = [];
  const exits: number[] = [];
  const agent = new Agent({
    info: { hostname: "a1", port: 5051, resources: [], attributes: [], checkpoint: true }, pid: `slave(1)@${ip}:5051`,
    recovered: null, registration_backoff_factor_ms: 0, random: () => 1, credential,
    channel: (_host, _port, handlers) => {
      const link = new Link(f, handlers, ip);
      links.push(link);
      return link;
    },
    persist: () => {}, exit: (status) => void exits.push(status),
  });
  stops.push(() => agent.stop());
  agent.detected(leader);
  return { agent, links, exits };
}

async function until(ok: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !ok(); i++) {
    await settle();
    await Bun.sleep(5);
  }
  if (!ok()) throw new Error(`timed out waiting for ${what}`);
}

async function fixture(argv: string[] = [], authentication: AgentsOptions["authentication"] = required): Promise<Fixture> {
  const f = await agentsFixture(argv, [], authentication);
  stops.push(() => f.agents.stop());
  return f;
}

const types = (messages: { type: string }[]) => messages.map((m) => m.type);
/** The types in the order they first appear (registrations are resent until answered). */
const firsts = (messages: { type: string }[]) => [...new Set(types(messages))];

describe("the handshake", () => {
  test("the right credential: both sides prove the secret, then the agent registers, bound to its principal", async () => {
    const f = await fixture();
    const { agent, links, exits } = agentOf(f, { principal: "test-agent", secret: "agent-secret" });
    await until(() => agent.phase === "registered", "registration");
    const link = links[0]!;
    expect(firsts(link.from_agent).slice(0, 3)).toEqual(["AUTHENTICATE", "AUTHENTICATION_RESPONSE", "REGISTER_SLAVE"]);
    expect(types(link.conn.sent).slice(0, 3)).toEqual(["AUTHENTICATION_CHALLENGE", "AUTHENTICATED", "SLAVE_REGISTERED"]);
    expect(link.conn.principal).toBe("test-agent");
    expect(f.agents.principals.get(agent.id!)).toBe("test-agent");
    expect([f.metric("master/messages_authenticate"), f.metric("master/agent_authentication_failures"), exits.length]).toEqual([1, 0, 0]);
  });

  test("a wrong secret and an unknown principal are refused alike: AUTHENTICATION_FAILED, socket closed, the agent exits 1 unregistered", async () => {
    for (const credential of [{ principal: "test-agent", secret: "guessed" }, { principal: "nobody", secret: "agent-secret" }]) {
      const f = await fixture();
      const { agent, links, exits } = agentOf(f, credential);
      await until(() => exits.length > 0, "the agent's exit");
      expect(exits).toEqual([1]);
      expect(types(links[0]!.conn.sent)).toEqual(["AUTHENTICATION_CHALLENGE", "AUTHENTICATION_FAILED"]);
      expect(links[0]!.conn.last()).toMatchObject({ message: "Authentication failed: invalid credentials" });
      expect(links[0]!.conn.closed).not.toBeNull();
      expect([agent.phase === "registered", f.agents.registered.size, f.metric("master/agent_authentication_failures")]).toEqual([false, 0, 1]);
    }
  });

  test("a master without --credentials refuses every request (the agent exits 1), as Mesos's authenticator without credentials does", async () => {
    const f = await fixture([], { credentials: null, required: false });
    const { links, exits } = agentOf(f, { principal: "test-agent", secret: "agent-secret" });
    await until(() => exits.length > 0, "the agent's exit");
    expect(links[0]!.conn.sent).toEqual([{ type: "AUTHENTICATION_FAILED", master_id: "M1", message: "Authentication refused: this master has no --credentials" }]);
  });

  test("without --authenticate_agents a master with credentials still authenticates agents that ask, and lets others register unauthenticated", async () => {
    const f = await fixture([], { credentials, required: false });
    const authenticated = agentOf(f, { principal: "test-agent", secret: "agent-secret" }, "10.0.0.5");
    const plain = agentOf(f, null, "10.0.0.6");
    await until(() => authenticated.agent.phase === "registered" && plain.agent.phase === "registered", "both registrations");
    expect([authenticated.links[0]!.conn.principal, plain.links[0]!.conn.principal]).toEqual(["test-agent", null]);
    expect(firsts(plain.links[0]!.from_agent)[0]).toBe("REGISTER_SLAVE"); // no handshake without a credential
  });

  test("an impostor master that cannot prove the secret is left (nothing it says is acted on) and so is one answering AUTHENTICATION_ERROR; the agent retries on a new socket, never exits", async () => {
    const channels: Manual[] = [];
    const exits: number[] = [];
    const agent = new Agent({
      info: { hostname: "a1", port: 5051, resources: [], attributes: [], checkpoint: true }, pid: "slave(1)@10.0.0.5:5051",
      recovered: null, registration_backoff_factor_ms: 0, random: () => 1, credential: { principal: "test-agent", secret: "agent-secret" },
      channel: (_host, _port, handlers) => {
        const channel = new Manual(handlers);
        channels.push(channel);
        queueMicrotask(() => handlers.open());
        return channel;
      },
      persist: () => {}, exit: (status) => void exits.push(status),
    });
    stops.push(() => agent.stop());
    agent.detected(leader);
    await until(() => channels[0]?.sent.length === 1, "the AUTHENTICATE");
    channels[0]!.deliver({ type: "SLAVE_REGISTERED", master_id: "M1", slave_id: { value: "M1-S0" }, connection: { total_ping_timeout_seconds: 75 } });
    channels[0]!.deliver({ type: "AUTHENTICATION_CHALLENGE", master_id: "M1", nonce: nonce() });
    channels[0]!.deliver({ type: "AUTHENTICATED", master_id: "M1", mac: nonce() }); // a guess: it holds no secret
    expect(types(channels[0]!.sent)).toEqual(["AUTHENTICATE", "AUTHENTICATION_RESPONSE"]);
    expect([agent.phase, agent.counters.authentication_failures, channels[0]!.closed]).toEqual(["waiting", 1, true]);
    await until(() => channels[1]?.sent.length === 1, "a second socket's AUTHENTICATE");
    channels[1]!.deliver({ type: "AUTHENTICATION_ERROR", master_id: "M1", message: "Too many authentications in progress; try again later" });
    expect([agent.counters.authentication_failures, channels[1]!.closed]).toEqual([2, true]);
    await until(() => channels.length === 3, "a third socket");
    expect(exits).toEqual([]);
  });
});

describe("the master's side of the exchange", () => {
  const authenticate = (f: Fixture, conn: FakeConnection, principal = "test-agent", n = nonce()) =>
    f.agents.receive(conn, { type: "AUTHENTICATE", principal, nonce: n });

  test("an answer is good for its own challenge only: replayed on another socket it is refused", async () => {
    const f = await fixture();
    const { agent, links } = agentOf(f, { principal: "test-agent", secret: "agent-secret" });
    await until(() => agent.phase === "registered", "registration");
    const [hello, answer] = links[0]!.from_agent as [Extract<AgentMessage, { type: "AUTHENTICATE" }>, AgentMessage];
    const replay = new FakeConnection("10.0.0.9:40000");
    authenticate(f, replay, hello.principal, hello.nonce);
    f.agents.receive(replay, answer);
    expect(types(replay.sent)).toEqual(["AUTHENTICATION_CHALLENGE", "AUTHENTICATION_FAILED"]);
    expect(replay.principal).toBeNull();
  });

  test("one exchange per socket; a response without a challenge is dropped; REGISTER while authenticating is dropped", async () => {
    const f = await fixture([], { credentials, required: false });
    const conn = new FakeConnection("10.0.0.0:40000");
    f.agents.receive(conn, { type: "AUTHENTICATION_RESPONSE", mac: nonce() });
    authenticate(f, conn);
    f.agents.receive(conn, registerMessage(0));
    authenticate(f, conn);
    await settle();
    expect(types(conn.sent)).toEqual(["AUTHENTICATION_CHALLENGE"]);
    expect(f.metric("master/unauthenticated_agent_messages")).toBe(1);
    expect(f.metric("master/dropped_messages")).toBe(3);
  });

  test("a challenge unanswered for AUTHENTICATION_TIMEOUT_MS ends in AUTHENTICATION_ERROR and a closed socket; beyond AUTHENTICATIONS_PENDING_MAX in flight the next is told to retry", async () => {
    const f = await fixture();
    const conns = Array.from({ length: AUTHENTICATIONS_PENDING_MAX + 1 }, () => new FakeConnection("10.0.0.0:40000"));
    for (const conn of conns) authenticate(f, conn);
    expect(f.agents.authentication.inProgress).toBe(AUTHENTICATIONS_PENDING_MAX);
    expect(conns.at(-1)!.sent).toEqual([{ type: "AUTHENTICATION_ERROR", master_id: "M1", message: "Too many authentications in progress; try again later" }]);
    expect(conns.at(-1)!.closed).not.toBeNull();
    await f.clock.advance(AUTHENTICATION_TIMEOUT_MS - 1);
    expect(conns[0]!.closed).toBeNull();
    await f.clock.advance(1);
    expect(conns[0]!.last()).toEqual({ type: "AUTHENTICATION_ERROR", master_id: "M1", message: "Authentication timed out" });
    expect([conns[0]!.closed !== null, f.agents.authentication.inProgress]).toEqual([true, 0]);
  });

  test("with --authenticate_agents every frame on an unauthenticated socket is dropped and counted", async () => {
    const f = await fixture();
    const conn = new FakeConnection("10.0.0.0:40000");
    f.agents.receive(conn, registerMessage(0));
    f.agents.receive(conn, { type: "PONG_SLAVE" });
    await settle();
    expect(conn.sent).toEqual([]);
    expect([f.metric("master/unauthenticated_agent_messages"), f.agents.registered.size]).toEqual([2, 0]);
  });
});

test("nonces and MACs travel as base64 of exactly 32 bytes; anything else is a malformed frame", () => {
  const n = nonce();
  expect(parseAgentMessage(encodeMessage({ type: "AUTHENTICATE", principal: "p", nonce: n }))).toEqual({ type: "AUTHENTICATE", principal: "p", nonce: n });
  for (const bad of [Buffer.from(n.slice(0, 31)).toString("base64"), "not base64!", 42]) {
    expect(() => parseAgentMessage(JSON.stringify({ type: "AUTHENTICATION_RESPONSE", mac: bad }))).toThrow(ProtocolError);
  }
  expect(() => parseAgentMessage(JSON.stringify({ type: "AUTHENTICATE", principal: "x".repeat(257), nonce: Buffer.from(n).toString("base64") }))).toThrow(ProtocolError);
});

describe("binding an agent id", () => {
  async function registeredBy(f: Fixture, principal: string | null) {
    const conn = new FakeConnection("10.0.0.0:40000");
    conn.principal = principal;
    f.agents.receive(conn, registerMessage(0));
    await settle();
    return { conn, id: conn.of("SLAVE_REGISTERED")[0]!.slave_id.value };
  }

  test("another principal re-registering the id gets no answer and the agent stays on its socket; its own principal on a new socket re-registers it", async () => {
    const f = await fixture();
    const real = await registeredBy(f, "test-agent");
    const hijacker = new FakeConnection("10.0.0.0:40001");
    hijacker.principal = "intruder";
    f.agents.receive(hijacker, reregisterMessage(0, real.id));
    f.agents.receive(hijacker, registerMessage(0)); // the same pid: not handed the agent's id either
    await settle();
    expect(hijacker.sent).toEqual([]);
    expect(f.agents.registered.get(real.id)!.conn).toBe(real.conn);
    expect([real.conn.closed, f.metric("master/refused_agent_registrations")]).toEqual([null, 2]);
    const restarted = new FakeConnection("10.0.0.0:40002");
    restarted.principal = "test-agent";
    f.agents.receive(restarted, reregisterMessage(0, real.id));
    await settle();
    expect(types(restarted.sent)).toContain("SLAVE_REREGISTERED");
  });

  test("a pid naming another IP than the socket's is refused, for registration and re-registration", async () => {
    const f = await fixture([], { credentials, required: false });
    const real = await registeredBy(f, null);
    const elsewhere = new FakeConnection("10.0.0.9:40000");
    f.agents.receive(elsewhere, registerMessage(3)); // pid 10.0.0.3
    f.agents.receive(elsewhere, reregisterMessage(0, real.id)); // pid 10.0.0.0
    await settle();
    expect(elsewhere.sent).toEqual([]);
    expect([f.metric("master/refused_agent_registrations"), f.agents.registered.size]).toEqual([2, 1]);
  });

  test("after a failover the first principal to re-register a recovered id binds it; another is then refused", async () => {
    const info = { ...slaveInfo(0), id: { value: "OLD-S0" } };
    const f = await agentsFixture([], [{ type: "ADMIT_SLAVE", info }], required);
    stops.push(() => f.agents.stop());
    const first = new FakeConnection("10.0.0.0:40000");
    first.principal = "test-agent";
    f.agents.receive(first, reregisterMessage(0, "OLD-S0"));
    await settle();
    expect(types(first.sent)).toContain("SLAVE_REREGISTERED");
    const second = new FakeConnection("10.0.0.0:40001");
    second.principal = "intruder";
    f.agents.receive(second, reregisterMessage(0, "OLD-S0"));
    await settle();
    expect(second.sent).toEqual([]);
    expect(f.agents.principals.get("OLD-S0")).toBe("test-agent");
  });
});
