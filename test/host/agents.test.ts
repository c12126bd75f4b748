// Proves the master's agent life cycle (mesos-spec §5) in-process on a fake clock and a real registrar: registration ids and admission, re-registration of registered/recovered/unreachable/gone agents, health checks to unreachable (FailHealthChecksTwice), rate limiting, socket break, failover timeout and removal limit, unregistration, gone, machine DOWN.
import { afterEach, describe, expect, test } from "bun:test";
import type { SlaveInfo } from "../../host/registry/types.ts";
import { machinesDown, markAgentGone } from "../../host/master/agent_operator.ts";
import { agentsFixture, FakeConnection, type Fixture, pidOf, registerAgent, registerMessage, reregisterMessage, settle, slaveInfo } from "../helpers/master_agents.ts";

const SEC = 1000;
const MIN = 60 * SEC;
const fixtures: Fixture[] = [];
afterEach(() => fixtures.splice(0).forEach((f) => f.agents.stop()));

async function fixture(argv: string[] = [], before: Parameters<typeof agentsFixture>[1] = []) {
  const f = await agentsFixture(argv, before);
  fixtures.push(f);
  return f;
}

const register = registerAgent;

/** Advances the clock in ping periods, the given agents answering every ping. */
async function advanceAnswering(f: Fixture, ms: number, conns: FakeConnection[]): Promise<void> {
  for (let t = 0; t < ms; t += 15 * SEC) {
    for (const conn of conns) f.agents.receive(conn, { type: "PONG_SLAVE" });
    await f.clock.advance(Math.min(15 * SEC, ms - t));
  }
}

const admitted = (n: number, id: string) => ({ type: "ADMIT_SLAVE" as const, info: { ...slaveInfo(n), id: { value: id } } as SlaveInfo });

describe("registration", () => {
  test("ids are <master id>-S<n>, admitted to the registry before SLAVE_REGISTERED; a retry gets the same id", async () => {
    const f = await fixture();
    const a = await register(f, 0);
    const b = await register(f, 1);
    expect([a.id, b.id]).toEqual(["M1-S0", "M1-S1"]);
    expect(a.conn.sent).toEqual([
      { type: "SLAVE_REGISTERED", master_id: "M1", slave_id: { value: "M1-S0" }, connection: { total_ping_timeout_seconds: 75 } },
      { type: "PING_SLAVE", master_id: "M1", connected: true },
    ]);
    expect((await f.registry()).admitted).toEqual(["M1-S0", "M1-S1"]);
    f.agents.receive(a.conn, registerMessage(0));
    await settle();
    expect(a.conn.of("SLAVE_REGISTERED").map((m) => m.slave_id.value)).toEqual(["M1-S0", "M1-S0"]);
    expect((await f.registry()).admitted).toHaveLength(2);
    expect([f.metric("master/slave_registrations"), f.metric("master/messages_register_slave")]).toEqual([2, 3]);
    expect([f.metric("master/slaves_connected"), f.metric("master/slaves_active"), f.metric("master/cpus_total"), f.metric("master/mem_total")]).toEqual([2, 2, 8, 2048]);
  });

  test("agents older than 1.0.0 are ignored; PONG and UNREGISTER on an unbound connection are dropped and counted", async () => {
    const f = await fixture();
    const conn = new FakeConnection();
    f.agents.receive(conn, registerMessage(0, "0.28.2"));
    f.agents.receive(conn, { type: "PONG_SLAVE" });
    f.agents.receive(conn, { type: "UNREGISTER_SLAVE", slave_id: { value: "M1-S0" } });
    await settle();
    expect(conn.sent).toEqual([]);
    expect((await f.registry()).admitted).toEqual([]);
    expect(f.metric("master/dropped_messages")).toBe(2);
  });
});

