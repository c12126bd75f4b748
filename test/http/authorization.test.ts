// Proves --acls on the endpoints and operator calls: an authenticated principal the ACLs refuse gets 403 "403 Forbidden." on every state-changing request and nothing changes, an allowed one gets the change, reads show only what view_*/get_* allow (flags, metrics, weights, quotas, maintenance, frameworks), teardown_frameworks by the framework's principal, ACLs judging unauthenticated callers as ANY, and a malformed --acls refused at start naming the flag.
import { describe, expect, test } from "bun:test";
import { FlagError } from "../../host/flags.ts";
import { loadMasterSecurity } from "../../host/master/security.ts";
import { parseMasterFlags } from "../../host/master/flags.ts";
import { type App, useMasters } from "../helpers/http.ts";
import { aclsFile, callAs, JSON_TYPE, MACHINE, SCHEDULE, securedFlags, subscribeAs, v1, v1Writes } from "../helpers/secured.ts";
import { BINARY } from "../helpers/process.ts";

const alice = { values: ["alice"] };
const ANY = { type: "ANY" };
const ACLS = {
  permissive: false,
  register_frameworks: [{ principals: ANY, roles: ANY }],
  update_weights: [{ principals: alice, roles: { values: ["dev"] } }],
  view_roles: [{ principals: alice, roles: ANY }],
  update_quotas: [{ principals: alice, roles: { values: ["dev"] } }],
  get_quotas: [{ principals: alice, roles: ANY }],
  ...Object.fromEntries(["update_maintenance_schedules", "get_maintenance_schedules", "get_maintenance_statuses", "start_maintenances", "stop_maintenances"]
    .map((action) => [action, [{ principals: alice, machines: ANY }]])),
  ...Object.fromEntries(["mark_agents_gone", "drain_agents", "deactivate_agents", "reactivate_agents"].map((action) => [action, [{ principals: alice, agents: ANY }]])),
  teardown_frameworks: [{ principals: alice, framework_principals: { values: ["fw1"] } }],
  view_frameworks: [{ principals: alice, users: ANY }, { principals: { values: ["bob"] }, users: { values: ["bob-user"] } }],
  view_tasks: [{ principals: alice, users: ANY }],
  view_flags: [{ principals: alice, flags: ANY }],
  get_endpoints: [{ principals: alice, paths: { values: ["/metrics/snapshot"] } }],
};

const { recoveredLeader } = useMasters();
const registry = async (app: App) => (await callAs(app, "alice", "GET", "/registrar(1)/registry")).json;

async function leader() {
  const { master, app } = await recoveredLeader(securedFlags(ACLS));
  const fw1 = await subscribeAs(app, null, { user: "alice-user", name: "one", principal: "fw1" });
  const fw2 = await subscribeAs(app, null, { user: "bob-user", name: "two", principal: "fw2" });
  return { master, app, fw1: fw1.id!, fw2: fw2.id! };
}

