// Proves a framework on the v1 scheduler HTTP API runs command tasks end to end on three real masters (ZooKeeper) and two real agents (mesos-spec §6.5): SUBSCRIBE at a standby follows 307, offers come from both agents, echo -> STARTING/RUNNING/FINISHED with "hello" in the sandbox, exit 3 -> TASK_FAILED naming the status, KILL -> TASK_KILLED with the process gone, and the example framework finishes 20/20 tasks over JSON and over protobuf; a protobuf scheduler does the whole protocol, failover included; an operator API SUBSCRIBE stream at the leader sees the task added and each new state, and stays open through its idle 15 s to a HEARTBEAT.
import { expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { getJson, until } from "../helpers/agents.ts";
import { run } from "../helpers/process.ts";
import { EventReader } from "../helpers/frameworks.ts";
import { SchedulerClient } from "../helpers/scheduler.ts";
import { groupProcesses, sandboxFile, type TaskCluster, taskCluster, taskGroup, useTaskClusters } from "../helpers/task_cluster.ts";
import { useZooKeeper } from "../helpers/zookeeper.ts";
import { exampleFrameworkSecurity, secure, tlsFetch } from "../helpers/security.ts";

setDefaultTimeout(60_000);

const zk = useZooKeeper();
const t = useTaskClusters();
let tc: TaskCluster;

/** An operator API SUBSCRIBE stream at `master`, its SUBSCRIBED event read. */
async function operatorStream(master: string): Promise<{ reader: EventReader; state: any }> {
  const response = await tlsFetch(`http://${master}/api/v1`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ type: "SUBSCRIBE" }),
  });
  expect(response.status).toBe(200);
  const reader = new EventReader(response.body!);
  t.clients.push({ close: () => reader.cancel() });
  const first = (await reader.next(5000))!;
  expect(first.type).toBe("SUBSCRIBED");
  return { reader, state: (first.subscribed as any).get_state };
}

/** The cluster, and a framework subscribed at a standby master. */
async function subscribed(options: { capabilities?: string[] } = {}): Promise<{ tc: TaskCluster; client: SchedulerClient }> {
  tc = await taskCluster(t.cluster, zk.connect);
  const client = new SchedulerClient({ masters: [tc.standby, ...tc.masters], name: "e2e", failover_timeout: 60, ...options });
  t.clients.push(client);
  await client.subscribe();
  return { tc, client };
}

test("subscribe at a standby (307 to the leader), offers from both agents, echo: STARTING, RUNNING, FINISHED in order, stdout in the sandbox", async () => {
  const { tc, client } = await subscribed();
  const leader = tc.masters[tc.leader]!;
  expect(client.master).toBe(leader); // the standby's 307 was followed
  expect(client.framework_id).toMatch(/^[-0-9a-f]+-0000$/);
  const operator = await operatorStream(leader);
  expect(operator.state.get_frameworks.frameworks.map((f: any) => f.framework_info.id.value)).toEqual([client.framework_id]);
  expect(operator.state.get_agents.agents.map((a: any) => a.agent_info.id.value).sort()).toEqual([...tc.agent_ids].sort());
  const offers = await client.offersFrom(2);
  expect([...offers.keys()].sort()).toEqual([...tc.agent_ids].sort());
  const [agent_id, offer] = [...offers.entries()].find(([id]) => id === tc.agent_ids[0])!;
  expect(offer.hostname).toBe(tc.agents[0]!.hostname);
  await client.launch(offer, { "echo-1": "echo hello; exit 0" });
  const statuses = await client.expectStates("echo-1", ["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"]);
  for (const s of statuses) expect(s).toMatchObject({ agent_id: { value: agent_id }, source: "SOURCE_EXECUTOR" });
  expect(statuses[2]!.message).toBe("Command exited with status 0");
  expect(client.statuses("echo-1").map((s) => s.state)).toEqual(["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"]); // nothing re-sent
  expect(sandboxFile(tc.agents[0]!, client.framework_id!, "echo-1")).toBe("hello\n");
  // The operator's event stream saw the task added, then each status with a new state.
  const seen: string[] = [];
  while (!seen.at(-1)?.startsWith("TASK_FINISHED")) {
    const event = (await operator.reader.next(5000))!;
    if (event.type === "TASK_ADDED") seen.push(`added ${(event.task_added as any).task.task_id.value} ${(event.task_added as any).task.state}`);
    if (event.type === "TASK_UPDATED") seen.push(`${(event.task_updated as any).status.state} ${(event.task_updated as any).state}`);
  }
  // Each TASK_UPDATED carries its status and the task's latest state, which may be ahead (the agent had more to send).
  expect(seen.map((s) => s.split(" ")[0])).toEqual(["added", "TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"]);
  expect(seen[0]).toBe("added echo-1 TASK_STAGING");
  expect(seen.at(-1)).toBe("TASK_FINISHED TASK_FINISHED");
  // The operator sees the same: the task finished on that agent.
  await until(async () => (await getJson(`http://${leader}/tasks`)).tasks.some((t: any) => t.id === "echo-1" && t.state === "TASK_FINISHED"), "the finished task in the leader's /tasks");
  const task = (await getJson(`http://${leader}/tasks`)).tasks.find((t: any) => t.id === "echo-1");
  expect(task).toMatchObject({ framework_id: client.framework_id, slave_id: agent_id, state: "TASK_FINISHED" });
});

