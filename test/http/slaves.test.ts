// Proves the JSON shapes of /slaves (and ?slave_id=), /state's agent fields, /state-summary and the v1 GET_AGENTS, DEACTIVATE_AGENT, REACTIVATE_AGENT, DRAIN_AGENT and MARK_AGENT_GONE calls on a recovered leader with registered and recovered agents.
import { afterEach, describe, expect, test } from "bun:test";
import { createApp } from "../../http/app.ts";
import { Master } from "../../host/master/master.ts";
import { MemoryStorage } from "../../host/registry/storage.ts";
import { Registrar } from "../../host/master/registrar.ts";
import { Metrics } from "../../host/metrics.ts";
import type { SlaveInfo } from "../../host/registry/types.ts";
import { FakeClock, leaderWithAgent, slaveInfo } from "../helpers/master_agents.ts";

const masters: Master[] = [];
afterEach(() => masters.splice(0).forEach((m) => m.stop()));

/** A leader whose registry already admitted OLD-S9 (recovered, not re-registered), with one agent registered. */
async function leaderWithAgents() {
  const storage = new MemoryStorage();
  const seed = new Registrar({ storage, metrics: new Metrics(), fetch_timeout_ms: 1000, store_timeout_ms: 1000, onAbort: () => {} });
  await seed.recover({ id: "OLD" });
  await seed.apply({ type: "ADMIT_SLAVE", info: { ...slaveInfo(9), id: { value: "OLD-S9" } } as SlaveInfo });
  seed.stop();
  const { master, conn, agent_id: id } = await leaderWithAgent(["--cluster=prod"], { storage, agent_clock: new FakeClock() }, masters);
  expect(master.agents.registered.has(id)).toBe(true);
  return { master, app: createApp(master), id, conn };
}

type App = ReturnType<typeof createApp>;
const get = async (app: App, path: string): Promise<any> => (await app.handle(new Request(`http://localhost${path}`))).json();
async function call(app: App, body: unknown): Promise<{ status: number; text: string }> {
  const response = await app.handle(new Request("http://localhost/api/v1", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }));
  return { status: response.status, text: await response.text() };
}

const RESOURCES = { cpus: 4, gpus: 0, mem: 1024, disk: 0, ports: "[31000-32000]" };

