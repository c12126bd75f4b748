// Proves POST /api/v1/scheduler end to end (app.handle and a real Bun.serve for streaming): SUBSCRIBE's 200, Mesos-Stream-Id and RecordIO SUBSCRIBED record, heartbeats, every 4xx (and 307/503/501) path in Mesos's order, each call's 202 and its dispatch to the TaskService, re-subscription replacing the stream, failover_timeout removal after the client goes away, and the master stopping closing streams.
import { afterEach, describe, expect, test } from "bun:test";
import { createApp } from "../../http/app.ts";
import { parseMasterFlags } from "../../host/master/flags.ts";
import { makeMasterInfo } from "../../host/master/info.ts";
import { Master } from "../../host/master/master.ts";
import { EventReader, RecordingTasks } from "../helpers/frameworks.ts";
import { otherMaster } from "../helpers/master.ts";

type App = ReturnType<typeof createApp>;
const masters: Master[] = [];
const servers: { stop(force?: boolean): unknown }[] = [];
afterEach(() => {
  servers.splice(0).forEach((s) => s.stop(true));
  masters.splice(0).forEach((m) => m.stop());
});

function newMaster(options: { heartbeat_interval_ms?: number; storage?: Promise<never> } = {}) {
  const result = parseMasterFlags(["--registry=in_memory", "--ip=127.0.0.1", "--port=5050"], {});
  if (result.kind !== "flags") throw new Error("flags expected");
  const master = new Master({ flags: result.values, info: makeMasterInfo("127.0.0.1", 5050, "m1.example.com"), ...options });
  masters.push(master);
  return master;
}

async function leader(options: { heartbeat_interval_ms?: number } = {}) {
  const master = newMaster(options);
  master.detected(master.info);
  for (let i = 0; i < 400 && !master.registrar.recovered(); i++) await Bun.sleep(5);
  expect(master.registrar.recovered()).toBe(true);
  const tasks = new RecordingTasks();
  master.frameworks.tasks = tasks;
  return { master, app: createApp(master), tasks };
}

const JSON_TYPE = { "content-type": "application/json" };
const INFO = { user: "alice", name: "scheduler-test" };

async function post(app: App, body: unknown, headers: Record<string, string> = JSON_TYPE, path = "/api/v1/scheduler", method = "POST") {
  const init: RequestInit = { method, headers };
  if (method !== "GET") init.body = typeof body === "string" ? body : JSON.stringify(body);
  const response = await app.handle(new Request(`http://localhost${path}`, init));
  return { status: response.status, text: await response.text(), headers: response.headers };
}

/** SUBSCRIBE through app.handle: the response, its stream id, the reader, and the SUBSCRIBED event's framework id. */
async function subscribe(app: App, info: Record<string, unknown> = INFO, headers: Record<string, string> = JSON_TYPE) {
  const framework_id = (info.id as { value: string } | undefined)?.value;
  const call = { type: "SUBSCRIBE", ...(framework_id ? { framework_id: { value: framework_id } } : {}), subscribe: { framework_info: info } };
  const response = await app.handle(new Request("http://localhost/api/v1/scheduler", { method: "POST", headers, body: JSON.stringify(call) }));
  expect(response.status).toBe(200);
  const events = new EventReader(response.body!);
  const first = (await events.next())!;
  expect(first.type).toBe("SUBSCRIBED");
  const id = (first.subscribed as { framework_id: { value: string } }).framework_id.value;
  return { response, stream_id: response.headers.get("mesos-stream-id")!, events, id, first };
}

const callOf = (id: string, type: string, message?: Record<string, unknown>) => ({
  framework_id: { value: id }, type, ...(message ? { [type.toLowerCase()]: message } : {}),
});