describe("health checks", () => {
  test("pings every agent_ping_timeout; max_agent_ping_timeouts unanswered pings mark the agent unreachable (registry first), without a shutdown", async () => {
    const f = await fixture();
    const { conn, id } = await register(f, 0);
    expect(conn.last()).toEqual({ type: "PING_SLAVE", master_id: "M1", connected: true });
    for (let i = 0; i < 10; i++) {
      f.agents.receive(conn, { type: "PONG_SLAVE" });
      await f.clock.advance(15 * SEC);
    }
    expect(conn.of("PING_SLAVE").length).toBeGreaterThanOrEqual(10);
    expect(f.agents.registered.get(id)!.timeouts).toBe(0);
    await f.clock.advance(5 * 15 * SEC);
    expect(await f.registry()).toEqual({ admitted: [], unreachable: [id], gone: [] });
    expect(f.agents.registered.has(id)).toBe(false);
    expect(f.agents.unreachable.has(id)).toBe(true);
    expect(conn.of("SHUTDOWN")).toEqual([]);
    for (const [name, value] of [["slave_unreachable_scheduled", 1], ["slave_unreachable_completed", 1], ["slave_removals", 1],
      ["slave_removals/reason_unhealthy", 1], ["slaves_unreachable", 1], ["slaves_connected", 0]] as const) {
      expect([name, f.metric(`master/${name}`)]).toEqual([name, value]);
    }
    // Its later messages other than (re-)registration are dropped; re-registering heals it.
    const dropped = f.metric("master/dropped_messages");
    f.agents.receive(conn, { type: "PONG_SLAVE" });
    expect(f.metric("master/dropped_messages")).toBe(dropped + 1);
    f.agents.receive(conn, reregisterMessage(0, id));
    await settle();
    expect(conn.sent.slice(-2).map((m) => m.type)).toEqual(["SLAVE_REREGISTERED", "PING_SLAVE"]);
    expect(await f.registry()).toEqual({ admitted: [id], unreachable: [], gone: [] });
    expect([f.metric("master/slave_reregistrations"), f.metric("master/slaves_unreachable"), f.metric("master/slaves_active")]).toEqual([1, 0, 1]);
  });

  test("FailHealthChecksTwice: a second unreachable attempt during a slow registry write is ignored; re-registration meanwhile too", async () => {
    const f = await fixture();
    const { conn, id } = await register(f, 0);
    f.storage.held = true;
    await f.clock.advance(5 * 15 * SEC); // the fifth timeout starts the registry write
    expect(f.agents.marking_unreachable.has(id)).toBe(true);
    await f.clock.advance(15 * SEC); // a sixth timeout schedules again: skipped
    expect(f.metric("master/slave_unreachable_scheduled")).toBe(2);
    f.agents.receive(conn, reregisterMessage(0, id));
    await settle();
    expect(conn.of("SLAVE_REREGISTERED")).toEqual([]);
    f.storage.release();
    await settle();
    expect(await f.registry()).toEqual({ admitted: [], unreachable: [id], gone: [] });
    expect([f.metric("master/slave_removals"), f.metric("master/slaves_unreachable")]).toEqual([1, 1]);
  });

  test("--agent_removal_rate_limit spaces the transitions; a pong cancels one not yet executed", async () => {
    const f = await fixture(["--agent_removal_rate_limit=1/1mins"]);
    const agents = [await register(f, 0), await register(f, 1), await register(f, 2)];
    await f.clock.advance(5 * 15 * SEC);
    expect(f.metric("master/slave_unreachable_scheduled")).toBe(3);
    expect((await f.registry()).unreachable).toHaveLength(1);
    const waiting = agents.find((a) => f.agents.registered.get(a.id)?.marking != null)!;
    f.agents.receive(waiting.conn, { type: "PONG_SLAVE" });
    expect(f.metric("master/slave_unreachable_canceled")).toBe(1);
    await f.clock.advance(MIN);
    expect((await f.registry()).unreachable).toHaveLength(2);
    expect((await f.registry()).admitted).toEqual([waiting.id]);
    expect(f.metric("master/slave_unreachable_completed")).toBe(2);
  });
});

