// Proves the master's task side in-process (fake clock, recording agent connections and framework streams, real registrar): ACCEPT launches (RUN_TASK, TASK_STAGING, remainder filtered), invalid launches (TASK_ERROR, TASK_LOST/TASK_DROPPED) and call refusals, status update forward + acknowledge round trip, another agent's update for a task never forwarded, terminal updates freeing resources, kill of known/unknown tasks, explicit/implicit reconciliation, agents unreachable (LOST vs UNREACHABLE by capability), FAILURE to frameworks for a lost agent, re-registration restoring tasks (and RECONCILE_TASKS for those a registered agent did not report, kills it missed sent again), SHUTDOWN of an executor, gone, and removeFramework.
import { afterEach, describe, expect, test } from "bun:test";
import type { TaskState } from "../../host/agent/task_protocol.ts";
import { markAgentGone } from "../../host/master/agent_operator.ts";
import type { Framework } from "../../host/master/frameworks/types.ts";
import { FakeConnection, reregisterMessage, settle } from "../helpers/master_agents.ts";
import { launch, RecordingStream, type TaskFixture, taskInfo, tasksFixture, uuid } from "../helpers/master_tasks.ts";
import { taskJson, v1TaskJson } from "../../host/master/task_views.ts";

const fixtures: TaskFixture[] = [];
afterEach(() => fixtures.splice(0).forEach((f) => f.agents.stop()));

/** One agent, one framework holding the agent's offer. */
async function withOffer(options: { partition_aware?: boolean } = {}) {
  const f = await tasksFixture();
  fixtures.push(f);
  const agent = await f.register(0);
  const { framework, stream } = f.framework("F1", options);
  f.tasks.allocate();
  const offer = stream.offers()[0]!.id.value;
  return { f, agent, framework, stream, offer };
}

/** A running task T1 on agent 0 (launched and reported RUNNING, acknowledged). */
async function withRunningTask(options: { partition_aware?: boolean } = {}) {
  const s = await withOffer(options);
  expect(s.f.tasks.accept(s.framework, [s.offer], [launch(taskInfo("T1", s.agent.id))])).toBeNull();
  statusUpdate(s.f, s.agent.conn, "T1", "TASK_RUNNING", 1);
  s.f.tasks.acknowledge(s.framework, s.agent.id, "T1", uuid(1));
  return s;
}

function statusUpdate(f: TaskFixture, conn: FakeConnection, task: string, state: TaskState, n: number, framework = "F1") {
  const u = uuid(n);
  f.agents.receive(conn, {
    type: "STATUS_UPDATE",
    update: { framework_id: { value: framework }, status: { task_id: { value: task }, state, source: "SOURCE_EXECUTOR", uuid: u, timestamp: 1000 + n }, timestamp: 1000 + n, uuid: u },
  });
}

/** Agent 0 re-registers on a new connection, reporting T1 of F1 as TASK_RUNNING. */
async function reregisterWithT1(f: TaskFixture, agent_id: string, framework: Framework): Promise<FakeConnection> {
  const conn = new FakeConnection();
  const message = reregisterMessage(0, agent_id);
  Object.assign(message, {
    tasks: [{ task_id: { value: "T1" }, framework_id: { value: "F1" }, name: "task T1", agent_id: { value: agent_id }, state: "TASK_RUNNING", resources: taskInfo("T1", agent_id).resources }],
    frameworks: [framework.info],
  });
  f.agents.receive(conn, message);
  await settle();
  return conn;
}

const taskOf = (f: TaskFixture, id: string) => f.tasks.frameworks.get("F1")?.tasks.get(id);
const lastUpdate = (stream: RecordingStream) => stream.updates().at(-1)!;

