// Proves the task endpoints on an in-process leader: /tasks paging (limit, offset, order, framework_id, task_id), /roles, /state frameworks[].tasks and /state-summary counts, the operator API's GET_TASKS, GET_ROLES and GET_STATE, and the task and resource metrics.
import { afterEach, expect, test } from "bun:test";
import { createApp } from "../../http/app.ts";
import { Master } from "../../host/master/master.ts";
import { FakeClock, leaderWithAgent } from "../helpers/master_agents.ts";
import { launch, RecordingStream, taskInfo, uuid } from "../helpers/master_tasks.ts";

const masters: Master[] = [];
afterEach(() => masters.splice(0).forEach((m) => m.stop()));

/** A leader with one agent and one subscribed framework that launched `n` tasks (RUNNING), in one role with weight 2. */
async function leaderWithTasks(n: number) {
  const clock = new FakeClock();
  const { master, conn, agent_id } = await leaderWithAgent(["--weights=web=2"], { agent_clock: clock, framework_clock: clock }, masters);
  const stream = new RecordingStream();
  const framework = master.frameworks.subscribe({ name: "web", roles: ["web"], capabilities: [{ type: "MULTI_ROLE" }] } as never, [], stream)!;
  master.tasks.allocate();
  const offer = stream.offers()[0]!.id.value;
  const ids = Array.from({ length: n }, (_, i) => `T${i}`);
  expect(master.tasks.accept(framework, [offer], [launch(...ids.map((id) => taskInfo(id, agent_id, 0.1, 16)))])).toBeNull();
  for (const [i, id] of ids.entries()) {
    clock.t += 1000;
    master.agents.receive(conn, {
      type: "STATUS_UPDATE",
      update: { framework_id: { value: framework.id }, status: { task_id: { value: id }, state: "TASK_RUNNING", uuid: uuid(i), timestamp: clock.t / 1000 }, timestamp: clock.t / 1000, uuid: uuid(i) },
    });
  }
  return { master, app: createApp(master), framework, agent_id };
}

type App = ReturnType<typeof createApp>;
const get = async (app: App, path: string): Promise<any> => (await app.handle(new Request(`http://localhost${path}`))).json();
const call = async (app: App, type: string): Promise<any> =>
  (await app.handle(new Request("http://localhost/api/v1", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ type }) }))).json();

test("/tasks pages newest first by default (limit 100), order=asc, offset, limit, framework_id and task_id filters", async () => {
  const { app, framework, agent_id } = await leaderWithTasks(5);
  const ids = async (query: string) => ((await get(app, `/tasks${query}`)).tasks as { id: string }[]).map((t) => t.id);
  expect(await ids("")).toEqual(["T4", "T3", "T2", "T1", "T0"]);
  expect(await ids("?order=asc&offset=1&limit=2")).toEqual(["T1", "T2"]);
  expect(await ids(`?framework_id=${framework.id}&task_id=T3`)).toEqual(["T3"]);
  expect(await ids("?framework_id=nope")).toEqual([]);
  const task = (await get(app, "/master/tasks?task_id=T0")).tasks[0];
  expect(task).toMatchObject({
    id: "T0", name: "task T0", framework_id: framework.id, executor_id: "", slave_id: agent_id, state: "TASK_RUNNING", role: "web",
    resources: { cpus: 0.1, mem: 16, gpus: 0, disk: 0 }, statuses: [{ state: "TASK_RUNNING" }],
  });
});

test("/roles, /state, /state-summary, GET_TASKS, GET_ROLES, GET_STATE and the metrics show the tasks", async () => {
  const { app, framework, agent_id } = await leaderWithTasks(2);
  const roles = (await get(app, "/roles")).roles;
  expect(roles).toEqual([{
    name: "web", weight: 2, quota: { role: "web", guarantee: {}, limit: {}, consumed: { cpus: 0.2, mem: 32 } },
    resources: { cpus: 0.2, mem: 32 }, allocated: { cpus: 0.2, mem: 32 }, offered: {}, reserved: {}, frameworks: [framework.id],
  }]);
  const state = await get(app, "/state");
  expect(state.frameworks.map((f: any) => [f.id, f.tasks.length, f.used_resources.cpus])).toEqual([[framework.id, 2, 0.2]]);
  expect(state.slaves[0].used_resources).toMatchObject({ cpus: 0.2, mem: 32 });
  const summary = await get(app, "/state-summary");
  expect(summary.slaves[0]).toMatchObject({ TASK_RUNNING: 2, TASK_STAGING: 0, framework_ids: [framework.id] });
  expect(summary.frameworks[0]).toMatchObject({ id: framework.id, TASK_RUNNING: 2, slave_ids: [agent_id] });

  const tasks = await call(app, "GET_TASKS");
  expect(tasks.type).toBe("GET_TASKS");
  expect(tasks.get_tasks.tasks.map((t: any) => [t.task_id.value, t.state, t.agent_id.value])).toEqual([["T0", "TASK_RUNNING", agent_id], ["T1", "TASK_RUNNING", agent_id]]);
  const getRoles = await call(app, "GET_ROLES");
  expect(getRoles.get_roles.roles[0]).toMatchObject({ name: "web", weight: 2, frameworks: [{ value: framework.id }] });
  const all = await call(app, "GET_STATE");
  expect(Object.keys(all.get_state).sort()).toEqual(["get_agents", "get_executors", "get_frameworks", "get_tasks"]);
  expect(all.get_state.get_tasks.tasks).toHaveLength(2);
  expect(all.get_state.get_frameworks.frameworks[0].framework_info.id.value).toBe(framework.id);

  const metrics = await get(app, "/metrics/snapshot");
  expect(metrics).toMatchObject({
    "master/tasks_running": 2, "master/tasks_staging": 0, "master/valid_status_updates": 2, "master/invalid_status_updates": 0,
    "master/cpus_used": 0.2, "master/mem_used": 32, "master/outstanding_offers": 0,
  });
});
