// Proves POST /api/v1 against a real in-memory registrar: 503 until recovered, Mesos's order of 405/400/415/406 checks (protobuf bodies read; answers in protobuf: operator_protobuf.test.ts), each served call's response shape, the registry changes of the update calls, refusals as 400 with the registry unchanged, 501 for calls not served, and /registrar(1)/registry.
import { describe, expect, test } from "bun:test";
import { createApp } from "../../http/app.ts";
import { parseMasterFlags } from "../../host/master/flags.ts";
import { makeMasterInfo } from "../../host/master/info.ts";
import { Master } from "../../host/master/master.ts";
import { MESOS_VERSION } from "../../host/version.ts";
import { otherMaster, testMaster } from "../helpers/master.ts";
import { type App, useMasters } from "../helpers/http.ts";

const { masters, recoveredLeader } = useMasters(["--port=5050"]);
const JSON_HEADERS = { "content-type": "application/json" };

async function api(app: App, body: unknown, headers: Record<string, string> = JSON_HEADERS, method = "POST", path = "/api/v1") {
  const init: RequestInit = { method, headers };
  if (method !== "GET") init.body = typeof body === "string" ? body : JSON.stringify(body);
  const response = await app.handle(new Request(`http://localhost${path}`, init));
  const text = await response.text();
  return { status: response.status, text, type: response.headers.get("content-type"), json: text.startsWith("{") ? JSON.parse(text) : undefined };
}

const registry = async (app: App) => JSON.parse(await (await app.handle(new Request("http://localhost/registrar(1)/registry"))).text());

describe("before recovery", () => {
  test("/api/v1 and every read of the registry answer 503 (before any other check); writes are refused", async () => {
    const result = parseMasterFlags(["--registry=in_memory", "--ip=127.0.0.1"], {});
    if (result.kind !== "flags") throw new Error("flags expected");
    // A storage that never answers keeps the master recovering; its fetch timeout must not
    // abort the test runner later, so the master is stopped at the end.
    const master = new Master({ flags: result.values, info: makeMasterInfo("127.0.0.1", 5050, "m1.example.com"), storage: new Promise(() => {}) });
    master.detected(master.info);
    try {
      const app = createApp(master);
      for (const method of ["POST", "GET"]) expect(await api(app, { type: "GET_HEALTH" }, JSON_HEADERS, method)).toMatchObject({ status: 503, text: "Master has not finished recovery" });
      expect(await registry(app)).toEqual({});
      // Mesos's leader-only reads of the registry: an empty answer now would be a false one.
      for (const path of ["/weights", "/quota", "/maintenance/schedule", "/maintenance/status", "/master/weights", "/master/quota"]) {
        const read = await app.handle(new Request(`http://localhost${path}`));
        expect([path, read.status, await read.text()]).toEqual([path, 503, "Master has not finished recovery"]);
      }
      const write = await app.handle(new Request("http://localhost/weights", { method: "PUT", body: '[{"role":"a","weight":1}]' }));
      expect([write.status, await write.text()]).toEqual([503, "Master has not finished recovery"]);
    } finally {
      master.stop();
    }
  });
});

