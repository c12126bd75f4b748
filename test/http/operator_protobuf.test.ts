// Proves the master's operator API (POST /api/v1) in protobuf on an in-process leader with agents, a framework, tasks, a drained agent, a maintenance schedule, quota and weights: calls sent as protobuf change the registry as their JSON does (nanoseconds exact, DRAIN_AGENT's Duration), every read answered in protobuf decodes to exactly its JSON answer (no field lost by the schemas), and a protobuf SUBSCRIBE streams protobuf Events equal to the JSON stream's.
import { afterEach, expect, test } from "bun:test";
import { createApp } from "../../http/app.ts";
import type { TaskState } from "../../host/agent/task_protocol.ts";
import { decodeToJson, encodeFromJson } from "../../host/codec/protobuf.ts";
import type { Master } from "../../host/master/master.ts";
import { EventReader } from "../helpers/frameworks.ts";
import { FakeClock, FakeConnection, leaderWithAgent, registerMessage, settle } from "../helpers/master_agents.ts";
import { launch, RecordingStream, taskInfo, uuid } from "../helpers/master_tasks.ts";

const masters: Master[] = [];
const readers: EventReader[] = [];
afterEach(async () => {
  await Promise.all(readers.splice(0).map((r) => r.cancel()));
  masters.splice(0).forEach((m) => m.stop());
});

type App = ReturnType<typeof createApp>;
const PROTOBUF = "application/x-protobuf";

const post = (app: App, body: string | Uint8Array, headers: Record<string, string>) =>
  app.handle(new Request("http://localhost/api/v1", { method: "POST", headers, body }));

/** A call sent as protobuf bytes; the answer read as JSON (no Accept: JSON is preferred). */
async function protobufCall(app: App, call: Record<string, unknown>): Promise<{ status: number; text: string }> {
  const response = await post(app, encodeFromJson("mesos.v1.master.Call", call), { "content-type": PROTOBUF });
  return { status: response.status, text: await response.text() };
}

/** One read both ways: the JSON answer, and the protobuf answer decoded (its content type checked). */
async function bothWays(app: App, type: string): Promise<{ json: unknown; protobuf: unknown }> {
  const body = JSON.stringify({ type });
  const json = await post(app, body, { "content-type": "application/json" });
  expect([type, json.status]).toEqual([type, 200]);
  const protobuf = await post(app, body, { "content-type": "application/json", accept: PROTOBUF });
  expect([type, protobuf.status, protobuf.headers.get("content-type")]).toEqual([type, 200, PROTOBUF]);
  const decoded = decodeToJson("mesos.v1.master.Response", await protobuf.bytes());
  if ("error" in decoded) throw new Error(`${type}: ${decoded.error}`);
  return { json: withoutEmptyLists(await json.json()), protobuf: decoded.value };
}

/** Protobuf has no empty repeated field (Mesos's own JSON leaves them out too); this master writes `[]`. */
function withoutEmptyLists(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutEmptyLists);
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value).filter(([, v]) => !(Array.isArray(v) && v.length === 0));
  return Object.fromEntries(entries.map(([k, v]) => [k, withoutEmptyLists(v)]));
}

const statusUpdate = (framework_id: string, task_id: string, n: number, state: TaskState) => ({
  type: "STATUS_UPDATE" as const,
  update: { framework_id: { value: framework_id }, status: { task_id: { value: task_id }, state, uuid: uuid(n), timestamp: n }, timestamp: n, uuid: uuid(n) },
});

/** A leader with two agents (the second drained), a framework with a running and a finished task, a schedule, quota and weights, all changed through protobuf calls. */
async function busyLeader() {
  const clock = new FakeClock();
  const { master, conn, agent_id } = await leaderWithAgent([], { agent_clock: clock, framework_clock: clock }, masters);
  const app = createApp(master);
  const second = new FakeConnection("10.0.0.1:40000");
  master.agents.receive(second, registerMessage(1));
  await settle();
  const second_id = `${master.info.id}-S1`;
  const scheduler = new RecordingStream();
  const framework = master.frameworks.subscribe({ name: "web", user: "root", roles: ["*"], capabilities: [{ type: "MULTI_ROLE" }] } as never, [], scheduler)!;
  master.tasks.allocate();
  const offer = scheduler.offers().find((o) => o.agent_id.value === agent_id)!.id.value;
  expect(master.tasks.accept(framework, [offer], [launch(taskInfo("T1", agent_id, 0.5, 64), taskInfo("T2", agent_id, 0.5, 64))])).toBeNull();
  master.agents.receive(conn, statusUpdate(framework.id, "T1", 1, "TASK_RUNNING"));
  master.agents.receive(conn, statusUpdate(framework.id, "T2", 2, "TASK_FINISHED"));
  master.tasks.allocate(); // offers outstanding again, for GET_FRAMEWORKS' offers
  await settle();
  const changes = [
    { type: "DRAIN_AGENT", drain_agent: { agent_id: { value: second_id }, max_grace_period: { seconds: 600, nanos: 5 }, mark_gone: false } },
    { type: "UPDATE_MAINTENANCE_SCHEDULE", update_maintenance_schedule: { schedule: { windows: [{ machine_ids: [{ hostname: "m1", ip: "10.0.0.9" }],
      unavailability: { start: { nanoseconds: 1_900_000_000_000_000_001n }, duration: { nanoseconds: 3_600_000_000_000 } } }] } } },
    { type: "UPDATE_QUOTA", update_quota: { force: true, quota_configs: [{ role: "dev", guarantees: { cpus: { value: 1 } }, limits: { cpus: { value: 4 }, mem: { value: 512 } } }] } },
    { type: "UPDATE_WEIGHTS", update_weights: { weight_infos: [{ role: "dev", weight: 2.5 }] } },
  ];
  for (const change of changes) expect(await protobufCall(app, change)).toEqual({ status: 200, text: "" });
  return { master, app, conn, agent_id, second_id, framework };
}