test("a command that exits 3 is TASK_FAILED with the exit status in the message", async () => {
  const { tc, client } = await subscribed();
  const offer = (await client.offersFrom(2)).get(tc.agent_ids[1]!)!;
  await client.launch(offer, { "fail-1": "echo oops >&2; exit 3" });
  const statuses = await client.expectStates("fail-1", ["TASK_STARTING", "TASK_RUNNING", "TASK_FAILED"]);
  expect(statuses[2]!.message).toBe("Command exited with status 3");
  expect(sandboxFile(tc.agents[1]!, client.framework_id!, "fail-1", "stderr")).toBe("oops\n");
  expect(await tc.leaderProcess().metric("master/tasks_failed")).toBe(1);
});

test("sleep 60 then KILL: TASK_KILLED, and the task's processes are gone", async () => {
  const { tc, client } = await subscribed();
  const agent = tc.agents[0]!;
  const offer = (await client.offersFrom(2)).get(tc.agent_ids[0]!)!;
  await client.launch(offer, { "sleep-1": "sleep 60" });
  await client.expectStates("sleep-1", ["TASK_STARTING", "TASK_RUNNING"]);
  const pgid = (await until(async () => taskGroup(agent, "sleep-1"), "the task's process group in the agent's log"))!;
  expect((await groupProcesses(pgid)).some((p) => p.includes("sleep 60"))).toBe(true);
  const killed_at = Date.now();
  const answer = await client.call("KILL", "kill", { task_id: { value: "sleep-1" }, agent_id: { value: tc.agent_ids[0] } });
  expect(answer.status).toBe(202);
  const [killed] = await client.expectStates("sleep-1", ["TASK_KILLED"]); // no TASK_KILLING: the framework lacks TASK_KILLING_STATE
  expect(killed!.source).toBe("SOURCE_EXECUTOR");
  expect(Date.now() - killed_at).toBeLessThan(5000);
  await until(async () => (await groupProcesses(pgid)).length === 0, "the task's process group gone", 5000);
  expect(await tc.leaderProcess().metric("master/tasks_killed")).toBe(1);
});

test.each([["JSON", []], ["protobuf", ["--protobuf"]]] as const)("the example framework (%s) at a standby runs 20 tasks to 20/20 finished", async (_format, extra) => {
  tc = await taskCluster(t.cluster, zk.connect);
  const root = join(import.meta.dir, "..", "..");
  const started = Date.now();
  const secured = exampleFrameworkSecurity();
  const result = await run(["npm", "run", "--silent", "example:framework", "--", `--master=${tc.standby}`, "--tasks", "20", "--cmd", "echo hi", "--timeout-s=40",
    ...extra, ...secured.args], { cwd: root, env: { HOME: process.env.HOME ?? "/root", ...secured.env } });
  expect(result.stdout).toContain("20/20 tasks finished");
  expect(result.status).toBe(0);
  expect(result.stderr).toContain(`on ${tc.masters[tc.leader]}`); // "subscribed as <id> on <leader>": 307 followed
  expect(Date.now() - started).toBeLessThan(40_000);
  const leader = tc.leaderProcess();
  expect(await leader.metric("master/tasks_finished")).toBe(20);
  // TEARDOWN once done: the framework is completed at the master.
  await until(async () => (await leader.state()).completed_frameworks.length === 1, "the example framework completed");
});

test("an idle subscription stays open: nothing for 14 s after the offers (Bun's default idle timeout is 10 s), then the 15 s HEARTBEAT; an operator stream too", async () => {
  const { tc, client } = await subscribed();
  const operator = await operatorStream(tc.masters[tc.leader]!);
  await client.offersFrom(2); // held, not declined: the allocator has nothing more to offer
  const idle_from = client.events.length;
  const heartbeat = await client.next("HEARTBEAT", () => true, 20_000);
  expect(heartbeat.type).toBe("HEARTBEAT");
  expect(client.events.slice(idle_from).map((e) => e.type)).toEqual(["HEARTBEAT"]); // idle until then
  expect(client.streamEnded).toBe(false);
  expect(await tc.leaderProcess().metric("master/frameworks_connected")).toBe(1);
  expect(tc.leaderProcess().running.stderr()).not.toContain("disconnected");
  expect((await client.call("REVIVE")).status).toBe(202); // the same stream id still works
  expect((await operator.reader.next(5000))!.type).toBe("HEARTBEAT");
  expect(await tc.leaderProcess().metric("master/operator_event_stream_subscribers")).toBe(1);
});

