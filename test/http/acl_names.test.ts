// Proves issue #13's ACL names over HTTP: the singular update_maintenance_schedule / get_maintenance_schedule guard POST and GET /maintenance/schedule and their v1 calls as Mesos's plural names do; get_weights decides who sees which weight on GET /weights and GET_WEIGHTS (over view_roles when given); view_agents hides the agents from /state, /slaves, /state-summary, GET_AGENTS and GET_STATE.
import { afterEach, describe, expect, test } from "bun:test";
import { createApp } from "../../http/app.ts";
import type { Master } from "../../host/master/master.ts";
import { FakeClock, leaderWithAgent } from "../helpers/master_agents.ts";
import { useMasters } from "../helpers/http.ts";
import { callAs, securedFlags } from "../helpers/secured.ts";

const alice = { values: ["alice"] };
const bob = { values: ["bob"] };
const ANY = { type: "ANY" };
const NONE = { type: "NONE" };
const JSON_TYPE = { "content-type": "application/json" };
const MACHINE = { hostname: "h1", ip: "10.0.0.1" };
const SCHEDULE = { windows: [{ machine_ids: [MACHINE], unavailability: { start: { nanoseconds: 1_900_000_000_000_000_000 } } }] };
const { recoveredLeader } = useMasters();

describe("singular maintenance schedule names", () => {
  const ACLS = {
    permissive: false,
    update_maintenance_schedule: [{ principals: alice, machines: ANY }],
    get_maintenance_schedule: [{ principals: alice, machines: ANY }, { principals: bob, machines: NONE }],
  };

  test("they guard the schedule's writes (403 for bob) and reads (empty for bob) on the endpoint and the v1 calls", async () => {
    const { app } = await recoveredLeader(securedFlags(ACLS));
    expect(await callAs(app, "bob", "POST", "/maintenance/schedule", SCHEDULE)).toMatchObject({ status: 403, text: "403 Forbidden." });
    const v1Update = { type: "UPDATE_MAINTENANCE_SCHEDULE", update_maintenance_schedule: { schedule: SCHEDULE } };
    expect((await callAs(app, "bob", "POST", "/api/v1", v1Update, JSON_TYPE)).status).toBe(403);
    expect((await callAs(app, "alice", "POST", "/api/v1", v1Update, JSON_TYPE)).status).toBe(200);
    expect((await callAs(app, "alice", "GET", "/maintenance/schedule")).json.windows).toHaveLength(1);
    expect((await callAs(app, "bob", "GET", "/maintenance/schedule")).json).toEqual({});
    const v1Get = { type: "GET_MAINTENANCE_SCHEDULE" };
    expect((await callAs(app, "alice", "POST", "/api/v1", v1Get, JSON_TYPE)).json.get_maintenance_schedule.schedule.windows).toHaveLength(1);
    expect((await callAs(app, "bob", "POST", "/api/v1", v1Get, JSON_TYPE)).json.get_maintenance_schedule).toEqual({ schedule: {} });
  });
});

describe("get_weights", () => {
  const weightsOf = async (app: ReturnType<typeof createApp>, who: "alice" | "bob") => ({
    endpoint: ((await callAs(app, who, "GET", "/weights")).json as { role: string }[]).map((w) => w.role).sort(),
    v1: (((await callAs(app, who, "POST", "/api/v1", { type: "GET_WEIGHTS" }, JSON_TYPE)).json.get_weights.weight_infos ?? []) as { role: string }[])
      .map((w) => w.role).sort(),
  });

  test("when given it decides, by role, and view_roles no longer does", async () => {
    const acls = {
      permissive: false,
      update_weights: [{ principals: alice, roles: ANY }],
      view_roles: [{ principals: alice, roles: ANY }],
      get_weights: [{ principals: bob, roles: { values: ["dev"] } }],
    };
    const { app } = await recoveredLeader(securedFlags(acls));
    expect((await callAs(app, "alice", "PUT", "/weights", [{ role: "dev", weight: 2 }, { role: "ops", weight: 3 }])).status).toBe(200);
    expect(await weightsOf(app, "bob")).toEqual({ endpoint: ["dev"], v1: ["dev"] });
    expect(await weightsOf(app, "alice")).toEqual({ endpoint: [], v1: [] });
  });

  test("without it view_roles decides, as in Mesos", async () => {
    const acls = { permissive: false, update_weights: [{ principals: alice, roles: ANY }], view_roles: [{ principals: bob, roles: { values: ["ops"] } }] };
    const { app } = await recoveredLeader(securedFlags(acls));
    await callAs(app, "alice", "PUT", "/weights", [{ role: "dev", weight: 2 }, { role: "ops", weight: 3 }]);
    expect(await weightsOf(app, "bob")).toEqual({ endpoint: ["ops"], v1: ["ops"] });
  });
});

describe("view_agents", () => {
  const masters: Master[] = [];
  afterEach(() => masters.splice(0).forEach((m) => m.stop()));

  test("alice (ANY) sees the registered agent everywhere; bob (NONE) sees none, though the counts stay", async () => {
    const acls = { permissive: false, view_agents: [{ principals: alice, agents: ANY }, { principals: bob, agents: NONE }] };
    const { master, agent_id } = await leaderWithAgent(securedFlags(acls), { agent_clock: new FakeClock() }, masters);
    const app = createApp(master);
    const seen = async (who: "alice" | "bob") => {
      const v1 = async (type: string) => (await callAs(app, who, "POST", "/api/v1", { type }, JSON_TYPE)).json[type.toLowerCase()];
      const state = (await callAs(app, who, "GET", "/state")).json;
      return {
        state: state.slaves.map((s: { id: string }) => s.id),
        activated: state.activated_slaves,
        slaves: (await callAs(app, who, "GET", "/slaves")).json.slaves.map((s: { id: string }) => s.id),
        summary: (await callAs(app, who, "GET", "/state-summary")).json.slaves.map((s: { id: string }) => s.id),
        get_agents: (await v1("GET_AGENTS")).agents.map((a: { agent_info: { id: { value: string } } }) => a.agent_info.id.value),
        get_state: (await v1("GET_STATE")).get_agents.agents.length,
      };
    };
    expect(await seen("alice")).toEqual({ state: [agent_id], activated: 1, slaves: [agent_id], summary: [agent_id], get_agents: [agent_id], get_state: 1 });
    expect(await seen("bob")).toEqual({ state: [], activated: 1, slaves: [], summary: [], get_agents: [], get_state: 0 });
  });
});
