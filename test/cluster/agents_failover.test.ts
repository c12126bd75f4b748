// Proves agents following masters through a real ZooKeeper survive what HA does to them (mesos-spec §2.6, §5.6, §8.4): after a leader's SIGKILL the new leader lists them as recovered until they re-register as themselves (a dead agent stays recovered); a deposed master cannot shut an agent down; an agent cut off from ZooKeeper goes master-less, is marked unreachable, and re-registers once it sees the leader again.
import { afterEach, beforeEach, expect, setDefaultTimeout, test } from "bun:test";
import { Cluster, FAST_HEALTH, getJson, type MasterProcess, masterAt, registryOf, until } from "../helpers/agents.ts";
import { Ensemble } from "../helpers/ensemble.ts";
import { FakeMaster } from "../helpers/fake_master.ts";
import { useZooKeeper } from "../helpers/zookeeper.ts";

setDefaultTimeout(60_000);

const zk = useZooKeeper();
let cluster: Cluster;
const cleanup: (() => void)[] = [];
beforeEach(() => {
  cluster = new Cluster();
});
afterEach(async () => {
  for (const stop of cleanup.splice(0)) stop();
  await cluster.destroy();
});

/** `size` masters of the built binary in the ZooKeeper group at `path`, killed by the cluster's destroy(). */
async function ensemble(path: string, size: number): Promise<Ensemble> {
  const e = await Ensemble.create(cluster.dir, zk.connect, path, size, FAST_HEALTH);
  for (let i = 0; i < size; i++) cluster.track(e.start(i));
  return e;
}

const masterOf = (e: Ensemble, i: number): MasterProcess => masterAt(e.masters[i]!.port, e.masters[i]!.running!);
const recoveredIds = (state: any): string[] => (state.recovered_slaves as { id: string }[]).map((s) => s.id).sort();

test("RecoveredSlaves: after the leader's SIGKILL the new leader lists the agents as recovered until they re-register as themselves", async () => {
  const e = await ensemble("/mesos-failover", 3);
  const first = await e.settledLeader();
  const url = `zk://${zk.connect}/mesos-failover`;
  const [a, b, dead] = [await cluster.agent(url), await cluster.agent(url), await cluster.agent(url)];
  const ids = [await a!.registered(), await b!.registered(), await dead!.registered()];
  await until(async () => (await masterOf(e, first).agentIds()).length === 3, "three agents at the first leader");
  // One agent dies for good; the other two hang across the failover, so the new leader's
  // view before they come back can be read.
  dead!.running.kill("SIGKILL");
  a!.running.kill("SIGSTOP");
  b!.running.kill("SIGSTOP");
  await e.kill(first);
  const second = await e.settledLeader();
  expect(second).not.toBe(first);
  const leader = masterOf(e, second);
  expect(leader.running.stderr()).toContain("Recovered 3 agents, 0 unreachable and 0 gone agents from the registry");
  const before = await leader.state();
  expect(before.slaves).toEqual([]);
  expect(recoveredIds(before)).toEqual([...ids].sort());
  expect(recoveredIds(await getJson(`${leader.base}/slaves`))).toEqual([...ids].sort());
  a!.running.kill("SIGCONT");
  b!.running.kill("SIGCONT");
  const back = [ids[0]!, ids[1]!].sort();
  await until(async () => JSON.stringify(await leader.agentIds()) === JSON.stringify(back), "both live agents re-registered with the new leader");
  const after = await leader.state();
  expect(recoveredIds(after)).toEqual([ids[2]!]); // agent_reregister_timeout (10 mins at least) has not passed
  expect(after.activated_slaves).toBe(2);
  expect(await leader.metric("master/slave_reregistrations")).toBe(2);
  expect(await leader.metric("master/slave_registrations")).toBe(0);
  expect(await leader.metric("master/slaves_unreachable")).toBe(0);
  for (const [i, agent] of [a!, b!].entries()) {
    const state = await agent.state();
    expect(state).toMatchObject({ registered: true, id: ids[i], master_id: after.id });
  }
  expect((await registryOf(leader.base)).admitted.sort()).toEqual([...ids].sort());
});