describe("SUBSCRIBE", () => {
  test("200, application/json, a fresh Mesos-Stream-Id, and a RecordIO SUBSCRIBED record as the first chunk (real server)", async () => {
    const { master, app } = await leader();
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: (r) => app.handle(r) });
    servers.push(server);
    const url = `http://127.0.0.1:${server.port}/master/api/v1/scheduler`;
    const response = await fetch(url, { method: "POST", headers: { ...JSON_TYPE, accept: "application/json" }, body: JSON.stringify({ type: "SUBSCRIBE", subscribe: { framework_info: INFO } }) });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.headers.get("transfer-encoding")).toBe("chunked");
    expect(response.headers.get("mesos-stream-id")).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const events = new EventReader(response.body!);
    const subscribed = await events.next();
    const id = `${master.info.id}-0000`;
    expect(subscribed).toEqual({ type: "SUBSCRIBED", subscribed: { framework_id: { value: id }, heartbeat_interval_seconds: 15, master_info: JSON.parse(JSON.stringify(master.info)) } });
    const text = new TextDecoder().decode(events.chunks[0]);
    const [length, json] = [text.slice(0, text.indexOf("\n")), text.slice(text.indexOf("\n") + 1)];
    expect(Number(length)).toBe(Buffer.byteLength(json));
    // A second framework: the next id and another stream id.
    const second = await subscribe(app);
    expect(second.id).toBe(`${master.info.id}-0001`);
    expect(second.stream_id).not.toBe(response.headers.get("mesos-stream-id"));
    expect(master.metrics.snapshot()).toMatchObject({ "master/frameworks_connected": 2, "master/frameworks_active": 2, "master/messages_register_framework": 2 });
    await events.cancel();
  });

  test("heartbeats arrive every interval (a short one here)", async () => {
    const { app } = await leader({ heartbeat_interval_ms: 30 });
    const { events, first } = await subscribe(app);
    expect((first.subscribed as { heartbeat_interval_seconds: number }).heartbeat_interval_seconds).toBe(0.03);
    for (let i = 0; i < 3; i++) expect(await events.next(1000)).toEqual({ type: "HEARTBEAT" });
  });

  test("a refused FrameworkInfo: 200, then ERROR, then the body ends", async () => {
    const { app, master } = await leader();
    const response = await app.handle(new Request("http://localhost/api/v1/scheduler", {
      method: "POST", headers: JSON_TYPE, body: JSON.stringify({ type: "SUBSCRIBE", subscribe: { framework_info: { ...INFO, roles: ["a"] } } }),
    }));
    expect(response.status).toBe(200);
    const events = new EventReader(response.body!);
    expect(await events.next()).toEqual({ type: "ERROR", error: { message: "'FrameworkInfo.roles' must not be set when the framework is not MULTI_ROLE capable" } });
    expect(await events.next()).toBeNull();
    expect(master.frameworks.registered.size).toBe(0);
  });

  test("re-subscribing replaces the stream: the old one gets ERROR 'Framework failed over' and ends; its stream id stops working", async () => {
    const { app, tasks } = await leader();
    const old = await subscribe(app, { ...INFO, failover_timeout: 60 });
    const fresh = await subscribe(app, { ...INFO, failover_timeout: 60, id: { value: old.id } });
    expect(fresh.id).toBe(old.id);
    expect(fresh.stream_id).not.toBe(old.stream_id);
    expect(await old.events.next()).toEqual({ type: "ERROR", error: { message: "Framework failed over" } });
    expect(await old.events.next()).toBeNull();
    const revive = callOf(old.id, "REVIVE");
    expect((await post(app, revive, { ...JSON_TYPE, "mesos-stream-id": old.stream_id })).status).toBe(400);
    expect((await post(app, revive, { ...JSON_TYPE, "mesos-stream-id": fresh.stream_id })).status).toBe(202);
    expect(tasks.names()).toEqual(["frameworkActivated", "frameworkFailedOver", "frameworkActivated", "revive"]);
  });

  test("a framework id this master does not know (its tasks' master failed over) is accepted", async () => {
    const { app, master } = await leader();
    const { id } = await subscribe(app, { ...INFO, id: { value: "a-former-master-0003" } });
    expect(id).toBe("a-former-master-0003");
    expect(master.metrics.snapshot()["master/messages_reregister_framework"]).toBe(1);
  });
});