describe("state-changing requests", () => {
  test("bob, authenticated but not allowed, gets 403 on every one and nothing changes", async () => {
    const { master, app, fw1 } = await leader();
    const before = await registry(app);
    const writes: [string, string, unknown, Record<string, string>][] = [
      ["PUT", "/weights", [{ role: "dev", weight: 2 }], {}],
      ["POST", "/quota", { role: "dev", guarantee: [{ name: "cpus", type: "SCALAR", scalar: { value: 1 } }], force: true }, {}],
      ["POST", "/maintenance/schedule", SCHEDULE, {}],
      ["POST", "/machine/down", [MACHINE], {}],
      ["POST", "/machine/up", [MACHINE], {}],
      ["POST", "/teardown", `frameworkId=${fw1}`, {}],
      ...v1Writes(fw1),
    ];
    for (const [method, path, body, headers] of writes) {
      expect({ what: `${method} ${path} ${JSON.stringify(body).slice(0, 40)}`, ...(({ status, text }) => ({ status, text }))(await callAs(app, "bob", method, path, body, headers)) })
        .toEqual({ what: `${method} ${path} ${JSON.stringify(body).slice(0, 40)}`, status: 403, text: "403 Forbidden." });
    }
    expect(await registry(app)).toEqual(before);
    expect(master.frameworks.get(fw1)).toBeDefined();
  });

  test("alice, allowed, makes the changes; outside her roles she gets 403", async () => {
    const { app } = await leader();
    expect((await callAs(app, "alice", "PUT", "/weights", [{ role: "dev", weight: 2 }])).status).toBe(200);
    expect((await callAs(app, "alice", "PUT", "/weights", [{ role: "dev", weight: 3 }, { role: "ops", weight: 1 }])).status).toBe(403);
    expect((await callAs(app, "alice", "POST", "/quota", { role: "dev", guarantee: [{ name: "cpus", type: "SCALAR", scalar: { value: 1 } }], force: true })).status).toBe(200);
    expect((await callAs(app, "alice", "DELETE", "/quota/ops")).status).toBe(403);
    expect((await callAs(app, "alice", "POST", "/maintenance/schedule", SCHEDULE)).status).toBe(200);
    expect((await callAs(app, "alice", "POST", "/machine/down", [MACHINE])).status).toBe(200);
    const stored = await registry(app);
    expect(stored.weights).toEqual([{ info: { role: "dev", weight: 2 } }]);
    expect(stored.quota_configs.map((c: { role: string }) => c.role)).toEqual(["dev"]);
    expect(stored.machines.machines[0].mode).toBe("DOWN");
  });

  test("teardown_frameworks judges by the framework's principal, on /teardown and TEARDOWN", async () => {
    const { master, app, fw1, fw2 } = await leader();
    expect((await callAs(app, "alice", "POST", "/teardown", `frameworkId=${fw2}`)).status).toBe(403);
    expect((await callAs(app, "alice", "POST", "/api/v1", v1("TEARDOWN", { framework_id: { value: fw2 } }), JSON_TYPE)).status).toBe(403);
    expect(master.frameworks.get(fw2)).toBeDefined();
    expect((await callAs(app, "alice", "POST", "/teardown", "frameworkId=unknown")).text).toBe("No framework found with specified ID");
    expect((await callAs(app, "alice", "POST", "/api/v1", v1("TEARDOWN", { framework_id: { value: fw1 } }), JSON_TYPE)).status).toBe(200);
    expect(master.frameworks.get(fw1)).toBeUndefined();
    expect(master.frameworks.completed.has(fw1)).toBe(true);
  });
});