describe.each(["", "/master"])("on a recovered leader, prefix '%s'", (prefix) => {
  const path = `${prefix}/api/v1`;

  test("HTTP checks in Mesos's order", async () => {
    const { app } = await recoveredLeader();
    const get = await app.handle(new Request(`http://localhost${path}`));
    expect([get.status, get.headers.get("allow"), await get.text()]).toEqual([405, "POST", "Expecting one of { 'POST' }, but received 'GET'"]);
    expect(await api(app, { type: "GET_HEALTH" }, {}, "POST", path)).toMatchObject({ status: 400, text: "Expecting 'Content-Type' to be present" });
    // A protobuf body (type GET_HEALTH) is read; with no Accept the answer is JSON, as Mesos prefers it.
    expect(await api(app, "\x08\x01", { "content-type": "application/x-protobuf" }, "POST", path)).toMatchObject({ status: 200, json: { type: "GET_HEALTH", get_health: { healthy: true } } });
    expect(await api(app, "\x08\x05\x12", { "content-type": "application/x-protobuf" }, "POST", path)).toMatchObject({ status: 400, text: "Failed to parse body into Call protobuf" });
    expect((await api(app, "type=GET_HEALTH", { "content-type": "application/x-www-form-urlencoded" }, "POST", path)).status).toBe(415);
    expect((await api(app, "{", JSON_HEADERS, "POST", path)).text).toStartWith("Failed to parse body into JSON: ");
    expect(await api(app, [], JSON_HEADERS, "POST", path)).toMatchObject({ status: 400, text: "Failed to convert JSON into Call protobuf: Expecting a JSON object" });
    expect(await api(app, { type: "FLY" }, JSON_HEADERS, "POST", path)).toMatchObject({ status: 400, text: "Failed to convert JSON into Call protobuf: Failed to find enum for 'FLY'" });
    expect(await api(app, {}, JSON_HEADERS, "POST", path)).toMatchObject({ status: 400, text: "Failed to validate master::Call: Expecting 'type' to be present" });
    expect(await api(app, { type: "START_MAINTENANCE" }, JSON_HEADERS, "POST", path)).toMatchObject({ status: 400, text: "Failed to validate master::Call: Expecting 'start_maintenance' to be present" });
    expect(await api(app, { type: "GET_HEALTH" }, { ...JSON_HEADERS, accept: "application/x-protobuf" }, "POST", path)).toMatchObject({ status: 200, type: "application/x-protobuf" });
    expect(await api(app, { type: "GET_HEALTH" }, { ...JSON_HEADERS, accept: "text/html" }, "POST", path))
      .toMatchObject({ status: 406, text: "Expecting 'Accept' to allow 'application/x-protobuf' or 'application/json'" });
    expect(await api(app, { type: "GET_HEALTH" }, { ...JSON_HEADERS, accept: "text/html, application/*;q=0.5" }, "POST", path)).toMatchObject({ status: 200 });
    expect(await api(app, { type: "GET_HEALTH" }, { ...JSON_HEADERS, accept: "application/json;q=0, */*" }, "POST", path)).toMatchObject({ status: 200, type: "application/x-protobuf" });
    expect(await api(app, { type: "GET_OPERATIONS" }, JSON_HEADERS, "POST", path)).toMatchObject({ status: 501 });
    expect((await api(app, "x".repeat(300 << 10), JSON_HEADERS, "POST", path)).status).toBe(400);
  });

  test("GET_HEALTH, GET_FLAGS, GET_VERSION and GET_MASTER", async () => {
    const { master, app } = await recoveredLeader();
    const health = await api(app, { type: "GET_HEALTH" }, JSON_HEADERS, "POST", path);
    expect(health).toMatchObject({ status: 200, type: "application/json", json: { type: "GET_HEALTH", get_health: { healthy: true } } });
    const flags = (await api(app, { type: "GET_FLAGS" }, JSON_HEADERS, "POST", path)).json;
    expect(flags.type).toBe("GET_FLAGS");
    expect(flags.get_flags.flags).toContainEqual({ name: "port", value: "5050" });
    expect(flags.get_flags.flags).toContainEqual({ name: "registry", value: "in_memory" });
    const version = (await api(app, { type: "GET_VERSION" }, JSON_HEADERS, "POST", path)).json;
    expect(version).toMatchObject({ type: "GET_VERSION", get_version: { version_info: { version: MESOS_VERSION } } });
    const info = (await api(app, { type: "GET_MASTER" }, JSON_HEADERS, "POST", path)).json;
    expect(info.type).toBe("GET_MASTER");
    expect(info.get_master.master_info).toEqual(JSON.parse(JSON.stringify(master.info)));
    expect(info.get_master.start_time).toBeCloseTo(master.start_time_ms / 1000, 3);
    expect(info.get_master.elected_time).toBeGreaterThanOrEqual(info.get_master.start_time);
  });

  test("maintenance calls: schedule, start, stop, with status and schedule read back", async () => {
    const { app } = await recoveredLeader();
    const call = (body: unknown) => api(app, body, JSON_HEADERS, "POST", path);
    const a = { hostname: "a", ip: "10.0.0.1" };
    const schedule = { windows: [{ machine_ids: [a], unavailability: { start: { nanoseconds: 5 } } }] };
    expect(await call({ type: "GET_MAINTENANCE_SCHEDULE" })).toMatchObject({ json: { type: "GET_MAINTENANCE_SCHEDULE", get_maintenance_schedule: { schedule: {} } } });
    expect(await call({ type: "UPDATE_MAINTENANCE_SCHEDULE", update_maintenance_schedule: { schedule } })).toMatchObject({ status: 200, text: "" });
    expect((await call({ type: "GET_MAINTENANCE_SCHEDULE" })).json.get_maintenance_schedule.schedule).toEqual(schedule);
    // int64 exactly (issue #14): a value a double cannot hold comes back as sent; beyond int64 is a 400.
    const exact = '{"type":"UPDATE_MAINTENANCE_SCHEDULE","update_maintenance_schedule":{"schedule":{"windows":[{"machine_ids":[{"hostname":"x"}],"unavailability":{"start":{"nanoseconds":1700000000123456789}}}]}}}';
    expect((await call(exact)).status).toBe(200);
    expect((await call({ type: "GET_MAINTENANCE_SCHEDULE" })).text).toContain('"start":{"nanoseconds":1700000000123456789}');
    expect(await call(exact.replace("1700000000123456789", "1180591620717411303424")))
      .toMatchObject({ status: 400, text: expect.stringContaining("Value 1180591620717411303424 of field 'nanoseconds' is out of the int64 range") });
    expect((await call({ type: "UPDATE_MAINTENANCE_SCHEDULE", update_maintenance_schedule: { schedule } })).status).toBe(200);
    expect((await call({ type: "GET_MAINTENANCE_STATUS" })).json).toEqual({ type: "GET_MAINTENANCE_STATUS", get_maintenance_status: { status: { draining_machines: [{ id: a }] } } });
    expect(await call({ type: "STOP_MAINTENANCE", stop_maintenance: { machines: [a] } })).toMatchObject({ status: 400, text: `Machine '{"hostname":"a","ip":"10.0.0.1"}' is not in DOWN mode and cannot be brought up` });
    expect(await call({ type: "START_MAINTENANCE", start_maintenance: { machines: [a] } })).toMatchObject({ status: 200 });
    expect((await call({ type: "GET_MAINTENANCE_STATUS" })).json.get_maintenance_status.status).toEqual({ down_machines: [a] });
    const before = await registry(app);
    expect(await call({ type: "UPDATE_MAINTENANCE_SCHEDULE", update_maintenance_schedule: { schedule: {} } }))
      .toMatchObject({ status: 400, text: `Machine '{"hostname":"a","ip":"10.0.0.1"}' is deactivated and cannot be removed from the schedule` });
    expect(await call({ type: "UPDATE_MAINTENANCE_SCHEDULE", update_maintenance_schedule: {} }))
      .toMatchObject({ status: 400, text: "Failed to convert JSON into Call protobuf: Missing required fields: update_maintenance_schedule.schedule" });
    expect(await registry(app)).toEqual(before);
    expect(await call({ type: "STOP_MAINTENANCE", stop_maintenance: { machines: [a] } })).toMatchObject({ status: 200 });
    expect((await call({ type: "GET_MAINTENANCE_STATUS" })).json.get_maintenance_status.status).toEqual({});
  });

  test("quota and weights calls", async () => {
    const { app } = await recoveredLeader();
    const call = (body: unknown) => api(app, body, JSON_HEADERS, "POST", path);
    const config = { role: "dev", guarantees: { cpus: { value: 1 } }, limits: { cpus: { value: 4 } } };
    expect((await call({ type: "GET_QUOTA" })).json).toEqual({ type: "GET_QUOTA", get_quota: { status: {} } });
    expect(await call({ type: "UPDATE_QUOTA", update_quota: { quota_configs: [config] } }))
      .toMatchObject({ status: 400, text: "Invalid QuotaConfig: total quota guarantees 'cpus:1' exceed cluster capacity '{}' (use 'force' flag to bypass this check)" });
    expect(await call({ type: "UPDATE_QUOTA", update_quota: { force: true, quota_configs: [config] } })).toMatchObject({ status: 200, text: "" });
    expect((await call({ type: "GET_QUOTA" })).json.get_quota.status.configs).toEqual([config]);
    const before = await registry(app);
    expect(await call({ type: "UPDATE_QUOTA", update_quota: { force: true, quota_configs: [{ role: "dev", guarantees: { cpus: { value: 5 } }, limits: { cpus: { value: 4 } } }] } }))
      .toMatchObject({ status: 400, text: "Invalid QuotaConfig: 'QuotaConfig.guarantees' cpus:5 is not contained within the 'QuotaConfig.limits' cpus:4" });
    expect(await call({ type: "UPDATE_QUOTA", update_quota: { quota_configs: [{ role: "a/b" }] } })).toMatchObject({ status: 400, text: "Updating quota on nested role 'a/b' is not supported yet" });
    expect(await call({ type: "UPDATE_WEIGHTS", update_weights: { weight_infos: [{ role: "dev", weight: -1 }] } })).toMatchObject({ status: 400 });
    expect(await registry(app)).toEqual(before);
    expect(await call({ type: "UPDATE_QUOTA", update_quota: { quota_configs: [{ role: "dev" }] } })).toMatchObject({ status: 200 });
    expect((await call({ type: "GET_QUOTA" })).json.get_quota.status).toEqual({});

    expect((await call({ type: "GET_WEIGHTS" })).json).toEqual({ type: "GET_WEIGHTS", get_weights: {} });
    expect(await call({ type: "UPDATE_WEIGHTS", update_weights: { weight_infos: [{ role: "dev", weight: 2 }] } })).toMatchObject({ status: 200, text: "" });
    expect((await call({ type: "GET_WEIGHTS" })).json).toEqual({ type: "GET_WEIGHTS", get_weights: { weight_infos: [{ role: "dev", weight: 2 }] } });
  });
});