describe("every 4xx path", () => {
  test("leadership and recovery: 307 to the leader, 503 without one, 503 while recovering", async () => {
    const follower = newMaster();
    const app = createApp(follower);
    expect(await post(app, { type: "SUBSCRIBE" })).toMatchObject({ status: 503, text: "No leader elected" });
    follower.detected(otherMaster("m2.example.com", 5050));
    const redirected = await post(app, { type: "SUBSCRIBE" });
    expect([redirected.status, redirected.headers.get("location")]).toEqual([307, "//m2.example.com:5050/api/v1/scheduler"]);
    const recovering = newMaster({ storage: new Promise(() => {}) });
    recovering.detected(recovering.info);
    expect(await post(createApp(recovering), { type: "SUBSCRIBE" })).toMatchObject({ status: 503, text: "Master has not finished recovery" });
  });

  test("HTTP: 405, Content-Type (400, 415 other), body too large, JSON and protobuf (400), Accept (406)", async () => {
    const { app } = await leader();
    const sub = { type: "SUBSCRIBE", subscribe: { framework_info: INFO } };
    const get = await post(app, undefined, {}, "/api/v1/scheduler", "GET");
    expect([get.status, get.headers.get("allow"), get.text]).toEqual([405, "POST", "Expecting one of { 'POST' }, but received 'GET'"]);
    expect(await post(app, sub, {})).toMatchObject({ status: 400, text: "Expecting 'Content-Type' to be present" });
    expect(await post(app, "\x1a\x05\x0a", { "content-type": "application/x-protobuf" })).toMatchObject({ status: 400, text: "Failed to parse body into Call protobuf" });
    expect((await post(app, "type=SUBSCRIBE", { "content-type": "application/x-www-form-urlencoded" })).status).toBe(415);
    expect(await post(app, " ".repeat(5 << 20))).toMatchObject({ status: 400, text: `Request body is larger than ${4 << 20} bytes` });
    expect((await post(app, "{")).text).toStartWith("Failed to parse body into JSON: ");
    expect(await post(app, sub, { ...JSON_TYPE, accept: "text/html" })).toMatchObject({ status: 406, text: "Expecting 'Accept' to allow 'application/x-protobuf' or 'application/json'" });
  });

  test("call conversion and validation (400, one line each)", async () => {
    const { app } = await leader();
    const cases: [unknown, string][] = [
      [[], "Failed to convert JSON into Call protobuf: Expecting a JSON object"],
      [{ type: "FLY" }, "Failed to convert JSON into Call protobuf: Failed to find enum for 'FLY'"],
      [{ type: 3 }, "Failed to convert JSON into Call protobuf: Not expecting a JSON number for field 'type'"],
      [{}, "Failed to validate scheduler::Call: Expecting 'type' to be present"],
      [{ type: "SUBSCRIBE" }, "Failed to validate scheduler::Call: Expecting 'subscribe' to be present"],
      [{ type: "SUBSCRIBE", subscribe: {} }, "Failed to convert JSON into Call protobuf: Missing required fields: subscribe.framework_info"],
      [{ type: "SUBSCRIBE", subscribe: { framework_info: {} } }, "Failed to convert JSON into Call protobuf: Missing required fields: subscribe.framework_info.user, subscribe.framework_info.name"],
      [{ type: "SUBSCRIBE", subscribe: { framework_info: { ...INFO, capabilities: [{ type: "FLYING" }] } } }, "Failed to convert JSON into Call protobuf: Failed to find enum for 'FLYING'"],
      [{ type: "SUBSCRIBE", framework_id: { value: "x" }, subscribe: { framework_info: INFO } }, "Failed to validate scheduler::Call: 'framework_id' differs from 'subscribe.framework_info.id'"],
      [{ type: "KILL", kill: { task_id: { value: "t" } } }, "Failed to validate scheduler::Call: Expecting 'framework_id' to be present"],
      [{ type: "KILL", framework_id: {} }, "Failed to convert JSON into Call protobuf: Missing required fields: framework_id.value"],
      [callOf("f", "KILL"), "Failed to validate scheduler::Call: Expecting 'kill' to be present"],
      [callOf("f", "KILL", {}), "Failed to convert JSON into Call protobuf: Missing required fields: kill.task_id"],
      [callOf("f", "ACCEPT"), "Failed to validate scheduler::Call: Expecting 'accept' to be present"],
      [callOf("f", "ACCEPT", { offer_ids: [{}] }), "Failed to convert JSON into Call protobuf: Missing required fields: accept.offer_ids[0].value"],
      [callOf("f", "DECLINE"), "Failed to validate scheduler::Call: Expecting 'decline' to be present"],
      [callOf("f", "SHUTDOWN", { agent_id: { value: "a" } }), "Failed to convert JSON into Call protobuf: Missing required fields: shutdown.executor_id"],
      [callOf("f", "ACKNOWLEDGE", { agent_id: { value: "a" }, task_id: { value: "t" } }), "Failed to convert JSON into Call protobuf: Missing required fields: acknowledge.uuid"],
      [callOf("f", "ACKNOWLEDGE", { agent_id: { value: "a" }, task_id: { value: "t" }, uuid: "AAAA" }), "Failed to validate scheduler::Call: Not a valid UUID"],
      [callOf("f", "RECONCILE"), "Failed to validate scheduler::Call: Expecting 'reconcile' to be present"],
      [callOf("f", "RECONCILE", { tasks: [{ agent_id: { value: "a" } }] }), "Failed to convert JSON into Call protobuf: Missing required fields: reconcile.tasks[0].task_id"],
      [callOf("f", "MESSAGE", { agent_id: { value: "a" } }), "Failed to convert JSON into Call protobuf: Missing required fields: message.executor_id, message.data"],
    ];
    for (const [body, text] of cases) expect(await post(app, body)).toEqual({ status: 400, text, headers: expect.anything() });
  });

  test("SUBSCRIBE with Mesos-Stream-Id: 400", async () => {
    const { app } = await leader();
    const sub = { type: "SUBSCRIBE", subscribe: { framework_info: INFO } };
    expect(await post(app, sub, { ...JSON_TYPE, "mesos-stream-id": crypto.randomUUID() })).toMatchObject({ status: 400, text: "Subscribe calls should not include the 'Mesos-Stream-Id' header" });
  });

  test("the framework and its stream: unknown 400, not subscribed 403, Mesos-Stream-Id missing or wrong 400; task side and UPDATE_FRAMEWORK refusals 400; UNKNOWN 501", async () => {
    const { app, tasks, master } = await leader();
    const { id, stream_id } = await subscribe(app, { ...INFO, failover_timeout: 60 });
    const headers = { ...JSON_TYPE, "mesos-stream-id": stream_id };
    expect(await post(app, callOf("nobody", "REVIVE"), headers)).toMatchObject({ status: 400, text: "Framework cannot be found" });
    expect(await post(app, callOf(id, "REVIVE"))).toMatchObject({ status: 400, text: "All non-subscribe calls should include the 'Mesos-Stream-Id' header" });
    const wrong = crypto.randomUUID();
    expect(await post(app, callOf(id, "REVIVE"), { ...JSON_TYPE, "mesos-stream-id": wrong })).toMatchObject({
      status: 400, text: `The stream ID '${wrong}' included in this request didn't match the stream ID currently associated with framework ID ${id}`,
    });
    tasks.refusal = "Offer o-1 is no longer valid";
    expect(await post(app, callOf(id, "ACCEPT", { offer_ids: [{ value: "o-1" }] }), headers)).toMatchObject({ status: 400, text: "Offer o-1 is no longer valid" });
    tasks.refusal = null;
    const update = (info: Record<string, unknown>, extra: Record<string, unknown> = {}) => post(app, callOf(id, "UPDATE_FRAMEWORK", { framework_info: { ...INFO, id: { value: id }, ...info }, ...extra }), headers);
    expect(await update({ id: { value: "other" } })).toMatchObject({ status: 400, text: "Failed to validate scheduler::Call: 'framework_id' differs from 'update_framework.framework_info.id'" });
    expect(await update({ user: "bob" })).toMatchObject({ status: 400, text: "FrameworkInfo update is not valid: Updating 'FrameworkInfo.user' is unsupported; attempted to update from 'alice' to 'bob'" });
    expect(await update({ checkpoint: true })).toMatchObject({ status: 400, text: "FrameworkInfo update is not valid: Updating 'FrameworkInfo.checkpoint' is unsupported; attempted to update from 'false' to 'true'" });
    expect(await update({ roles: ["a"] })).toMatchObject({ status: 400, text: "Supplied FrameworkInfo is not valid: 'FrameworkInfo.roles' must not be set when the framework is not MULTI_ROLE capable" });
    expect(await update({}, { suppressed_roles: ["x"] })).toMatchObject({ status: 400, text: "'UpdateFramework' call is not valid: Suppressed roles { x } are not contained in the set of roles" });
    expect((await post(app, callOf(id, "UNKNOWN"), headers)).status).toBe(501);
    // Disconnected (its stream ended; failover_timeout 60 s keeps it): 403.
    master.frameworks.get(id)!.stream!.close();
    const closed = master.frameworks.get(id)!;
    expect([closed.stream, closed.active]).toEqual([null, false]);
    expect(await post(app, callOf(id, "REVIVE"), headers)).toMatchObject({ status: 403, text: "Framework is not subscribed" });
  });
});