describe("reads show what the ACLs allow", () => {
  test("flags and metrics: view_flags and get_endpoints", async () => {
    const { app } = await leader();
    expect(await callAs(app, "bob", "GET", "/flags")).toMatchObject({ status: 403, text: "403 Forbidden." });
    expect((await callAs(app, "bob", "POST", "/api/v1", { type: "GET_FLAGS" }, JSON_TYPE)).status).toBe(403);
    expect((await callAs(app, "alice", "GET", "/flags")).json.flags.acls).toEndWith(".json");
    expect((await callAs(app, "bob", "GET", "/metrics/snapshot")).status).toBe(403);
    expect((await callAs(app, "alice", "GET", "/metrics/snapshot")).json["master/elected"]).toBe(1);
    expect((await callAs(app, "bob", "GET", "/state")).json.flags).toBeUndefined();
    expect((await callAs(app, "alice", "GET", "/state")).json.flags.authenticate_http_readwrite).toBe("true");
  });

  test("weights, quotas and maintenance: view_roles, get_quotas, get_maintenance_*", async () => {
    const { app } = await leader();
    await callAs(app, "alice", "PUT", "/weights", [{ role: "dev", weight: 2 }]);
    await callAs(app, "alice", "POST", "/quota", { role: "dev", guarantee: [{ name: "cpus", type: "SCALAR", scalar: { value: 1 } }], force: true });
    await callAs(app, "alice", "POST", "/maintenance/schedule", SCHEDULE);
    const views: [string, string, unknown][] = [["GET", "/weights", undefined], ["GET", "/quota", undefined], ["GET", "/maintenance/schedule", undefined],
      ["GET", "/maintenance/status", undefined]];
    for (const [method, path] of views) {
      const seen = (await callAs(app, "alice", method, path)).json;
      const hidden = (await callAs(app, "bob", method, path)).json;
      expect({ path, empty: Array.isArray(seen) ? seen.length === 0 : Object.keys(seen).length === 0 }).toEqual({ path, empty: false });
      expect({ path, hidden }).toEqual({ path, hidden: Array.isArray(seen) ? [] : {} });
    }
    expect((await callAs(app, "bob", "POST", "/api/v1", { type: "GET_WEIGHTS" }, JSON_TYPE)).json).toEqual({ type: "GET_WEIGHTS", get_weights: {} });
    expect((await callAs(app, "bob", "POST", "/api/v1", { type: "GET_QUOTA" }, JSON_TYPE)).json).toEqual({ type: "GET_QUOTA", get_quota: { status: {} } });
  });

  test("frameworks: view_frameworks by FrameworkInfo.user on /frameworks, /state, /state-summary and GET_FRAMEWORKS", async () => {
    const { app, fw1, fw2 } = await leader();
    const ids = (list: { id: string }[]) => list.map((f) => f.id).sort();
    expect(ids((await callAs(app, "alice", "GET", "/frameworks")).json.frameworks)).toEqual([fw1, fw2].sort());
    expect(ids((await callAs(app, "bob", "GET", "/frameworks")).json.frameworks)).toEqual([fw2]);
    expect(ids((await callAs(app, "bob", "GET", "/state")).json.frameworks)).toEqual([fw2]);
    expect(ids((await callAs(app, "bob", "GET", "/state-summary")).json.frameworks)).toEqual([fw2]);
    const v1Frameworks = (await callAs(app, "bob", "POST", "/api/v1", { type: "GET_FRAMEWORKS" }, JSON_TYPE)).json.get_frameworks.frameworks;
    expect(v1Frameworks.map((f: { framework_info: { id: { value: string } } }) => f.framework_info.id.value)).toEqual([fw2]);
  });
});

describe("unauthenticated callers are ANY", () => {
  test("an entry for ANY principal lets them through, a named one does not", async () => {
    const acls = { permissive: false, update_weights: [{ principals: ANY, roles: { values: ["dev"] } }], view_roles: [{ principals: alice, roles: ANY }] };
    const { app } = await recoveredLeader([`--acls=${aclsFile(acls)}`]);
    expect((await callAs(app, null, "PUT", "/weights", [{ role: "dev", weight: 2 }])).status).toBe(200);
    expect((await callAs(app, null, "PUT", "/weights", [{ role: "ops", weight: 2 }])).status).toBe(403);
    expect((await callAs(app, null, "GET", "/weights")).json).toEqual([]);
  });
});

describe("--acls at start", () => {
  const load = (acls: string) => {
    const result = parseMasterFlags(["--registry=in_memory", `--acls=${acls}`], {});
    if (result.kind !== "flags") throw new Error("flags expected");
    return () => loadMasterSecurity(result.values, {});
  };

  test("an unknown action or a malformed entry is a FlagError naming the flag", () => {
    expect(load('{"update_weight":[]}')).toThrow(FlagError);
    expect(load('{"update_weight":[]}')).toThrow("Failed to load flag 'acls': unknown action 'update_weight'");
    expect(load('{"update_weights":[{"principals":{"type":"ANY"}}]}')).toThrow("Failed to load flag 'acls': update_weights[0]: missing required field 'roles'");
    expect(load("{not json")).toThrow("Failed to load flag 'acls': not valid JSON");
  });

  test("the master exits 1 with that line", async () => {
    const proc = Bun.spawn([BINARY, "master", "--registry=in_memory", "--ip=127.0.0.1", "--port=1", '--acls={"teardown_framework":[]}'], { stderr: "pipe", stdout: "ignore" });
    const [status, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
    expect(status).toBe(1);
    expect(stderr.trim()).toStartWith("Failed to load flag 'acls': unknown action 'teardown_framework'");
  });
});
