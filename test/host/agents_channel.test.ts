// Proves the agent channel over a real WebSocket: a non-leader refuses the upgrade with 503 and counts it; a leader still recovering holds registrations until it is ready; on the recovered leader a malformed frame is dropped and counted with the socket kept, REGISTER_SLAVE is answered with SLAVE_REGISTERED and a ping, a pid naming another IP than the socket's is refused, and closing the socket disconnects the agent.
import { afterEach, expect, test } from "bun:test";
import { AGENT_CHANNEL_PATH } from "../../host/agent/protocol.ts";
import { AgentChannel, isAgentSocket } from "../../host/master/agent_channel.ts";
import { Master } from "../../host/master/master.ts";
import { parseMasterFlags } from "../../host/master/flags.ts";
import { makeMasterInfo } from "../../host/master/info.ts";
import { MemoryStorage, type RegistryStorage } from "../../host/registry/storage.ts";
import { otherMaster, testMaster } from "../helpers/master.ts";
import { registerMessage } from "../helpers/master_agents.ts";

const cleanup: (() => void)[] = [];
/** The master compares a pid's IP with the socket's: these sockets come from loopback. */
const loopbackRegistration = { ...registerMessage(0), pid: "slave(1)@127.0.0.1:5051" };
afterEach(() => cleanup.splice(0).forEach((f) => f()));

function serveChannel(master: Master) {
  const channel = new AgentChannel(master);
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (request, srv) => {
      const upgraded = channel.upgrade(request, srv as Bun.Server<unknown>);
      return upgraded === true ? undefined : upgraded === false ? new Response("", { status: 404 }) : upgraded;
    },
    websocket: {
      open: (ws) => (isAgentSocket(ws) ? channel.open(ws) : undefined),
      message: (ws, m) => (isAgentSocket(ws) ? channel.message(ws, m) : undefined),
      close: (ws) => (isAgentSocket(ws) ? channel.close(ws) : undefined),
    },
  });
  cleanup.push(() => server.stop(true));
  return `127.0.0.1:${server.port}`;
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await Bun.sleep(5);
  expect(check()).toBe(true);
}

test("a standby refuses agent sockets with 503 and counts them", async () => {
  const master = testMaster();
  cleanup.push(() => master.stop());
  master.detected(otherMaster());
  const address = serveChannel(master);
  const response = await fetch(`http://${address}${AGENT_CHANNEL_PATH}`, { headers: { upgrade: "websocket", connection: "Upgrade", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-version": "13" } });
  expect([response.status, await response.text()]).toEqual([503, "This master is not the leader"]);
  expect(master.metrics.snapshot()["master/agent_channel_refused"]).toBe(1);
});

/** A test master made leader, its agent channel ready. */
async function recoveredLeader(): Promise<Master> {
  const master = testMaster();
  cleanup.push(() => master.stop());
  master.detected(master.info);
  await until(() => master.agents.ready());
  return master;
}

/** A WebSocket to the master's agent channel, open, with every message it receives parsed. */
async function agentSocket(master: Master): Promise<{ ws: WebSocket; received: any[] }> {
  const ws = new WebSocket(`ws://${serveChannel(master)}${AGENT_CHANNEL_PATH}`);
  const received: any[] = [];
  ws.onmessage = (event) => received.push(JSON.parse(String(event.data)));
  await new Promise((resolve) => (ws.onopen = resolve));
  return { ws, received };
}

test("the leader's channel: malformed frames are counted, registration is answered, a close disconnects", async () => {
  const master = await recoveredLeader();
  const { ws, received } = await agentSocket(master);
  ws.send("{not json");
  ws.send(JSON.stringify({ type: "PING_SLAVE" }));
  ws.send(JSON.stringify(loopbackRegistration));
  await until(() => received.length >= 2);
  const metrics = master.metrics.snapshot();
  expect([metrics["master/invalid_agent_messages"], metrics["master/dropped_messages"]]).toEqual([2, 2]);
  expect(received.map((m) => m.type)).toEqual(["SLAVE_REGISTERED", "PING_SLAVE"]);
  expect(received[0]).toMatchObject({ master_id: master.info.id, slave_id: { value: `${master.info.id}-S0` } });
  ws.close();
  await until(() => master.metrics.snapshot()["master/slaves_disconnected"] === 1);
  expect(master.metrics.snapshot()["master/slaves_inactive"]).toBe(1);
});

test("a leader still recovering accepts agent sockets and answers their held registrations once recovered", async () => {
  const result = parseMasterFlags(["--registry=in_memory", "--ip=127.0.0.1"], {});
  if (result.kind !== "flags") throw new Error("flags expected");
  const storage = Promise.withResolvers<RegistryStorage>();
  const master = new Master({ flags: result.values, info: makeMasterInfo("127.0.0.1", 5050, "m1.example.com"), storage: storage.promise });
  cleanup.push(() => master.stop());
  master.detected(master.info);
  const { ws, received } = await agentSocket(master);
  ws.send(JSON.stringify(loopbackRegistration));
  await Bun.sleep(50);
  expect(master.agents.ready()).toBe(false);
  expect(received).toEqual([]);
  storage.resolve(new MemoryStorage()); // the registry recovers
  await until(() => received.some((m) => m.type === "SLAVE_REGISTERED"));
  expect(master.metrics.snapshot()["master/slave_registrations"]).toBe(1);
  ws.close();
});

test("a registration whose pid names another IP than the socket's is refused and counted; the same from the socket's IP is answered", async () => {
  const master = await recoveredLeader();
  const { ws, received } = await agentSocket(master);
  ws.send(JSON.stringify(registerMessage(7))); // pid slave(1)@10.0.0.7:5051
  await until(() => master.metrics.snapshot()["master/refused_agent_registrations"] === 1);
  ws.send(JSON.stringify(loopbackRegistration));
  await until(() => received.length >= 1);
  expect(received[0]).toMatchObject({ type: "SLAVE_REGISTERED" });
  expect(master.metrics.snapshot()["master/slave_registrations"]).toBe(1);
  ws.close();
});
