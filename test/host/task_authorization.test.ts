// Proves run_tasks on ACCEPT: a task whose user (its command's, else its framework's) the framework's principal may launch as is sent to the agent; any other gets TASK_ERROR REASON_TASK_UNAUTHORIZED with Mesos's text, never reaches the agent, and its resources are offered again; one unauthorized task refuses a whole LAUNCH_GROUP; a framework without a principal is judged as ANY.
import { afterEach, describe, expect, test } from "bun:test";
import type { JsonObject } from "../../host/agent/task_protocol.ts";
import { launch, type TaskFixture, taskInfo, tasksFixture } from "../helpers/master_tasks.ts";
import { aclsFile } from "../helpers/secured.ts";

const fixtures: TaskFixture[] = [];
afterEach(() => fixtures.splice(0).forEach((f) => f.agents.stop()));

const ACLS = {
  permissive: false,
  run_tasks: [{ principals: { values: ["fw1"] }, users: { values: ["alice"] } }, { principals: { type: "ANY" }, users: { values: ["nobody"] } }],
};

/** One agent (4 cpus, 1024 mem) whose offer is held by framework F1 with `info` (user, principal). */
async function offered(info: JsonObject) {
  const f = await tasksFixture([`--acls=${aclsFile(ACLS)}`]);
  fixtures.push(f);
  const agent = await f.register(0);
  const { framework, stream } = f.framework("F1", { info });
  f.tasks.allocate();
  return { f, agent, framework, stream, offer: stream.offers()[0]!.id.value };
}

const asUser = (task: JsonObject, user: string) => ({ ...task, command: { ...(task.command as JsonObject), user } });
/** The tasks the agent was told to run. */
const runTasks = (agent: { conn: { of(type: "RUN_TASK"): { task: { task_id: { value: string } } }[] } }) => agent.conn.of("RUN_TASK").map((m) => m.task.task_id.value);

describe("run_tasks on LAUNCH", () => {
  test("the framework's user is allowed: the task goes to the agent", async () => {
    const { f, agent, framework, stream, offer } = await offered({ user: "alice", principal: "fw1" });
    expect(f.tasks.accept(framework, [offer], [launch(taskInfo("T1", agent.id))])).toBeNull();
    expect(runTasks(agent)).toEqual(["T1"]);
    expect(f.tasks.frameworks.get("F1")!.tasks.get("T1")!.state).toBe("TASK_STAGING");
    expect(stream.updates()).toEqual([]);
  });

  test("a command user the principal may not launch as: TASK_ERROR REASON_TASK_UNAUTHORIZED, no RUN_TASK, its resources offered again", async () => {
    const { f, agent, framework, stream, offer } = await offered({ user: "alice", principal: "fw1" });
    const tasks = [taskInfo("T1", agent.id), asUser(taskInfo("T2", agent.id, 2, 512), "root")];
    expect(f.tasks.accept(framework, [offer], [launch(...tasks)], { refuse_seconds: 0 })).toBeNull();
    expect(stream.updates().map(({ task_id, state, reason, source, message }) => ({ task: task_id.value, state, reason, source, message }))).toEqual([{
      task: "T2", state: "TASK_ERROR", reason: "REASON_TASK_UNAUTHORIZED", source: "SOURCE_MASTER",
      message: "Principal 'fw1' no authorized to launch task T2 of framework F1 under user 'root'",
    }]);
    expect(runTasks(agent)).toEqual(["T1"]);
    expect(f.tasks.frameworks.get("F1")!.tasks.has("T2")).toBe(false);
    expect([f.metric("master/tasks_error"), f.metric("master/cpus_used"), f.metric("master/mem_used")]).toEqual([1, 1, 128]);
    // T2's 2 cpus and 512 mem were never used: the next offer holds everything but T1's.
    await f.clock.advance(1_000);
    f.tasks.allocate();
    const next = stream.offers()[1]!;
    expect(next.resources.find((r) => r.name === "cpus")).toMatchObject({ scalar: { value: 3 } });
    expect(next.resources.find((r) => r.name === "mem")).toMatchObject({ scalar: { value: 896 } });
  });

  test("the command's user decides before the framework's: an allowed command user launches for a refused framework user", async () => {
    const { f, agent, framework, stream, offer } = await offered({ user: "root", principal: "fw1" });
    expect(f.tasks.accept(framework, [offer], [launch(asUser(taskInfo("T1", agent.id), "alice"), taskInfo("T2", agent.id))])).toBeNull();
    expect(runTasks(agent)).toEqual(["T1"]);
    expect(stream.updates().map((s) => [s.task_id.value, s.reason, s.message])).toEqual([
      ["T2", "REASON_TASK_UNAUTHORIZED", "Principal 'fw1' no authorized to launch task T2 of framework F1 under user 'root'"],
    ]);
  });

  test("a framework without a principal is ANY: only entries for ANY principal can allow it", async () => {
    const { f, agent, framework, stream, offer } = await offered({ user: "alice" });
    expect(f.tasks.accept(framework, [offer], [launch(taskInfo("T1", agent.id), asUser(taskInfo("T2", agent.id), "nobody"))])).toBeNull();
    expect(runTasks(agent)).toEqual(["T2"]);
    expect(stream.updates().map((s) => [s.task_id.value, s.message])).toEqual([["T1", "Principal '' no authorized to launch task T1 of framework F1 under user 'alice'"]]);
  });
});

describe("run_tasks on LAUNCH_GROUP", () => {
  test("one unauthorized task refuses the whole group (REASON_TASK_GROUP_UNAUTHORIZED); an allowed group launches", async () => {
    const { f, agent, framework, stream, offer } = await offered({ user: "alice", principal: "fw1" });
    const group = (...tasks: JsonObject[]) => ({ type: "LAUNCH_GROUP", launch_group: { executor: { executor_id: { value: "E1" } }, task_group: { tasks } } });
    const refused = group(taskInfo("G1", agent.id, 0.5, 64), asUser(taskInfo("G2", agent.id, 0.5, 64), "root"));
    const allowed = group(taskInfo("G3", agent.id, 0.5, 64), taskInfo("G4", agent.id, 0.5, 64));
    expect(f.tasks.accept(framework, [offer], [refused, allowed])).toBeNull();
    const message = "Task 'G2' is not authorized tolaunch task G2 of framework F1 under user 'root'";
    expect(stream.updates().map((s) => [s.task_id.value, s.state, s.reason, s.message])).toEqual([
      ["G1", "TASK_ERROR", "REASON_TASK_GROUP_UNAUTHORIZED", message],
      ["G2", "TASK_ERROR", "REASON_TASK_GROUP_UNAUTHORIZED", message],
    ]);
    const groups = agent.conn.of("RUN_TASK_GROUP").map((m) => (m.task_group.tasks as { task_id: { value: string } }[]).map((t) => t.task_id.value));
    expect(groups).toEqual([["G3", "G4"]]);
    expect([...f.tasks.frameworks.get("F1")!.tasks.keys()].sort()).toEqual(["G3", "G4"]);
  });
});
