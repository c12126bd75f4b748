// Proves frameworks keep track of their tasks through faults on three real masters (ZooKeeper) and two real agents (mesos-spec §5.2, §5.5, §6.5): a hung agent's running tasks are TASK_UNREACHABLE to a PARTITION_AWARE framework and TASK_LOST to another, and RUNNING again on reconciliation once it re-registers; after the leader's SIGKILL a framework re-subscribes with its id, reconciles its running tasks and sees them finish, and no acknowledged update comes back.
import { expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { masterAt, until } from "../helpers/agents.ts";
import { start } from "../helpers/process.ts";
import { type Acknowledged, SchedulerClient } from "../helpers/scheduler.ts";
import { sandboxFile, type TaskCluster, taskCluster, useTaskClusters } from "../helpers/task_cluster.ts";
import { useZooKeeper } from "../helpers/zookeeper.ts";
import { exampleFrameworkSecurity } from "../helpers/security.ts";

setDefaultTimeout(60_000);

const zk = useZooKeeper();
const t = useTaskClusters();
let tc: TaskCluster;

function client(tc: TaskCluster, name: string, capabilities: string[] = []): SchedulerClient {
  const c = new SchedulerClient({ masters: [tc.standby, ...tc.masters], name, capabilities, failover_timeout: 60 });
  t.clients.push(c);
  return c;
}

test("a hung agent: its running task is TASK_UNREACHABLE (PARTITION_AWARE) or TASK_LOST (not); once healed it re-registers and reconciles as TASK_RUNNING", async () => {
  tc = await taskCluster(t.cluster, zk.connect);
  const [agent, agent_id] = [tc.agents[0]!, tc.agent_ids[0]!];
  const aware = client(tc, "aware", ["PARTITION_AWARE"]);
  const plain = client(tc, "plain");
  for (const [c, task] of [[aware, "aware-1"], [plain, "plain-1"]] as const) {
    await c.subscribe();
    await c.launch(await c.offerOn(agent_id), { [task]: "sleep 60" });
    await c.expectStates(task, ["TASK_STARTING", "TASK_RUNNING"]);
  }
  const leader = tc.leaderProcess();
  // Hung: its sockets stay up, its pongs stop; after 2 missed pings of 1 s the leader marks it.
  agent.running.kill("SIGSTOP");
  let lost: any, unreachable: any;
  try {
    unreachable = await aware.update("aware-1", "TASK_UNREACHABLE", 15_000);
    lost = await plain.update("plain-1", "TASK_LOST", 15_000);
  } finally {
    agent.running.kill("SIGCONT");
  }
  for (const s of [unreachable, lost]) expect(s).toMatchObject({ source: "SOURCE_MASTER", reason: "REASON_SLAVE_REMOVED", agent_id: { value: agent_id } });
  expect(unreachable.unreachable_time.nanoseconds).toBeGreaterThan(0);
  expect(unreachable.uuid).toBeUndefined(); // the master's own updates need no acknowledgement
  expect(leader.running.stderr()).toContain(`Marked agent ${agent_id} (${agent.hostname}) unreachable`);
  // Healed: the agent re-registers as itself with its task still running; both frameworks hear of it.
  expect(await agent.registered(`${agent.hostname} to re-register`)).toBe(agent_id);
  await until(async () => (await leader.agentIds()).includes(agent_id), "the agent back at the leader");
  for (const [c, task] of [[aware, "aware-1"], [plain, "plain-1"]] as const) {
    const back = await c.update(task, "TASK_RUNNING");
    expect(back).toMatchObject({ source: "SOURCE_MASTER", reason: "REASON_SLAVE_REREGISTERED" });
    expect((await c.call("RECONCILE", "reconcile", { tasks: [{ task_id: { value: task }, agent_id: { value: agent_id } }] })).status).toBe(202);
    const reconciled = await c.update(task);
    expect(reconciled).toMatchObject({ state: "TASK_RUNNING", reason: "REASON_RECONCILIATION", agent_id: { value: agent_id } });
  }
  expect(await leader.metric("master/slaves_unreachable")).toBe(0);
  expect(await leader.metric("master/tasks_running")).toBe(2);
});

test("SIGKILL of the leader mid-run: the framework re-subscribes with its id, reconciles its running tasks, sees them finish; no acknowledged update comes back", async () => {
  tc = await taskCluster(t.cluster, zk.connect);
  const c = client(tc, "failover", ["PARTITION_AWARE"]);
  const first = await c.subscribe();
  const framework_id = c.framework_id!;
  const go = join(mkdtempSync(join(t.cluster.dir, "go-")), "go");
  const cmd = `while [ ! -e ${go} ]; do sleep 0.1; done; echo done`;
  const offers = await c.offersFrom(2);
  const tasks: string[] = [];
  for (const [i, agent_id] of tc.agent_ids.entries()) {
    const ids = [`t${i}a`, `t${i}b`];
    tasks.push(...ids);
    await c.launch(offers.get(agent_id)!, Object.fromEntries(ids.map((id) => [id, cmd])));
  }
  await Promise.all(tasks.map((t) => c.expectStates(t, ["TASK_STARTING", "TASK_RUNNING"])));
  expect(c.acknowledged.length).toBe(8);
  // A 202 promises no more than the leader's receipt: wait until the agents have them too.
  const agentOf = (i: number) => tc.agents[Math.floor(i / 2)]!;
  const acknowledgedAt = async (i: number) => await tc.agents[i]!.metric("slave/status_updates_acknowledged");
  await until(async () => (await acknowledgedAt(0)) === 4 && (await acknowledgedAt(1)) === 4, "every acknowledgement at the agents");
  const before: Acknowledged[] = [...c.acknowledged];
  const events_before = c.events.length;

  const old = tc.leader;
  await tc.ensemble.kill(old);
  await c.streamEnd(); // the leader's socket is gone with it
  const subscribed = await c.subscribe(30_000);
  expect(c.framework_id).toBe(framework_id); // the same framework, failed over to the new leader
  const index = tc.masters.indexOf(c.master);
  expect(index).toBeGreaterThanOrEqual(0);
  expect(index).not.toBe(old);
  expect((subscribed as any).subscribed.framework_id.value).toBe((first as any).subscribed.framework_id.value);
  const leader = masterAt(tc.ensemble.masters[index]!.port, tc.ensemble.masters[index]!.running!);
  await until(async () => (await leader.agentIds()).length === 2, "both agents re-registered with the new leader");

  // Implicit reconciliation: every running task, as the new leader learnt it from the agents.
  const reconciled = new Map<string, string>();
  await until(async () => {
    expect((await c.call("RECONCILE", "reconcile", { tasks: [] })).status).toBe(202);
    for (;;) {
      const e = await c.next("UPDATE", (e) => e.update.status.reason === "REASON_RECONCILIATION", 500).catch(() => null);
      if (e === null) break;
      reconciled.set(e.update.status.task_id.value, e.update.status.state);
    }
    return reconciled.size === tasks.length;
  }, "every task reconciled");
  expect(Object.fromEntries(reconciled)).toEqual(Object.fromEntries(tasks.map((t) => [t, "TASK_RUNNING"])));

  // The tasks finish now, under the new leader; each FINISHED is acknowledged there.
  writeFileSync(go, "");
  await Promise.all(tasks.map(async (t) => {
    const finished = await c.update(t, "TASK_FINISHED");
    await c.acknowledge(finished);
  }));
  for (const [i, t] of tasks.entries()) expect(sandboxFile(agentOf(i), framework_id, t)).toBe("done\n");

  // No update acknowledged before the kill came back, and none went back to an earlier state.
  const order = ["TASK_STAGING", "TASK_STARTING", "TASK_RUNNING"];
  const after = c.events.slice(events_before).flatMap((e: any) => (e.type === "UPDATE" ? [e.update.status] : []));
  for (const status of after) {
    if (status.uuid !== undefined) expect(before.map((a) => a.uuid)).not.toContain(status.uuid);
    const acked = Math.max(...before.filter((a) => a.task_id === status.task_id.value).map((a) => order.indexOf(a.state)));
    if (order.includes(status.state)) expect(order.indexOf(status.state)).toBeGreaterThanOrEqual(acked); // reconciliation may repeat RUNNING, never go back
  }
  expect(after.filter((s) => s.uuid !== undefined).map((s) => s.state)).toEqual(tasks.map(() => "TASK_FINISHED"));
  expect(await leader.metric("master/tasks_finished")).toBe(4);
  const framework = (await leader.state()).frameworks.find((f: any) => f.id === framework_id);
  expect(framework).toMatchObject({ active: true, connected: true, tasks: [] });
  expect(framework.completed_tasks.map((t: any) => `${t.id}:${t.state}`).sort()).toEqual(tasks.map((t) => `${t}:TASK_FINISHED`));
});

test("a task that ends while there is no leader: its TASK_FAILED reaches the framework once it re-subscribes (the agent retries it)", async () => {
  tc = await taskCluster(t.cluster, zk.connect);
  const c = client(tc, "no-leader", ["PARTITION_AWARE"]);
  await c.subscribe();
  const go = join(mkdtempSync(join(t.cluster.dir, "go-")), "go");
  await c.launch(await c.offerOn(tc.agent_ids[0]!), { t: `while [ ! -e ${go} ]; do sleep 0.1; done; exit 7` });
  await c.expectStates("t", ["TASK_STARTING", "TASK_RUNNING"]);
  await tc.ensemble.kill(tc.leader);
  writeFileSync(go, ""); // the task fails while the agent has no master
  await until(() => tc.agents[0]!.running.stderr().includes("Re-registered with master"), "the agent re-registered with the new leader");
  await c.subscribe(30_000);
  // The agent's first send reached the new leader before the framework was back (dropped, as in
  // Mesos); its retry (10 s) is forwarded on the new stream, which must have stayed open.
  const failed = await c.update("t", "TASK_FAILED", 25_000);
  expect(failed).toMatchObject({ source: "SOURCE_EXECUTOR", message: "Command exited with status 7", agent_id: { value: tc.agent_ids[0] } });
  await c.acknowledge(failed);
  expect(c.statuses("t").filter((s) => s.uuid !== undefined).map((s) => s.state)).toEqual(["TASK_STARTING", "TASK_RUNNING", "TASK_FAILED"]);
  await until(async () => (await tc.agents[0]!.metric("slave/status_updates_acknowledged")) === 3, "the acknowledgements at the agent");
  const leader = masterAt(Number(c.master.split(":")[1]), tc.ensemble.masters.find((m) => `127.0.0.1:${m.port}` === c.master)!.running!);
  const framework = (await leader.state()).frameworks.find((f: any) => f.id === c.framework_id);
  expect(framework.completed_tasks.map((t: any) => `${t.id}:${t.state}`)).toEqual(["t:TASK_FAILED"]);
});

test("the example framework lives through the leader's SIGKILL: it re-subscribes with its id and still finishes every task", async () => {
  tc = await taskCluster(t.cluster, zk.connect);
  const root = join(import.meta.dir, "..", "..");
  const go = join(mkdtempSync(join(t.cluster.dir, "go-")), "go");
  // bun itself (not npm run): the pid the cleanup kills is the framework's.
  const secured = exampleFrameworkSecurity();
  const example = start([process.execPath, join(root, "scripts", "example_framework.ts"), `--master=${tc.standby}`, "--tasks", "6", "--cmd",
    `while [ ! -e ${go} ]; do sleep 0.1; done; echo hi`, "--timeout-s=45", ...secured.args], { cwd: root, env: secured.env });
  t.cluster.track(example);
  const leader = tc.leaderProcess();
  await until(async () => (await leader.metric("master/tasks_running")) === 6, "six tasks running", 30_000);
  await tc.ensemble.kill(tc.leader);
  await until(() => example.stderr().match(/subscribed as \S+ on /g)?.length === 2, "the example framework re-subscribed", 30_000);
  writeFileSync(go, "");
  const status = await example.exited;
  if (status !== 0) console.error(example.stderr());
  expect(status).toBe(0);
  expect(example.stdout()).toContain("6/6 tasks finished");
});