describe("launch", () => {
  test("ACCEPT with LAUNCH: RUN_TASK to the agent (master_id, allocation_info), TASK_STAGING; the remainder is filtered for 5 s, then offered", async () => {
    const { f, agent, framework, stream, offer } = await withOffer();
    expect(f.tasks.accept(framework, [offer], [launch(taskInfo("T1", agent.id))])).toBeNull();
    const run = agent.conn.of("RUN_TASK")[0]!;
    expect(run).toMatchObject({ master_id: "M1", framework: { id: { value: "F1" }, name: "fw-F1" }, task: { task_id: { value: "T1" }, command: { value: "sleep 1000" } } });
    expect(run.task.resources.every((r) => (r.allocation_info as { role: string }).role === "*")).toBe(true);
    expect(taskOf(f, "T1")!.state).toBe("TASK_STAGING");
    expect([f.metric("master/tasks_staging"), f.metric("master/cpus_used"), f.metric("master/mem_used"), f.metric("master/outstanding_offers")]).toEqual([1, 1, 128, 0]);
    f.tasks.allocate();
    expect(stream.offers()).toHaveLength(1);
    await f.clock.advance(5_000);
    f.tasks.allocate();
    const next = stream.offers()[1]!;
    expect(next.resources.find((r) => r.name === "cpus")).toMatchObject({ scalar: { value: 3 } });
    expect(next.resources.find((r) => r.name === "mem")).toMatchObject({ scalar: { value: 896 } });
  });

  test("invalid tasks answer TASK_ERROR (REASON_TASK_INVALID) from the master; the valid ones launch", async () => {
    const { f, agent, framework, stream, offer } = await withOffer();
    const noCommand = { ...taskInfo("T3", agent.id), command: undefined };
    expect(f.tasks.accept(framework, [offer], [launch(taskInfo("T1", agent.id), taskInfo("T1", agent.id), taskInfo("T2", agent.id, 8), noCommand, taskInfo("T4", "M1-S9"))])).toBeNull();
    const errors = stream.updates();
    expect(errors.map((s) => [s.task_id.value, s.state, s.reason, s.source])).toEqual([
      ["T1", "TASK_ERROR", "REASON_TASK_INVALID", "SOURCE_MASTER"], ["T2", "TASK_ERROR", "REASON_TASK_INVALID", "SOURCE_MASTER"],
      ["T3", "TASK_ERROR", "REASON_TASK_INVALID", "SOURCE_MASTER"], ["T4", "TASK_ERROR", "REASON_TASK_INVALID", "SOURCE_MASTER"],
    ]);
    expect(errors[0]!.message).toBe("Task has duplicate ID: T1");
    expect(errors[1]!.message).toStartWith("Total resources ");
    expect(errors[2]!.message).toBe("Task should have at least one (but not both) of CommandInfo or ExecutorInfo present");
    expect(errors[3]!.message).toBe(`Task uses invalid agent M1-S9 while agent ${agent.id} is expected`);
    expect(errors.every((s) => s.uuid === undefined)).toBe(true);
    expect(agent.conn.of("RUN_TASK").map((m) => m.task.task_id.value)).toEqual(["T1"]);
    expect(f.metric("master/tasks_error")).toBe(4);
  });

  test("invalid offers: TASK_LOST (TASK_DROPPED when partition-aware) with REASON_INVALID_OFFERS; malformed calls are refused", async () => {
    const { f, agent, framework, stream, offer } = await withOffer();
    f.tasks.accept(framework, ["M1-O99"], [launch(taskInfo("T1", agent.id))]);
    expect(lastUpdate(stream)).toMatchObject({ state: "TASK_LOST", reason: "REASON_INVALID_OFFERS", message: "Task launched with invalid offers: Offer M1-O99 is no longer valid" });
    f.tasks.accept(framework, [offer, offer], [launch(taskInfo("T1", agent.id))]);
    expect(lastUpdate(stream).message).toBe(`Task launched with invalid offers: Duplicate offer ${offer} in offer list`);
    expect(f.tasks.offers.size).toBe(0); // the offers of an invalid ACCEPT are discarded
    expect(f.tasks.accept(framework, [offer], [{ launch: {} }])).toBe("Expecting 'operations[0].type' to be present");
    expect(f.tasks.accept(framework, [offer], [{ type: "LAUNCH" }])).toBe("Expecting 'launch' to be present");
    expect(f.tasks.accept(framework, [offer], [launch({ name: "x", agent_id: { value: agent.id } })])).toBe("Expecting 'task_infos.task_id' to be present");
    expect(f.tasks.accept(framework, [offer], [{ type: "RESERVE", reserve: {} }])).toContain("is not supported");

    const aware = await withOffer({ partition_aware: true });
    aware.f.tasks.accept(aware.framework, ["M1-O99"], [launch(taskInfo("T1", aware.agent.id))]);
    expect(lastUpdate(aware.stream)).toMatchObject({ state: "TASK_DROPPED", reason: "REASON_INVALID_OFFERS" });
  });
});

