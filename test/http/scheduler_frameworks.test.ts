// Proves the framework views and removals over HTTP: /frameworks (Mesos's FullFrameworkWriter fields, framework_id=, completed, the TaskService's view), /teardown (405/400/200), the operator API's GET_FRAMEWORKS and TEARDOWN, leader-only redirects, and the framework gauges.
import { afterEach, describe, expect, test } from "bun:test";
import { createApp } from "../../http/app.ts";
import type { Master } from "../../host/master/master.ts";
import { EventReader, RecordingTasks } from "../helpers/frameworks.ts";
import { otherMaster, testMaster } from "../helpers/master.ts";

type App = ReturnType<typeof createApp>;
const masters: Master[] = [];
afterEach(() => masters.splice(0).forEach((m) => m.stop()));

async function leader() {
  const master = testMaster(["--port=5050"]);
  masters.push(master);
  master.detected(master.info);
  for (let i = 0; i < 400 && !master.registrar.recovered(); i++) await Bun.sleep(5);
  const tasks = new RecordingTasks();
  master.frameworks.tasks = tasks;
  return { master, app: createApp(master), tasks };
}

async function request(app: App, method: string, path: string, body?: string, headers: Record<string, string> = {}) {
  const init: RequestInit = { method, headers };
  if (body !== undefined) init.body = body;
  const response = await app.handle(new Request(`http://localhost${path}`, init));
  const text = await response.text();
  return { status: response.status, text, json: text.startsWith("{") ? JSON.parse(text) : undefined, headers: response.headers };
}

async function subscribe(app: App, info: Record<string, unknown>) {
  const response = await app.handle(new Request("http://localhost/api/v1/scheduler", {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ type: "SUBSCRIBE", subscribe: { framework_info: info } }),
  }));
  const events = new EventReader(response.body!);
  const first = (await events.next())!;
  return { id: (first.subscribed as { framework_id: { value: string } }).framework_id.value, events };
}

const operator = (app: App, call: unknown) => request(app, "POST", "/api/v1", JSON.stringify(call), { "content-type": "application/json" });

describe("/frameworks", () => {
  test("Mesos's fields for an HTTP framework (no pid); role or roles; the TaskService's view; framework_id= selects", async () => {
    const { app, master, tasks } = await leader();
    const multi = await subscribe(app, {
      user: "alice", name: "multi", roles: ["a", "b"], capabilities: [{ type: "MULTI_ROLE" }, { type: "PARTITION_AWARE" }], hostname: "sched.example.com",
      webui_url: "http://sched.example.com", failover_timeout: 60, checkpoint: true, principal: "p", labels: { labels: [{ key: "k", value: "v" }] },
    });
    const single = await subscribe(app, { user: "bob", name: "single" });
    const offer = { id: { value: "o1" }, framework_id: { value: multi.id }, agent_id: { value: "s1" }, hostname: "h", resources: [{ name: "cpus", type: "SCALAR", scalar: { value: 2 } }] };
    tasks.view = { tasks: [{ id: "t1", state: "TASK_RUNNING" }], unreachable_tasks: [], completed_tasks: [], offers: [offer], used_resources: [{ name: "mem", type: "SCALAR", scalar: { value: 64 } }], offered_resources: offer.resources };
    const all = await request(app, "GET", "/frameworks");
    expect(all.status).toBe(200);
    expect(Object.keys(all.json)).toEqual(["frameworks", "completed_frameworks", "unregistered_frameworks"]);
    expect(all.json.frameworks.map((f: { id: string }) => f.id)).toEqual([multi.id, single.id]);
    const framework = all.json.frameworks[0];
    const registered = master.frameworks.get(multi.id)!.registered_time / 1000;
    expect(framework).toEqual({
      id: multi.id, name: "multi",
      used_resources: { cpus: 0, gpus: 0, mem: 64, disk: 0 }, offered_resources: { cpus: 2, gpus: 0, mem: 0, disk: 0 },
      capabilities: ["MULTI_ROLE", "PARTITION_AWARE"], hostname: "sched.example.com", webui_url: "http://sched.example.com",
      active: true, connected: true, recovered: false, user: "alice", failover_timeout: 60, checkpoint: true,
      registered_time: registered, unregistered_time: 0, principal: "p", resources: { cpus: 2, gpus: 0, mem: 64, disk: 0 },
      roles: ["a", "b"], tasks: [{ id: "t1", state: "TASK_RUNNING" }], unreachable_tasks: [], completed_tasks: [],
      offers: [{ id: "o1", framework_id: multi.id, slave_id: "s1", resources: { cpus: 2, gpus: 0, mem: 0, disk: 0 } }],
      executors: [], labels: [{ key: "k", value: "v" }], offer_constraints: {},
    });
    expect(all.json.frameworks[1]).toMatchObject({ role: "*", capabilities: [], hostname: "", webui_url: "", failover_timeout: 0, checkpoint: false });
    expect(all.json.frameworks[1]).not.toContainKey("pid");
    expect(all.json.frameworks[1]).not.toContainKey("roles");
    const one = await request(app, "GET", `/master/frameworks?framework_id=${single.id}`);
    expect(one.json.frameworks.map((f: { id: string }) => f.id)).toEqual([single.id]);
    expect((await request(app, "GET", "/frameworks?framework_id=nope")).json).toEqual({ frameworks: [], completed_frameworks: [], unregistered_frameworks: [] });
    expect((await request(app, "GET", "/frameworks?jsonp=cb")).text).toStartWith("cb({");
  });

  test("leader-only: 307 to the leader, 503 without one", async () => {
    const master = testMaster();
    masters.push(master);
    const app = createApp(master);
    for (const [method, path] of [["GET", "/frameworks"], ["POST", "/teardown"]] as const) {
      expect((await request(app, method, path)).status).toBe(503);
    }
    master.detected(otherMaster("m2.example.com", 5050));
    const redirected = await request(app, "GET", "/frameworks?framework_id=x");
    expect([redirected.status, redirected.headers.get("location")]).toEqual([307, "//m2.example.com:5050/frameworks?framework_id=x"]);
  });
});