test("SplitBrainMasters: a deposed master's SHUTDOWN does not reach an agent that follows the new leader", async () => {
  const path = "/mesos-split";
  const fake = new FakeMaster(cleanup);
  const { group, membership } = await fake.lead(zk.connect, path);
  cleanup.push(() => group.close());
  expect(membership.path).toBe(`${path}/json.info_0000000000`);
  const e = await ensemble(path, 1); // a real master that follows the fake until the fake's znode goes
  const real = masterOf(e, 0);
  await until(() => real.running.stderr().includes(`The newly elected leader is master@127.0.0.1:${fake.port}`), "the real master to follow the fake");
  const agent = await cluster.agent(`zk://${zk.connect}${path}`);
  const id = await agent.registered("the agent registered with the fake leader");
  expect(id).toBe(`${fake.id}-S0`);
  expect((await agent.state()).master_id).toBe(fake.id);

  await group.cancel(membership); // the fake is deposed: the real master leads
  await until(() => real.running.stderr().includes("agents from the registry"), "the real master's registry recovery");
  const real_id = (await real.state()).id as string;
  await until(async () => {
    const s = await agent.state();
    return s.registered === true && s.master_id === real_id;
  }, "the agent registered with the real leader");
  expect(await real.agentIds()).toEqual([id]);

  // The deposed master still believes it leads and tells the agent to shut down.
  for (const socket of fake.sockets) fake.send({ type: "SHUTDOWN", message: "split brain" }, socket);
  await Bun.sleep(2500); // more than the real master's total ping timeout
  // The agent closed its socket to the fake when it followed the new leader: nothing arrives.
  expect(fake.closed.sort()).toEqual(fake.sockets.map((_, i) => i));
  expect(agent.running.exitCode()).toBeNull();
  expect(agent.running.stderr()).not.toContain("asked to shut down");
  expect(await agent.metric("slave/ignored_master_messages")).toBe(0);
  expect(await agent.state()).toMatchObject({ registered: true, id, master_id: real_id });
  expect(await real.agentIds()).toEqual([id]);
  expect(await real.metric("master/slaves_active")).toBe(1);
  expect(await real.metric("master/slaves_unreachable")).toBe(0);
});

test("an agent cut off from ZooKeeper goes master-less, is marked unreachable, and re-registers once it sees the leader again", async () => {
  const path = "/mesos-zkcut";
  const e = await ensemble(path, 1);
  await e.settledLeader();
  const master = masterOf(e, 0);
  const link = await cluster.proxy(zk.port); // the agent's ZooKeeper connection, and only it, goes through the proxy
  const agent = await cluster.agent(`zk://127.0.0.1:${link.port}${path}`, ["--zk_session_timeout=1secs"]);
  const id = await agent.registered();
  link.blackholeTx();
  link.blackholeRx();
  await until(() => agent.running.stderr().includes("Lost leading master"), "the agent to lose its leader");
  const masterless = await agent.state();
  expect(masterless.registered).toBe(false);
  expect(masterless.master_hostname).toBeUndefined();
  await until(async () => (await master.metric("master/slaves_unreachable")) === 1, "the master to mark the agent unreachable");
  expect(master.running.stderr()).toContain(`Marked agent ${id} (${agent.hostname}) unreachable`);
  expect(await registryOf(master.base)).toEqual({ admitted: [], unreachable: [id], gone: [] });
  expect(agent.running.exitCode()).toBeNull();

  link.unblackholeTx();
  link.unblackholeRx();
  expect(await agent.registered("the agent to re-register once ZooKeeper is back")).toBe(id);
  await until(async () => (await master.agentIds()).includes(id), "the agent back at the master");
  expect((await agent.state()).master_id).toBe((await master.state()).id);
  expect(await master.metric("master/slaves_unreachable")).toBe(0);
  expect(await master.metric("master/slave_reregistrations")).toBe(1);
  expect(await registryOf(master.base)).toEqual({ admitted: [id], unreachable: [], gone: [] });
});