test("calls sent as protobuf change the registry as their JSON would: exact nanoseconds, DRAIN_AGENT's Duration, quota maps, weights; refusals keep their texts", async () => {
  const { app, second_id } = await busyLeader();
  const schedule = await post(app, JSON.stringify({ type: "GET_MAINTENANCE_SCHEDULE" }), { "content-type": "application/json" });
  expect(await schedule.text()).toContain('"start":{"nanoseconds":1900000000000000001}'); // past 2^53, unchanged
  const agents = (await (await post(app, JSON.stringify({ type: "GET_AGENTS" }), { "content-type": "application/json" })).json()) as any;
  const drained = agents.get_agents.agents.find((a: any) => a.agent_info.id.value === second_id);
  expect(drained.drain_info).toEqual({ state: "DRAINED", config: { mark_gone: false, max_grace_period: { nanoseconds: 600_000_000_005 } } });
  const quota = (await (await post(app, JSON.stringify({ type: "GET_QUOTA" }), { "content-type": "application/json" })).json()) as any;
  expect(quota.get_quota.status.configs).toEqual([{ role: "dev", guarantees: { cpus: { value: 1 } }, limits: { cpus: { value: 4 }, mem: { value: 512 } } }]);
  // The same validation as JSON bodies, with the same texts.
  expect(await protobufCall(app, { type: "DEACTIVATE_AGENT", deactivate_agent: {} }))
    .toEqual({ status: 400, text: "Failed to convert JSON into Call protobuf: Missing required fields: deactivate_agent.agent_id" });
  expect(await protobufCall(app, { type: "UPDATE_WEIGHTS", update_weights: { weight_infos: [{ role: "dev", weight: -1 }] } })).toMatchObject({ status: 400 });
  expect(await protobufCall(app, { type: "GET_OPERATIONS" })).toMatchObject({ status: 501 });
  const truncated = await post(app, new Uint8Array([0x08, 0x09, 0x12, 0x05, 0x0a]), { "content-type": PROTOBUF });
  expect([truncated.status, await truncated.text()]).toEqual([400, "Failed to parse body into Call protobuf"]);
});

test("every read answered in protobuf decodes to exactly its JSON answer", async () => {
  const { app } = await busyLeader();
  const reads = ["GET_HEALTH", "GET_FLAGS", "GET_VERSION", "GET_MASTER", "GET_STATE", "GET_AGENTS", "GET_FRAMEWORKS", "GET_EXECUTORS", "GET_TASKS",
    "GET_ROLES", "GET_WEIGHTS", "GET_MAINTENANCE_STATUS", "GET_MAINTENANCE_SCHEDULE", "GET_QUOTA"];
  for (const type of reads) {
    const { json, protobuf } = await bothWays(app, type);
    expect([type, protobuf]).toEqual([type, json]);
  }
  // The fixture is busy enough for the comparison to mean something.
  const state = (await bothWays(app, "GET_STATE")).protobuf as any;
  // T2's TASK_FINISHED is not acknowledged yet, so it is still among the tasks (as in Mesos).
  expect(state.get_state.get_tasks.tasks.map((t: any) => [t.state, t.statuses.at(-1).state]).sort()).toEqual([["TASK_FINISHED", "TASK_FINISHED"], ["TASK_RUNNING", "TASK_RUNNING"]]);
  expect(state.get_state.get_frameworks.frameworks[0].offers.length).toBeGreaterThan(0);
  expect(state.get_state.get_agents.agents.some((a: any) => a.drain_info?.state === "DRAINED")).toBe(true);
});

test("SUBSCRIBE with Accept protobuf: a RecordIO stream of protobuf Events, each equal to the JSON stream's", async () => {
  const { master, app, conn, framework } = await busyLeader();
  const subscribe = JSON.stringify({ type: "SUBSCRIBE" });
  const jsonResponse = await post(app, subscribe, { "content-type": "application/json" });
  const protobufResponse = await post(app, encodeFromJson("mesos.v1.master.Call", { type: "SUBSCRIBE" }), { "content-type": PROTOBUF, accept: PROTOBUF });
  expect([protobufResponse.status, protobufResponse.headers.get("content-type")]).toEqual([200, PROTOBUF]);
  const json = new EventReader(jsonResponse.body!);
  const protobuf = new EventReader(protobufResponse.body!, "mesos.v1.master.Event");
  readers.push(json, protobuf);
  expect(master.operator_events.size).toBe(2);
  master.agents.receive(new FakeConnection("10.0.0.2:40000"), registerMessage(2)); // AGENT_ADDED
  await settle();
  master.agents.receive(conn, statusUpdate(framework.id, "T1", 3, "TASK_KILLED")); // TASK_UPDATED
  await settle();
  for (let i = 0; i < 3; i++) {
    const [a, b] = [await json.next(), await protobuf.next()];
    expect(b).toEqual(withoutEmptyLists(a) as never);
  }
});