describe("/teardown", () => {
  test("405 for other methods; 400 without or with an unknown frameworkId; 200 removes the framework (completed_frameworks, stream ended)", async () => {
    const { app, master, tasks } = await leader();
    const { id, events } = await subscribe(app, { user: "alice", name: "doomed" });
    const get = await request(app, "GET", "/teardown");
    expect([get.status, get.headers.get("allow")]).toEqual([405, "POST"]);
    const form = { "content-type": "application/x-www-form-urlencoded" };
    expect(await request(app, "POST", "/teardown", "", form)).toMatchObject({ status: 400, text: "Missing 'frameworkId' query parameter in the request body" });
    expect(await request(app, "POST", "/teardown", "frameworkId=nope", form)).toMatchObject({ status: 400, text: "No framework found with specified ID" });
    expect(await request(app, "POST", "/master/teardown", `frameworkId=${encodeURIComponent(id)}`, form)).toMatchObject({ status: 200, text: "" });
    expect(await events.next()).toBeNull();
    expect(tasks.calls.at(-1)).toEqual(["removeFramework", id]);
    const after = (await request(app, "GET", "/frameworks")).json;
    expect(after.frameworks).toEqual([]);
    expect(after.completed_frameworks).toHaveLength(1);
    expect(after.completed_frameworks[0]).toMatchObject({ id, active: false, connected: false, unregistered_time: master.frameworks.completed.get(id)!.unregistered_time! / 1000 });
    expect(await request(app, "POST", "/teardown", `frameworkId=${id}`, form)).toMatchObject({ status: 400 });
  });
});

describe("operator API", () => {
  test("GET_FRAMEWORKS: v1 shapes of registered and completed frameworks; empty lists omitted", async () => {
    const { app, master } = await leader();
    expect((await operator(app, { type: "GET_FRAMEWORKS" })).json).toEqual({ type: "GET_FRAMEWORKS", get_frameworks: {} });
    const kept = await subscribe(app, { user: "alice", name: "kept", failover_timeout: 5 });
    const gone = await subscribe(app, { user: "alice", name: "gone" });
    master.frameworks.teardown(gone.id);
    const answer = await operator(app, { type: "GET_FRAMEWORKS" });
    expect(answer.status).toBe(200);
    const ns = (ms: number | undefined) => ({ nanoseconds: Math.round(ms! * 1e6) });
    const keptFramework = master.frameworks.get(kept.id)!;
    const goneFramework = master.frameworks.completed.get(gone.id)!;
    expect(answer.json).toEqual({
      type: "GET_FRAMEWORKS",
      get_frameworks: {
        frameworks: [{
          framework_info: { user: "alice", name: "kept", failover_timeout: 5, id: { value: kept.id } },
          active: true, connected: true, recovered: false, registered_time: ns(keptFramework.registered_time), offer_constraints: {},
        }],
        completed_frameworks: [{
          framework_info: { user: "alice", name: "gone", id: { value: gone.id } },
          active: false, connected: false, recovered: false,
          registered_time: ns(goneFramework.registered_time), unregistered_time: ns(goneFramework.unregistered_time), offer_constraints: {},
        }],
      },
    });
  });

  test("TEARDOWN: 400 without its message or id, 400 unknown framework, 200 removes it", async () => {
    const { app, master, tasks } = await leader();
    const { id } = await subscribe(app, { user: "alice", name: "doomed" });
    expect(await operator(app, { type: "TEARDOWN" })).toMatchObject({ status: 400, text: "Failed to validate master::Call: Expecting 'teardown' to be present" });
    expect(await operator(app, { type: "TEARDOWN", teardown: {} })).toMatchObject({ status: 400, text: "Failed to convert JSON into Call protobuf: Missing required fields: teardown.framework_id" });
    expect(await operator(app, { type: "TEARDOWN", teardown: { framework_id: { value: "nope" } } })).toMatchObject({ status: 400, text: "No framework found with specified ID" });
    expect(await operator(app, { type: "TEARDOWN", teardown: { framework_id: { value: id } } })).toMatchObject({ status: 200, text: "" });
    expect(master.frameworks.get(id)).toBeUndefined();
    expect(tasks.calls.at(-1)).toEqual(["removeFramework", id]);
  });
});

test("metrics: framework gauges and the subscription counters", async () => {
  const { app, master } = await leader();
  const gauges = async () => {
    const snapshot = (await request(app, "GET", "/metrics/snapshot")).json;
    return ["connected", "disconnected", "active", "inactive"].map((k) => snapshot[`master/frameworks_${k}`]);
  };
  expect(await gauges()).toEqual([0, 0, 0, 0]);
  const a = await subscribe(app, { user: "alice", name: "a", failover_timeout: 60 });
  await subscribe(app, { user: "alice", name: "b" });
  expect(await gauges()).toEqual([2, 0, 2, 0]);
  await a.events.cancel();
  for (let i = 0; i < 100 && master.frameworks.get(a.id)!.stream; i++) await Bun.sleep(5);
  expect(await gauges()).toEqual([1, 1, 1, 1]);
  expect((await request(app, "GET", "/metrics/snapshot")).json["master/messages_register_framework"]).toBe(2);
});
