// Proves a real master and real agents live through partitions as Mesos's partition tests say (mesos-spec §5.3–5.5, §5.7, §8.4): a cut agent is marked unreachable but not shut down, re-registers as itself when healed, re-detects when pings stop (one-way cut, paused master), and the registry GC prunes unreachable agents by count and by age.
import { afterEach, beforeEach, expect, setDefaultTimeout, test } from "bun:test";
import { type AgentProcess, Cluster, getJson, type MasterProcess, registryOf, until } from "../helpers/agents.ts";
import type { TcpProxy } from "../../host/net/proxy.ts";
import { tlsFetch } from "../helpers/security.ts";

setDefaultTimeout(60_000);

let cluster: Cluster;
beforeEach(() => {
  cluster = new Cluster();
});
afterEach(async () => {
  await cluster.destroy();
});

/** A master, and one agent that reaches it through a proxy (static --master=<proxy>). */
async function proxiedAgent(): Promise<{ master: MasterProcess; proxy: TcpProxy; agent: AgentProcess; id: string }> {
  const master = await cluster.master();
  const proxy = await cluster.proxy(master.port);
  const agent = await cluster.agent(`127.0.0.1:${proxy.port}`);
  const id = await agent.registered();
  expect(await master.agentIds()).toEqual([id]);
  return { master, proxy, agent, id };
}

const unreachable = (master: MasterProcess, n = 1) => until(async () => (await master.metric("master/slaves_unreachable")) === n, `${n} unreachable agent(s) at the master`);

/** Waits until the agent is registered again, as `id`, with this master: both sides agree. */
async function reregistered(master: MasterProcess, agent: AgentProcess, id: string): Promise<void> {
  expect(await agent.registered(`${agent.hostname} to re-register`)).toBe(id);
  await until(async () => (await master.agentIds()).includes(id), "the agent back in the master's /state");
  expect((await agent.state()).master_id).toBe((await master.state()).id);
  expect(await master.metric("master/slaves_unreachable")).toBe(0);
  expect(await master.metric("master/slaves_active")).toBe(1);
  const registry = await registryOf(master.base);
  expect(registry.admitted).toEqual([id]);
  expect(registry.unreachable).toEqual([]);
}

test("PartitionedSlave: an agent cut off both ways is marked unreachable after the ping timeouts, and is not shut down", async () => {
  const { master, proxy, agent, id } = await proxiedAgent();
  proxy.blackholeTx();
  proxy.blackholeRx();
  await unreachable(master);
  const state = await master.state();
  expect(state.unreachable_slaves).toBe(1);
  expect(state.activated_slaves).toBe(0);
  expect(state.slaves).toEqual([]);
  expect((await getJson(`${master.base}/slaves`)).slaves).toEqual([]);
  const metrics = await (await tlsFetch(`${master.base}/metrics/snapshot`)).json() as Record<string, number>;
  expect(metrics["master/slave_unreachable_scheduled"]).toBe(1);
  expect(metrics["master/slave_unreachable_completed"]).toBe(1);
  expect(metrics["master/slave_removals/reason_unhealthy"]).toBe(1);
  expect(metrics["master/slaves_connected"]).toBe(0);
  expect(master.running.stderr()).toContain(`Marked agent ${id} (${agent.hostname}) unreachable: health check timed out`);
  expect(await registryOf(master.base)).toEqual({ admitted: [], unreachable: [id], gone: [] });
  // The agent is told nothing and keeps running: it stops hearing pings and looks for its master.
  await until(() => agent.running.stderr().includes("No pings from master received within 2secs"), "the agent's no-ping timeout");
  expect(agent.running.exitCode()).toBeNull();
  expect((await agent.state()).registered).toBe(false);
  expect(agent.running.stderr()).not.toContain("asked to shut down");
});

test("ReregisterSlave: once the partition heals, the agent re-registers as itself and the registry admits it again", async () => {
  const { master, proxy, agent, id } = await proxiedAgent();
  proxy.blackholeTx();
  proxy.blackholeRx();
  await unreachable(master);
  proxy.unblackholeTx();
  proxy.unblackholeRx();
  await reregistered(master, agent, id);
  expect(await master.metric("master/slave_reregistrations")).toBe(1);
  expect(await master.metric("master/slave_registrations")).toBe(1);
  expect(master.running.stderr()).toMatch(new RegExp(`Re-registered agent ${id} at slave\\(1\\)@127\\.0\\.0\\.1:${agent.port}`));
  expect(agent.running.exitCode()).toBeNull();
});