describe("re-registration", () => {
  test("a registered agent: same info needs no registry write, changed info is UPDATE_SLAVE, a changed hostname is shut down; a bound connection speaks for one agent", async () => {
    const f = await fixture();
    const { conn, id } = await register(f, 0);
    f.agents.receive(conn, reregisterMessage(0, id));
    await settle();
    expect(conn.last()).toMatchObject({ type: "SLAVE_REREGISTERED", slave_id: { value: id } });
    f.agents.receive(conn, reregisterMessage(0, id, { port: 5052 }));
    await settle();
    expect((await f.registrar.full()).slaves?.slaves[0]!.info.port).toBe(5052);
    f.agents.receive(conn, reregisterMessage(0, id, { hostname: "elsewhere" }));
    expect(conn.last()).toMatchObject({ type: "SHUTDOWN", message: "Agent attempted to reregister with different IP / hostname" });
    const dropped = f.metric("master/dropped_messages");
    f.agents.receive(conn, reregisterMessage(1, "M1-S9"));
    expect(f.metric("master/dropped_messages")).toBe(dropped + 1);
  });

  test("socket break: disconnected and inactive; re-registering reconnects; no re-registration within agent_reregister_timeout marks it unreachable", async () => {
    const f = await fixture(["--agent_ping_timeout=15mins"]);
    const a = await register(f, 0);
    const b = await register(f, 1);
    f.agents.disconnected(a.conn);
    f.agents.disconnected(b.conn);
    expect([f.metric("master/slaves_disconnected"), f.metric("master/slaves_inactive")]).toEqual([2, 2]);
    await f.clock.advance(5 * MIN);
    const conn = new FakeConnection();
    f.agents.receive(conn, reregisterMessage(0, a.id));
    await settle();
    expect(conn.last()).toMatchObject({ type: "SLAVE_REREGISTERED" });
    expect(f.agents.registered.get(a.id)).toMatchObject({ connected: true, active: true });
    await f.clock.advance(6 * MIN);
    expect(await f.registry()).toEqual({ admitted: [a.id], unreachable: [b.id], gone: [] });
  });

  test("UNREGISTER_SLAVE removes the agent from the registry (REMOVE_SLAVE)", async () => {
    const f = await fixture();
    const { conn, id } = await register(f, 0);
    f.agents.receive(conn, { type: "UNREGISTER_SLAVE", slave_id: { value: id } });
    await settle();
    expect(await f.registry()).toEqual({ admitted: [], unreachable: [], gone: [] });
    expect([f.metric("master/slave_removals"), f.metric("master/slave_removals/reason_unregistered")]).toEqual([1, 1]);
  });
});