describe("status updates", () => {
  test("forwarded with their uuid; ACKNOWLEDGE goes to the agent; a terminal update frees resources and its acknowledgement completes the task", async () => {
    const { f, agent, framework, stream } = await withRunningTask();
    expect(stream.updates()[0]).toMatchObject({ task_id: { value: "T1" }, state: "TASK_RUNNING", uuid: uuid(1), agent_id: { value: agent.id } });
    expect(agent.conn.of("STATUS_UPDATE_ACKNOWLEDGEMENT")).toEqual([{ type: "STATUS_UPDATE_ACKNOWLEDGEMENT", master_id: "M1", framework_id: { value: "F1" }, task_id: { value: "T1" }, uuid: uuid(1) }]);
    expect([f.metric("master/tasks_running"), f.metric("master/valid_status_updates"), f.metric("master/cpus_used")]).toEqual([1, 1, 1]);
    statusUpdate(f, agent.conn, "T1", "TASK_FINISHED", 2);
    expect(taskOf(f, "T1")!.state).toBe("TASK_FINISHED");
    expect([f.metric("master/tasks_running"), f.metric("master/tasks_finished"), f.metric("master/cpus_used")]).toEqual([0, 1, 0]);
    expect(f.tasks.acknowledge(framework, agent.id, "T1", "not-a-uuid")).toContain("Failed to parse UUID");
    expect(f.tasks.acknowledge(framework, agent.id, "T1", uuid(2))).toBeNull();
    expect(taskOf(f, "T1")).toBeUndefined();
    expect(f.tasks.frameworks.get("F1")!.completed.map((t) => t.state)).toEqual(["TASK_FINISHED"]);
  });

  test("an update for a disconnected or unknown framework is not forwarded (the agent retries) and counted invalid; unknown agents' updates are dropped", async () => {
    const { f, agent, stream } = await withRunningTask();
    stream.close();
    statusUpdate(f, agent.conn, "T1", "TASK_FAILED", 2);
    expect(stream.updates()).toHaveLength(1);
    expect(taskOf(f, "T1")!.state).toBe("TASK_FAILED");
    statusUpdate(f, agent.conn, "T9", "TASK_RUNNING", 3, "NOPE");
    statusUpdate(f, new FakeConnection(), "T1", "TASK_RUNNING", 4);
    expect([f.metric("master/valid_status_updates"), f.metric("master/invalid_status_updates")]).toEqual([1, 3]);
  });

  test("an update for a task from a registered agent that does not run it is never forwarded and leaves the task's state", async () => {
    const { f, stream } = await withRunningTask();
    const other = await f.register(1);
    statusUpdate(f, other.conn, "T1", "TASK_FAILED", 2);
    expect(stream.updates().map((u) => u.state)).toEqual(["TASK_RUNNING"]);
    expect(taskOf(f, "T1")!.state).toBe("TASK_RUNNING");
    expect(f.metric("master/invalid_status_updates")).toBe(1);
  });
});

describe("kill and reconcile", () => {
  test("KILL of a known task sends KILL_TASK; of an unknown one answers TASK_LOST (TASK_UNKNOWN when partition-aware)", async () => {
    const { f, agent, framework, stream } = await withRunningTask();
    f.tasks.kill(framework, "T1", undefined, { grace_period: { nanoseconds: 5e9 } });
    expect(agent.conn.of("KILL_TASK")).toEqual([{ type: "KILL_TASK", master_id: "M1", framework_id: { value: "F1" }, task_id: { value: "T1" }, kill_policy: { grace_period: { nanoseconds: 5e9 } } }]);
    f.tasks.kill(framework, "T9");
    expect(lastUpdate(stream)).toMatchObject({ task_id: { value: "T9" }, state: "TASK_LOST", reason: "REASON_RECONCILIATION", message: "Reconciliation: Task is unknown", source: "SOURCE_MASTER" });
    const aware = await withRunningTask({ partition_aware: true });
    aware.f.tasks.kill(aware.framework, "T9");
    expect(lastUpdate(aware.stream).state).toBe("TASK_UNKNOWN");
  });

  test("explicit reconciliation: latest state, unknown to a registered agent, unknown agent; implicit: every task", async () => {
    const { f, agent, framework, stream } = await withRunningTask({ partition_aware: true });
    const before = stream.updates().length;
    f.tasks.reconcile(framework, [{ task_id: { value: "T1" } }, { task_id: { value: "T2" }, agent_id: { value: agent.id } }, { task_id: { value: "T3" }, agent_id: { value: "M1-S7" } }]);
    const answers = stream.updates().slice(before);
    expect(answers.map((s) => [s.task_id.value, s.state, s.message])).toEqual([
      ["T1", "TASK_RUNNING", "Reconciliation: Latest task state"], ["T2", "TASK_GONE", "Reconciliation: Task is unknown to the agent"],
      ["T3", "TASK_UNKNOWN", "Reconciliation: Task is unknown"],
    ]);
    expect(answers.every((s) => s.reason === "REASON_RECONCILIATION" && s.uuid === undefined)).toBe(true);
    f.tasks.reconcile(framework, []);
    expect(lastUpdate(stream)).toMatchObject({ task_id: { value: "T1" }, state: "TASK_RUNNING", reason: "REASON_RECONCILIATION" });
  });
});