describe("agent endpoints", () => {
  test("/slaves lists registered agents with Mesos's fields and the recovered ones; slave_id= filters both", async () => {
    const { app, id, master } = await leaderWithAgents();
    for (const prefix of ["", "/master"]) {
      const body = await get(app, `${prefix}/slaves`);
      expect(Object.keys(body)).toEqual(["slaves", "recovered_slaves"]);
      expect(body.recovered_slaves).toEqual([{ id: "OLD-S9", hostname: "agent9", port: 5051, attributes: { rack: "r9" } }]);
      const agent = body.slaves[0];
      expect(agent).toMatchObject({
        id, hostname: "agent0", port: 5051, attributes: { rack: "r0" }, pid: "slave(1)@10.0.0.0:5051",
        resources: RESOURCES, used_resources: { cpus: 0, gpus: 0, mem: 0, disk: 0 }, offered_resources: { cpus: 0, gpus: 0, mem: 0, disk: 0 },
        reserved_resources: {}, unreserved_resources: RESOURCES, active: true, deactivated: false, version: "1.12.0", capabilities: ["MULTI_ROLE"],
        reserved_resources_full: {}, used_resources_full: [], offered_resources_full: [],
      });
      expect(agent.registered_time).toBe(master.agents.clock.now_ms() / 1000);
      expect(agent.unreserved_resources_full).toHaveLength(3);
    }
    expect(await get(app, `/slaves?slave_id=${id}`)).toMatchObject({ slaves: [{ id }], recovered_slaves: [] });
    expect(await get(app, "/slaves?slave_id=OLD-S9")).toMatchObject({ slaves: [], recovered_slaves: [{ id: "OLD-S9" }] });
  });

  test("/state carries the agents, the recovered ones and the counts; /state-summary the agents with zero task counts", async () => {
    const { app, id } = await leaderWithAgents();
    const state = await get(app, "/state");
    expect([state.activated_slaves, state.deactivated_slaves, state.unreachable_slaves]).toEqual([1, 0, 0]);
    expect(state.slaves.map((s: { id: string }) => s.id)).toEqual([id]);
    expect(state.slaves[0].reserved_resources_full).toBeUndefined();
    expect(state.recovered_slaves.map((s: { id: string }) => s.id)).toEqual(["OLD-S9"]);
    const summary = await get(app, "/state-summary");
    expect(Object.keys(summary)).toEqual(["hostname", "cluster", "slaves", "frameworks"]);
    expect(summary).toMatchObject({ hostname: "m1.example.com", cluster: "prod", frameworks: [] });
    expect(summary.slaves[0]).toMatchObject({
      id, TASK_STAGING: 0, TASK_STARTING: 0, TASK_RUNNING: 0, TASK_KILLING: 0, TASK_FINISHED: 0, TASK_KILLED: 0,
      TASK_FAILED: 0, TASK_LOST: 0, TASK_ERROR: 0, TASK_UNREACHABLE: 0, framework_ids: [],
    });
    const metrics = await get(app, "/metrics/snapshot");
    expect(metrics).toMatchObject({ "master/slaves_connected": 1, "master/slaves_active": 1, "master/cpus_total": 4, "master/mem_total": 1024, "master/cpus_used": 0, "master/slave_registrations": 1 });
  });

  test("GET_AGENTS answers v1 agents and recovered SlaveInfos", async () => {
    const { app, id, master } = await leaderWithAgents();
    const { status, text } = await call(app, { type: "GET_AGENTS" });
    expect(status).toBe(200);
    const body = JSON.parse(text);
    expect(body.type).toBe("GET_AGENTS");
    expect(body.get_agents.agents).toEqual([{
      agent_info: { ...slaveInfo(0), id: { value: id } }, active: true, deactivated: false, version: "1.12.0", pid: "slave(1)@10.0.0.0:5051",
      registered_time: { nanoseconds: master.agents.clock.now_ms() * 1e6 }, total_resources: slaveInfo(0).resources, capabilities: [{ type: "MULTI_ROLE" }],
    }]);
    expect(body.get_agents.recovered_agents).toEqual([{ ...slaveInfo(9), id: { value: "OLD-S9" } }]);
  });

  test("DEACTIVATE_AGENT / REACTIVATE_AGENT / DRAIN_AGENT / MARK_AGENT_GONE through the registry, with Mesos's refusals", async () => {
    const { app, id, conn, master } = await leaderWithAgents();
    expect(await call(app, { type: "DEACTIVATE_AGENT" })).toEqual({ status: 400, text: "Failed to validate master::Call: Expecting 'deactivate_agent' to be present" });
    expect((await call(app, { type: "DEACTIVATE_AGENT", deactivate_agent: {} })).text).toBe("Failed to convert JSON into Call protobuf: Missing required fields: deactivate_agent.agent_id");
    expect(await call(app, { type: "DEACTIVATE_AGENT", deactivate_agent: { agent_id: { value: "nope" } } })).toEqual({ status: 400, text: "Unknown agent" });
    expect((await call(app, { type: "DEACTIVATE_AGENT", deactivate_agent: { agent_id: { value: id } } })).status).toBe(200);
    let state = await get(app, "/state");
    expect([state.activated_slaves, state.deactivated_slaves, state.slaves[0].active, state.slaves[0].deactivated]).toEqual([0, 1, false, true]);
    expect((await call(app, { type: "REACTIVATE_AGENT", reactivate_agent: { agent_id: { value: id } } })).status).toBe(200);
    expect(await call(app, { type: "REACTIVATE_AGENT", reactivate_agent: { agent_id: { value: id } } })).toEqual({ status: 400, text: "Agent is not deactivated" });
    // v1 names the agent agent_id (slave_id is the unversioned API's) and the grace period is a google.protobuf.Duration.
    expect((await call(app, { type: "DRAIN_AGENT", drain_agent: { slave_id: { value: id } } })).text).toBe("Failed to convert JSON into Call protobuf: Missing required fields: drain_agent.agent_id");
    expect((await call(app, { type: "DRAIN_AGENT", drain_agent: { agent_id: { value: id }, max_grace_period: { seconds: 2, nanos: 1000 } } })).status).toBe(200);
    state = await get(app, "/state");
    expect(state.slaves[0]).toMatchObject({ active: false, deactivated: true, drain_info: { state: "DRAINED", config: { mark_gone: false, max_grace_period: { nanoseconds: 2_000_001_000 } } } });
    expect((await get(app, "/registrar(1)/registry")).slaves.slaves[1]).toMatchObject({ deactivated: true, drain_info: { state: "DRAINED" } });
    expect((await call(app, { type: "MARK_AGENT_GONE", mark_agent_gone: { agent_id: { value: id } } })).status).toBe(200);
    expect(conn.last()).toMatchObject({ type: "SHUTDOWN", master_id: master.info.id, message: "Agent has been marked gone" });
    expect((await get(app, "/registrar(1)/registry")).gone.slaves.map((s: { id: { value: string } }) => s.id.value)).toEqual([id]);
    expect((await get(app, "/slaves")).slaves).toEqual([]);
  });
});