describe("failover", () => {
  const before = [admitted(0, "OLD-S0"), admitted(1, "OLD-S1"), admitted(2, "OLD-S2"), admitted(3, "OLD-S3"), admitted(4, "OLD-S4"), admitted(5, "OLD-S5"),
    { type: "MARK_SLAVE_UNREACHABLE" as const, info: { ...slaveInfo(4), id: { value: "OLD-S4" } } as SlaveInfo, time: { nanoseconds: 1 } },
    { type: "MARK_SLAVE_GONE" as const, id: "OLD-S5", time: { nanoseconds: 2 } }];

  test("recovered agents re-register (UPDATE_SLAVE only when changed), unreachable ones are MARK_SLAVE_REACHABLE, gone ones are shut down; the rest are unreachable after agent_reregister_timeout", async () => {
    const f = await fixture([], before);
    expect([...f.agents.recovered.keys()]).toEqual(["OLD-S0", "OLD-S1", "OLD-S2", "OLD-S3"]);
    const conns = [0, 1, 4, 5].map((n) => new FakeConnection(`10.0.0.${n}:1`));
    f.agents.receive(conns[0]!, reregisterMessage(0, "OLD-S0"));
    f.agents.receive(conns[1]!, reregisterMessage(1, "OLD-S1", { port: 6000 }));
    f.agents.receive(conns[2]!, reregisterMessage(4, "OLD-S4"));
    f.agents.receive(conns[3]!, reregisterMessage(5, "OLD-S5"));
    await settle();
    expect(conns.map((c) => c.sent[0]?.type)).toEqual(["SLAVE_REREGISTERED", "SLAVE_REREGISTERED", "SLAVE_REREGISTERED", "SHUTDOWN"]);
    expect(conns[3]!.last()).toMatchObject({ message: "Agent has been marked gone" });
    const registry = await f.registrar.full();
    expect(registry.slaves?.slaves.find((s) => s.info.id.value === "OLD-S1")?.info.port).toBe(6000);
    expect([...f.agents.recovered.keys()]).toEqual(["OLD-S2", "OLD-S3"]);
    await advanceAnswering(f, 10 * MIN, conns.slice(0, 3));
    expect(await f.registry()).toEqual({ admitted: ["OLD-S0", "OLD-S1", "OLD-S4"], unreachable: ["OLD-S2", "OLD-S3"], gone: ["OLD-S5"] });
    expect([f.metric("master/recovery_slave_removals"), f.metric("master/slave_unreachable_completed"), f.agents.recovered.size]).toEqual([2, 2, 0]);
    expect(f.exits).toEqual([]);
  });

  test("more than --recovery_agent_removal_limit of the registry's agents missing after the timeout: exit 1", async () => {
    const f = await fixture(["--recovery_agent_removal_limit=50%"], before);
    const conn = new FakeConnection();
    f.agents.receive(conn, reregisterMessage(0, "OLD-S0"));
    await settle();
    await advanceAnswering(f, 10 * MIN, [conn]);
    expect(f.exits).toEqual([1]); // 4 admitted at recovery, 3 missing: 75% > 50%
    expect((await f.registry()).unreachable).toEqual(["OLD-S4"]);
  });
});

describe("operator", () => {
  test("MARK_AGENT_GONE: registry first, SHUTDOWN to the agent; its re-registration is refused", async () => {
    const f = await fixture();
    const { conn, id } = await register(f, 0);
    expect(await markAgentGone(f.agents, id)).toEqual({ status: 200, json: undefined });
    expect(conn.last()).toMatchObject({ type: "SHUTDOWN", message: "Agent has been marked gone" });
    expect(await f.registry()).toEqual({ admitted: [], unreachable: [], gone: [id] });
    expect(await markAgentGone(f.agents, "nobody")).toEqual({ status: 404, message: "Agent 'nobody' not found" });
    f.agents.receive(conn, reregisterMessage(0, id));
    expect(conn.last()).toMatchObject({ type: "SHUTDOWN", message: "Agent has been marked gone" });
  });

  test("machine DOWN: its agents are shut down and removed; (re-)registration from it is refused", async () => {
    const f = await fixture();
    const a = await register(f, 0);
    const b = await register(f, 1);
    const machine = { hostname: "agent0", ip: "10.0.0.0" };
    await f.registrar.apply({ type: "UPDATE_SCHEDULE", schedule: { windows: [{ machine_ids: [machine], unavailability: { start: { nanoseconds: 0 } } }] } });
    await f.registrar.apply({ type: "START_MAINTENANCE", machines: [machine] });
    machinesDown(f.agents, [machine]);
    await settle();
    expect(a.conn.last()).toMatchObject({ type: "SHUTDOWN", message: "Operator initiated 'Machine DOWN'" });
    expect(await f.registry()).toEqual({ admitted: [b.id], unreachable: [], gone: [] });
    f.agents.receive(a.conn, reregisterMessage(0, a.id));
    const fresh = new FakeConnection();
    f.agents.receive(fresh, registerMessage(0));
    await settle();
    expect([a.conn.last(), fresh.last()]).toEqual([0, 1].map(() => ({ type: "SHUTDOWN", master_id: "M1", message: "Machine is `DOWN`" })));
    expect(pidOf(0)).toBe("slave(1)@10.0.0.0:5051");
  });
});