describe("registry endpoint and standbys", () => {
  test("/registrar(1)/registry shows the stored registry, is not under /master, and never redirects", async () => {
    const { master, app } = await recoveredLeader();
    await api(app, { type: "UPDATE_WEIGHTS", update_weights: { weight_infos: [{ role: "dev", weight: 2 }] } });
    const body = await registry(app);
    expect(body.master.info.id).toBe(master.info.id);
    expect(body.weights).toEqual([{ info: { role: "dev", weight: 2 } }]);
    expect((await app.handle(new Request("http://localhost/master/registrar(1)/registry"))).status).toBe(404);
    const standby = testMaster();
    masters.push(standby);
    standby.detected(otherMaster());
    const response = await createApp(standby).handle(new Request("http://localhost/registrar(1)/registry"));
    expect([response.status, await response.text()]).toEqual([200, "{}"]);
  });

  test("a standby answers /api/v1 with 307, or 503 without a leader", async () => {
    const standby = testMaster();
    masters.push(standby);
    standby.detected(otherMaster());
    expect((await api(createApp(standby), { type: "GET_HEALTH" })).status).toBe(307);
    expect(await api(createApp(testMaster()), { type: "GET_HEALTH" })).toMatchObject({ status: 503, text: "No leader elected" });
  });
});