describe("calls", () => {
  test("each call answers 202 with an empty body and reaches the TaskService with its arguments; counters follow Mesos's names", async () => {
    const { app, tasks, master } = await leader();
    const { id, stream_id, events } = await subscribe(app, { ...INFO, roles: ["a", "b"], capabilities: [{ type: "MULTI_ROLE" }] });
    const headers = { ...JSON_TYPE, "mesos-stream-id": stream_id };
    const uuid = Buffer.alloc(16, 7).toString("base64");
    const launch = { type: "LAUNCH", launch: { task_infos: [{ name: "t", task_id: { value: "t1" }, agent_id: { value: "s1" }, resources: [], command: { value: "true" } }] } };
    const group = { type: "LAUNCH_GROUP", launch_group: { executor: {}, task_group: { tasks: [] } } };
    const calls: [string, Record<string, unknown> | undefined][] = [
      ["ACCEPT", { offer_ids: [{ value: "o1" }], operations: [launch, group], filters: { refuse_seconds: 5 } }],
      ["DECLINE", { offer_ids: [{ value: "o2" }] }],
      ["REVIVE", { roles: ["a"] }],
      ["REVIVE", undefined],
      ["SUPPRESS", { roles: ["b"] }],
      ["KILL", { task_id: { value: "t1" }, agent_id: { value: "s1" }, kill_policy: { grace_period: { nanoseconds: 5 } } }],
      ["SHUTDOWN", { executor_id: { value: "e" }, agent_id: { value: "s1" } }],
      ["ACKNOWLEDGE", { agent_id: { value: "s1" }, task_id: { value: "t1" }, uuid }],
      ["RECONCILE", { tasks: [{ task_id: { value: "t1" }, agent_id: { value: "s1" } }] }],
      ["RECONCILE", { tasks: [] }],
      ["MESSAGE", { agent_id: { value: "s1" }, executor_id: { value: "e" }, data: "aGk=" }],
      ["ACCEPT_INVERSE_OFFERS", { inverse_offer_ids: [] }],
      ["REQUEST", { requests: [] }],
    ];
    for (const [type, message] of calls) {
      const answer = await post(app, callOf(id, type, message), headers);
      expect([type, answer.status, answer.text]).toEqual([type, 202, ""]);
    }
    expect(tasks.calls).toEqual([
      ["frameworkActivated", id],
      ["accept", id, ["o1"], [launch, group], { refuse_seconds: 5 }],
      ["decline", id, ["o2"], undefined],
      ["revive", id, ["a"]],
      ["revive", id, []],
      ["suppress", id, ["b"]],
      ["kill", id, "t1", "s1", { grace_period: { nanoseconds: 5 } }],
      ["shutdownExecutor", id, "e", "s1"],
      ["acknowledge", id, "s1", "t1", uuid],
      ["reconcile", id, [{ task_id: { value: "t1" }, agent_id: { value: "s1" } }]],
      ["reconcile", id, []],
    ]);
    expect(master.metrics.snapshot()).toMatchObject({
      "master/messages_launch_tasks": 1, "master/messages_decline_offers": 1, "master/messages_revive_offers": 2, "master/messages_suppress_offers": 1,
      "master/messages_kill_task": 1, "master/messages_status_update_acknowledgement": 1, "master/messages_reconcile_tasks": 2,
      "master/messages_framework_to_executor": 1, "master/messages_unregister_framework": 0,
    });
    // TEARDOWN: 202, the stream ends, the task side removes the framework.
    expect((await post(app, callOf(id, "TEARDOWN"), headers)).status).toBe(202);
    expect(await events.next()).toBeNull();
    expect(tasks.calls.at(-1)).toEqual(["removeFramework", id]);
    expect(master.frameworks.completed.has(id)).toBe(true);
    expect(master.metrics.snapshot()["master/messages_unregister_framework"]).toBe(1);
    expect(await post(app, callOf(id, "REVIVE"), headers)).toMatchObject({ status: 400, text: "Framework cannot be found" });
  });
});