test("the leader's /files reads a task's sandbox from its agent (/agents/<id>/...): browse, read, download, debug, jsonp; a standby 307s; unknown agents 404", async () => {
  const { tc, client } = await subscribed();
  const leader = tc.masters[tc.leader]!;
  const offers = await client.offersFrom(2);
  const agent_id = tc.agent_ids[0]!;
  await client.launch(offers.get(agent_id)!, { "files-1": "echo hello from the sandbox; exit 0" });
  await client.expectStates("files-1", ["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"]);
  const sandbox = `/agents/${agent_id}/frameworks/${client.framework_id}/executors/files-1/runs/latest`;
  const at = (master: string, path: string, init: RequestInit = {}) => tlsFetch(`http://${master}${path}`, { redirect: "manual", ...init });
  const listing = (await (await at(leader, `/files/browse?path=${sandbox}`)).json()) as any[];
  expect(listing.map((f) => f.path).sort()).toEqual([`${sandbox}/stderr`, `${sandbox}/stdout`]);
  expect(await (await at(leader, `/files/read?path=${sandbox}/stdout&offset=0`)).json()).toEqual({ data: "hello from the sandbox\n", offset: 0 });
  expect(await (await at(leader, `/master/files/read?path=${sandbox}/stdout&offset=-1`)).json()).toEqual({ data: "", offset: 23 });
  const download = await at(leader, `/files/download?path=${sandbox}/stdout`);
  expect(download.headers.get("content-disposition")).toBe("attachment; filename=stdout");
  expect(await download.text()).toBe("hello from the sandbox\n");
  const wrapped = await (await at(leader, `/files/browse?path=${sandbox}&jsonp=cb`)).text();
  expect(wrapped.startsWith("cb([")).toBe(true);
  const debug = (await (await at(leader, "/files/debug")).json()) as Record<string, string>;
  expect(Object.keys(debug).sort()).toEqual(tc.agent_ids.map((id) => `/agents/${id}`).sort());
  expect((await at(leader, `/files/browse?path=/agents/no-such-agent/frameworks`)).status).toBe(404);
  expect((await at(leader, `/files/browse?path=/etc`)).status).toBe(404);
  expect((await at(leader, `/files/read?path=${sandbox}/${"../".repeat(40)}etc/passwd&offset=0`)).status).toBe(400); // the agent's confinement
  const redirected = await at(tc.standby, `/files/browse?path=${sandbox}`);
  expect(redirected.status).toBe(307);
  expect(redirected.headers.get("location")).toEndWith(`/files/browse?path=${sandbox}`);
  if (secure()) expect((await at(leader, `/files/browse?path=${sandbox}`, { headers: { authorization: "" } })).status).toBe(401);
});

test("a protobuf scheduler (Content-Type and Accept application/x-protobuf): SUBSCRIBE at a standby, offers, ACCEPT, updates acknowledged, RECONCILE, KILL, re-SUBSCRIBE after the leader's SIGKILL, TEARDOWN", async () => {
  tc = await taskCluster(t.cluster, zk.connect);
  const client = new SchedulerClient({ masters: [tc.standby, ...tc.masters], name: "protobuf", failover_timeout: 120, protobuf: true });
  t.clients.push(client);
  await client.subscribe();
  expect(client.master).toBe(tc.masters[tc.leader]!); // the standby's 307 was followed
  const offers = await client.offersFrom(2);
  expect([...offers.keys()].sort()).toEqual([...tc.agent_ids].sort());
  const offer = offers.get(tc.agent_ids[0]!)!;
  expect(offer.resources.find((r: any) => r.name === "cpus").scalar.value).toBe(1);
  await client.launch(offer, { "pb-echo": "echo over protobuf", "pb-sleep": "sleep 60" });
  const [, , finished] = await client.expectStates("pb-echo", ["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"]);
  expect(finished).toMatchObject({ source: "SOURCE_EXECUTOR", agent_id: { value: tc.agent_ids[0] }, message: "Command exited with status 0" });
  expect(typeof finished!.uuid).toBe("string"); // bytes, as base64, acknowledged with the same
  expect(sandboxFile(tc.agents[0]!, client.framework_id!, "pb-echo")).toBe("over protobuf\n");
  await client.expectStates("pb-sleep", ["TASK_STARTING", "TASK_RUNNING"]);
  expect((await client.call("RECONCILE", "reconcile", { tasks: [{ task_id: { value: "pb-sleep" } }] })).status).toBe(202);
  expect(await client.update("pb-sleep", "TASK_RUNNING")).toMatchObject({ reason: "REASON_RECONCILIATION", source: "SOURCE_MASTER" });
  // The leader dies: the framework re-subscribes (protobuf again) with its id at the new leader.
  const id = client.framework_id;
  tc.leaderProcess().running.kill("SIGKILL");
  await client.subscribe(40_000);
  expect(client.framework_id).toBe(id);
  expect(client.master).not.toBe(tc.masters[tc.leader]!);
  expect((await client.call("KILL", "kill", { task_id: { value: "pb-sleep" }, agent_id: { value: tc.agent_ids[0] } }, 30_000)).status).toBe(202);
  await client.expectStates("pb-sleep", ["TASK_KILLED"], 30_000);
  expect((await client.call("TEARDOWN")).status).toBe(202);
});