test("OneWayPartition MasterToSlave: the agent hears nothing, re-detects its master, and is registered again once the link heals", async () => {
  const { master, proxy, agent, id } = await proxiedAgent();
  proxy.blackholeRx(); // master -> agent only: the agent still reaches the master
  await until(() => agent.running.stderr().includes("No pings from master received within 2secs"), "the agent's no-ping timeout");
  // No ping arrives, so no pong leaves: the master marks the agent unreachable too.
  await unreachable(master);
  expect((await agent.state()).registered).toBe(false);
  proxy.unblackholeRx();
  await reregistered(master, agent, id);
  expect(await master.metric("master/slave_reregistrations")).toBe(1);
});

test("PingTimeoutNoPings: while the master is paused the agent re-detects; it re-registers once the master answers", async () => {
  const master = await cluster.master();
  const agent = await cluster.agent(`127.0.0.1:${master.port}`);
  const id = await agent.registered();
  master.running.kill("SIGSTOP");
  try {
    await until(() => agent.running.stderr().includes("No pings from master received within 2secs"), "the agent's no-ping timeout");
    expect((await agent.state()).registered).toBe(false);
  } finally {
    master.running.kill("SIGCONT");
  }
  expect(await agent.registered(`${agent.hostname} to re-register`)).toBe(id);
  await until(async () => (await master.agentIds()).includes(id) && (await master.metric("master/slaves_active")) === 1, "the agent active at the master");
  expect(agent.running.stderr()).toMatch(new RegExp(`Re-registered with master master@127\\.0\\.0\\.1:${master.port} \\(id [-0-9a-f]+\\); agent ID ${id}`));
  expect(await master.metric("master/slave_registrations")).toBe(1);
  expect(await registryOf(master.base)).toEqual({ admitted: [id], unreachable: [], gone: [] });
});

/** Two agents on `master`, SIGSTOPped (hung: their sockets stay up, their pongs stop) and marked unreachable in turn, oldest first. */
async function twoUnreachable(master: MasterProcess): Promise<string[]> {
  const agents = [await cluster.agent(`127.0.0.1:${master.port}`), await cluster.agent(`127.0.0.1:${master.port}`)];
  const ids = [await agents[0]!.registered(), await agents[1]!.registered()];
  for (const [i, agent] of agents.entries()) {
    agent.running.kill("SIGSTOP");
    await until(() => master.running.stderr().includes(`Marked agent ${ids[i]} (${agent.hostname}) unreachable`), `agent ${i} unreachable`);
  }
  return ids;
}

test("RegistryGcByCount: with --registry_max_agent_count=1 only the newest unreachable agent stays in the registry", async () => {
  const master = await cluster.master(["--registry_max_agent_count=1"]);
  const ids = await twoUnreachable(master);
  await until(async () => (await registryOf(master.base)).unreachable.length === 1, "the registry GC to prune to one");
  expect(await registryOf(master.base)).toEqual({ admitted: [], unreachable: [ids[1]!], gone: [] });
  expect(master.running.stderr()).toContain("Garbage collecting 1 unreachable and 0 gone agents from the registry");
  const metrics = await (await tlsFetch(`${master.base}/metrics/snapshot`)).json() as Record<string, number>;
  expect(metrics["master/slave_unreachable_completed"]).toBe(2);
  expect(metrics["master/slave_removals/reason_unhealthy"]).toBe(2);
});

test("RegistryGcByAge: with --registry_max_agent_age=2secs unreachable agents leave the registry once older", async () => {
  const master = await cluster.master(["--registry_max_agent_age=2secs"]);
  const ids = await twoUnreachable(master);
  const marked_ms = Date.now();
  expect((await registryOf(master.base)).unreachable).toContain(ids[1]!); // not 2 s old yet
  await until(async () => (await registryOf(master.base)).unreachable.length === 0, "the registry GC to prune by age");
  expect(Date.now() - marked_ms).toBeGreaterThanOrEqual(1000);
  expect(await registryOf(master.base)).toEqual({ admitted: [], unreachable: [], gone: [] });
  expect(master.running.stderr()).toMatch(/Garbage collecting [12] unreachable and 0 gone agents from the registry/);
});

// As Mesos's _doRegistryGc, the master forgets what the GC pruned from the registry, so /state
// and master/slaves_unreachable count only what the registry still holds.
test("the master forgets the unreachable agents the registry GC pruned (/state unreachable_slaves, master/slaves_unreachable)", async () => {
  const master = await cluster.master(["--registry_max_agent_count=1"]);
  await twoUnreachable(master);
  await until(async () => (await registryOf(master.base)).unreachable.length === 1, "the registry GC to prune to one");
  await Bun.sleep(200);
  expect(await master.metric("master/slaves_unreachable")).toBe(1);
  expect((await master.state()).unreachable_slaves).toBe(1);
});