describe("stream life (real server)", () => {
  test("a client that goes away disconnects its framework; failover_timeout later the task side removes it", async () => {
    const { app, tasks, master } = await leader();
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: (r) => app.handle(r) });
    servers.push(server);
    const abort = new AbortController();
    const response = await fetch(`http://127.0.0.1:${server.port}/api/v1/scheduler`, {
      method: "POST", headers: JSON_TYPE, signal: abort.signal,
      body: JSON.stringify({ type: "SUBSCRIBE", subscribe: { framework_info: { ...INFO, failover_timeout: 0.3 } } }),
    });
    const events = new EventReader(response.body!);
    const id = ((await events.next())!.subscribed as { framework_id: { value: string } }).framework_id.value;
    abort.abort();
    for (let i = 0; i < 200 && master.frameworks.get(id)?.stream; i++) await Bun.sleep(5);
    const framework = master.frameworks.get(id)!;
    expect([framework.stream, framework.active]).toEqual([null, false]);
    expect(tasks.names()).toEqual(["frameworkActivated", "frameworkDeactivated"]);
    expect(master.metrics.snapshot()).toMatchObject({ "master/frameworks_connected": 0, "master/frameworks_disconnected": 1, "master/frameworks_inactive": 1 });
    for (let i = 0; i < 200 && master.frameworks.get(id); i++) await Bun.sleep(10);
    expect(master.frameworks.get(id)).toBeUndefined();
    expect(tasks.calls.at(-1)).toEqual(["removeFramework", id]);
  });

  test("the master stopping ends every stream", async () => {
    const { app, master } = await leader();
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: (r) => app.handle(r) });
    servers.push(server);
    const response = await fetch(`http://127.0.0.1:${server.port}/api/v1/scheduler`, {
      method: "POST", headers: JSON_TYPE, body: JSON.stringify({ type: "SUBSCRIBE", subscribe: { framework_info: INFO } }),
    });
    const events = new EventReader(response.body!);
    expect((await events.next())!.type).toBe("SUBSCRIBED");
    master.stop();
    expect(await events.next()).toBeNull();
  });
});