describe("agents", () => {
  for (const aware of [false, true]) {
    test(`an unreachable agent's tasks become ${aware ? "TASK_UNREACHABLE (partition-aware)" : "TASK_LOST"}; its offers are rescinded; re-registration restores them`, async () => {
      const { f, agent, framework, stream } = await withRunningTask({ partition_aware: aware });
      await f.clock.advance(5_000);
      f.tasks.allocate();
      const offer = stream.offers().at(-1)!.id.value;
      const info = f.agents.registered.get(agent.id)!.info;
      await f.agents.markUnreachable(info, false, "test");
      const update = lastUpdate(stream);
      expect(update).toMatchObject({ task_id: { value: "T1" }, state: aware ? "TASK_UNREACHABLE" : "TASK_LOST", reason: "REASON_SLAVE_REMOVED", source: "SOURCE_MASTER" });
      expect(update.unreachable_time?.nanoseconds).toBe(f.agents.unreachable.get(agent.id)!);
      expect(stream.of("RESCIND")).toEqual([{ type: "RESCIND", rescind: { offer_id: { value: offer } } }]);
      expect(stream.of("FAILURE")).toEqual([{ type: "FAILURE", failure: { agent_id: { value: agent.id } } }]);
      expect(f.metric("master/cpus_used")).toBe(0);
      const rec = f.tasks.frameworks.get("F1")!;
      expect([rec.unreachable.size, rec.completed.length]).toEqual(aware ? [1, 0] : [0, 1]);
      f.tasks.reconcile(framework, [{ task_id: { value: "T1" }, agent_id: { value: agent.id } }]);
      expect(lastUpdate(stream)).toMatchObject({ state: aware ? "TASK_UNREACHABLE" : "TASK_LOST", message: "Reconciliation: Task is unreachable" });

      await reregisterWithT1(f, agent.id, framework);
      expect(taskOf(f, "T1")!.state).toBe("TASK_RUNNING");
      expect(lastUpdate(stream)).toMatchObject({ state: "TASK_RUNNING", reason: "REASON_SLAVE_REREGISTERED", message: "Unreachable agent re-reregistered" });
      expect([rec.unreachable.size, f.metric("master/cpus_used"), f.metric("master/tasks_running")]).toEqual([0, 1, 1]);
    });
  }

  test("a registered agent that re-registers without a task the master holds there gets RECONCILE_TASKS for it (after SLAVE_REREGISTERED); its TASK_LOST frees it", async () => {
    const { f, agent, framework, stream } = await withRunningTask();
    await f.clock.advance(5_000);
    f.tasks.allocate();
    const offer = stream.offers().at(-1)!.id.value;
    expect(f.tasks.accept(framework, [offer], [launch(taskInfo("T2", agent.id))])).toBeNull(); // its RUN_TASK is lost with the socket
    f.agents.disconnected(agent.conn);
    const conn = await reregisterWithT1(f, agent.id, framework);
    expect(conn.sent.map((m) => m.type)).toEqual(["SLAVE_REREGISTERED", "RECONCILE_TASKS"]);
    expect(conn.of("RECONCILE_TASKS")[0]).toMatchObject({ master_id: "M1", framework: { id: { value: "F1" }, name: "fw-F1" }, statuses: [{ task_id: { value: "T2" }, state: "TASK_STAGING" }] });
    expect(f.metric("master/cpus_used")).toBe(2);
    statusUpdate(f, conn, "T2", "TASK_LOST", 2);
    expect(lastUpdate(stream)).toMatchObject({ task_id: { value: "T2" }, state: "TASK_LOST" });
    expect([taskOf(f, "T1")!.state, taskOf(f, "T2")!.state, f.metric("master/cpus_used")]).toEqual(["TASK_RUNNING", "TASK_LOST", 1]);
  });

  test("a kill the disconnected agent could not get is sent again when it re-registers still running the task; SHUTDOWN of a task's executor kills it", async () => {
    const { f, agent, framework } = await withRunningTask();
    f.agents.disconnected(agent.conn);
    expect(f.tasks.kill(framework, "T1", agent.id, { grace_period: { nanoseconds: 1e9 } })).toBeNull();
    expect(agent.conn.of("KILL_TASK")).toEqual([]);
    const conn = await reregisterWithT1(f, agent.id, framework);
    expect(conn.of("KILL_TASK")).toMatchObject([{ framework_id: { value: "F1" }, task_id: { value: "T1" }, kill_policy: { grace_period: { nanoseconds: 1e9 } } }]);
    expect(f.tasks.shutdownExecutor(framework, "T1", agent.id)).toBeNull();
    expect(conn.of("KILL_TASK")).toHaveLength(2);
    expect(f.tasks.shutdownExecutor(framework, "no-such-executor", agent.id)).toBeNull();
    expect(conn.of("KILL_TASK")).toHaveLength(2);
    statusUpdate(f, conn, "T1", "TASK_KILLED", 2);
    f.tasks.acknowledge(framework, agent.id, "T1", uuid(2));
    expect(f.tasks.pending_kills.get(agent.id)?.size ?? 0).toBe(0);
  });

  test("SHUTDOWN of a task group's executor kills the group's tasks; the executor id shows in /tasks and GET_TASKS", async () => {
    const { f, agent, framework, offer } = await withOffer();
    const group = { type: "LAUNCH_GROUP", launch_group: { executor: { executor_id: { value: "E1" } }, task_group: { tasks: [taskInfo("G1", agent.id, 0.5, 64), taskInfo("G2", agent.id, 0.5, 64)] } } };
    expect(f.tasks.accept(framework, [offer], [group])).toBeNull();
    expect(taskJson(taskOf(f, "G1")!).executor_id).toBe("E1");
    expect(v1TaskJson(taskOf(f, "G2")!).executor_id).toEqual({ value: "E1" });
    expect(f.tasks.shutdownExecutor(framework, "E1", agent.id)).toBeNull();
    expect(agent.conn.of("KILL_TASK").map((k) => k.task_id.value).sort()).toEqual(["G1", "G2"]);
  });

  test("a kill sent to a connected agent is sent again if the agent re-registers still running the task (the socket may have been half-open)", async () => {
    const { f, agent, framework } = await withRunningTask();
    expect(f.tasks.kill(framework, "T1", agent.id)).toBeNull();
    expect(agent.conn.of("KILL_TASK")).toHaveLength(1);
    const conn = await reregisterWithT1(f, agent.id, framework);
    expect(conn.of("KILL_TASK")).toMatchObject([{ task_id: { value: "T1" } }]);
  });

  test("MARK_AGENT_GONE: TASK_GONE_BY_OPERATOR for partition-aware frameworks; removal (UNREGISTER) is TASK_LOST", async () => {
    const { f, agent, stream } = await withRunningTask({ partition_aware: true });
    await markAgentGone(f.agents, agent.id);
    expect(lastUpdate(stream)).toMatchObject({ state: "TASK_GONE_BY_OPERATOR", reason: "REASON_SLAVE_REMOVED_BY_OPERATOR" });
    expect(f.metric("master/tasks_gone_by_operator")).toBe(1);

    const other = await withRunningTask({ partition_aware: true });
    other.f.agents.receive(other.agent.conn, { type: "UNREGISTER_SLAVE", slave_id: { value: other.agent.id } });
    await settle();
    expect(lastUpdate(other.stream)).toMatchObject({ state: "TASK_LOST", reason: "REASON_SLAVE_REMOVED" });
  });
});

test("removeFramework: offers withdrawn, KILL_TASK and SHUTDOWN_FRAMEWORK to the agent, tasks TASK_KILLED and completed", async () => {
  const { f, agent, framework } = await withRunningTask();
  await f.clock.advance(5_000);
  f.tasks.allocate();
  expect(f.tasks.offers.size).toBe(1);
  f.tasks.removeFramework(framework as Framework);
  expect(f.tasks.offers.size).toBe(0);
  expect(agent.conn.of("KILL_TASK").map((m) => m.task_id.value)).toEqual(["T1"]);
  expect(agent.conn.of("SHUTDOWN_FRAMEWORK")).toEqual([{ type: "SHUTDOWN_FRAMEWORK", master_id: "M1", framework_id: { value: "F1" } }]);
  const done = f.tasks.completed_frameworks.get("F1")!;
  expect(done.completed.map((t) => [t.state, t.statuses.at(-1)!.reason])).toEqual([["TASK_KILLED", "REASON_FRAMEWORK_REMOVED"]]);
  expect([f.metric("master/cpus_used"), f.metric("master/tasks_killed")]).toEqual([0, 1]);
});
