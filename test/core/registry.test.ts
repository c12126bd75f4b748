// Proves the WASM registry applies each Mesos registry operation (mesos-spec §4.3, the registrar_tests.cpp cases of §8.2) with Mesos's results and effects.
import { describe, expect, test } from "bun:test";
import { RegistryCore, RegistryFormatError } from "../../host/registry/core.ts";
import { decodeRegistry, encodeBatch, encodeOperation } from "../../host/registry/codec.ts";
import { Section, type DrainInfo, type Operation, type Registry, type SlaveInfo } from "../../host/registry/types.ts";

const master = { id: "master-1", hostname: "m1", port: 5050 };
const info = (id: string, hostname = "localhost"): SlaveInfo => ({ id: { value: id }, hostname });
const now = (n = 1) => ({ nanoseconds: 1_700_000_000_000_000_000 + n * 1000 });

/** A recovered registry (RECOVER applied) and a one-op-per-call runner. */
function registrar() {
  const core = new RegistryCore();
  const apply = (...ops: Operation[]): boolean[] => [...core.apply(encodeBatch(ops.map(encodeOperation)))].map((b) => b === 1);
  const one = (op: Operation): boolean => apply(op)[0]!;
  const state = (): Registry => decodeRegistry(core.snapshot());
  expect(one({ type: "RECOVER", master_info: master })).toBe(true);
  return { core, apply, one, state };
}

/** The registry after a restart: restored from a snapshot into a fresh instance. */
function restart(core: RegistryCore): RegistryCore {
  const next = new RegistryCore();
  next.restore(core.snapshot());
  return next;
}

describe("registry operations (RegistrarTest)", () => {
  test("Recover: the registry holds the new leader's MasterInfo", () => {
    const { one, state } = registrar();
    expect(state().master).toEqual({ info: master });
    expect(one({ type: "RECOVER", master_info: { ...master, id: "master-2" } })).toBe(true);
    expect(state().master?.info.id).toBe("master-2");
  });

  test("Admit: a second admit of the same id fails", () => {
    const { one, state } = registrar();
    expect(one({ type: "ADMIT_SLAVE", info: info("1") })).toBe(true);
    expect(one({ type: "ADMIT_SLAVE", info: info("1") })).toBe(false);
    expect(state().slaves?.slaves).toEqual([{ info: info("1") }]);
  });

  test("UpdateSlave: the change persists across a restart; a repeated update is a no-op", () => {
    const { core, one } = registrar();
    expect(one({ type: "UPDATE_SLAVE", info: info("1") })).toBe(false); // not admitted
    one({ type: "ADMIT_SLAVE", info: info("1", "original") });
    one({ type: "ADMIT_SLAVE", info: info("2") });
    expect(one({ type: "UPDATE_SLAVE", info: info("1", "changed") })).toBe(true);
    const after = restart(core);
    const before = after.snapshot();
    expect(decodeRegistry(before).slaves?.slaves.map((s) => s.info.hostname)).toEqual(["changed", "localhost"]);
    const again = after.apply(encodeBatch([encodeOperation({ type: "UPDATE_SLAVE", info: info("1", "changed") })]));
    expect([...again]).toEqual([1]);
    expect(after.snapshot()).toEqual(before);
  });

  test("MarkReachable: reachable of an admitted or never-unreachable agent succeeds", () => {
    const { one, state } = registrar();
    one({ type: "ADMIT_SLAVE", info: info("1") });
    expect(one({ type: "MARK_SLAVE_REACHABLE", info: info("1") })).toBe(true);
    expect(one({ type: "MARK_SLAVE_REACHABLE", info: info("1") })).toBe(true);
    expect(one({ type: "MARK_SLAVE_REACHABLE", info: info("2") })).toBe(true);
    expect(state().slaves?.slaves.map((s) => s.info.id.value)).toEqual(["1", "2"]);
  });

  test("MarkUnreachable: a second mark of an unreachable agent fails; drain state moves along", () => {
    const { one, state } = registrar();
    expect(one({ type: "MARK_SLAVE_UNREACHABLE", info: info("1"), time: now() })).toBe(false);
    one({ type: "ADMIT_SLAVE", info: info("1") });
    one({ type: "ADMIT_SLAVE", info: info("2") });
    expect(one({ type: "MARK_SLAVE_UNREACHABLE", info: info("1"), time: now(1) })).toBe(true);
    expect(one({ type: "MARK_SLAVE_REACHABLE", info: info("1") })).toBe(true);
    expect(state().slaves?.slaves.map((s) => s.info.id.value)).toEqual(["2", "1"]); // re-admitted at the end
    one({ type: "DRAIN_AGENT", id: "1", mark_gone: false });
    expect(one({ type: "MARK_SLAVE_UNREACHABLE", info: info("1"), time: now(2) })).toBe(true);
    expect(one({ type: "MARK_SLAVE_UNREACHABLE", info: info("1"), time: now(3) })).toBe(false);
    const unreachable = state().unreachable?.slaves;
    expect(unreachable).toEqual([{ id: { value: "1" }, timestamp: now(2), drain_info: { state: "DRAINING", config: { mark_gone: false } }, deactivated: true }]);
    one({ type: "MARK_SLAVE_REACHABLE", info: info("1") });
    expect(state().slaves?.slaves[1]).toEqual({ info: info("1"), drain_info: { state: "DRAINING", config: { mark_gone: false } }, deactivated: true });
    expect(state().unreachable).toBeUndefined();
  });

  test("MarkGone: an admitted agent can be marked gone", () => {
    const { one, state } = registrar();
    expect(one({ type: "MARK_SLAVE_GONE", id: "1", time: now() })).toBe(false); // in neither list
    one({ type: "ADMIT_SLAVE", info: info("1") });
    expect(one({ type: "MARK_SLAVE_GONE", id: "1", time: now() })).toBe(true);
    expect(state().gone?.slaves).toEqual([{ id: { value: "1" }, timestamp: now() }]);
    expect(state().slaves).toBeUndefined();
  });

  test("MarkUnreachableGone: unreachable ⇒ gone; gone again or unreachable after gone fail", () => {
    const { one, state } = registrar();
    one({ type: "ADMIT_SLAVE", info: info("1") });
    expect(one({ type: "MARK_SLAVE_UNREACHABLE", info: info("1"), time: now() })).toBe(true);
    expect(one({ type: "MARK_SLAVE_GONE", id: "1", time: now(2) })).toBe(true);
    expect(one({ type: "MARK_SLAVE_GONE", id: "1", time: now(3) })).toBe(false);
    expect(one({ type: "MARK_SLAVE_UNREACHABLE", info: info("1"), time: now(4) })).toBe(false);
    expect(state().unreachable).toBeUndefined();
    expect(state().gone?.slaves.length).toBe(1);
  });

  test("Prune: exactly the named entries go, missing ids are ignored, pruned agents can be admitted again", () => {
    const { one, state, apply } = registrar();
    for (let round = 0; round < 2; round++) {
      expect(apply(
        { type: "ADMIT_SLAVE", info: info("1") }, { type: "ADMIT_SLAVE", info: info("2") }, { type: "ADMIT_SLAVE", info: info("3") },
        { type: "MARK_SLAVE_UNREACHABLE", info: info("1"), time: now() }, { type: "MARK_SLAVE_UNREACHABLE", info: info("2"), time: now() },
        { type: "MARK_SLAVE_GONE", id: "3", time: now() },
      )).toEqual([true, true, true, true, true, true]);
      expect(one({ type: "PRUNE", unreachable: ["1", "9"], gone: [] })).toBe(true);
      expect(state().unreachable?.slaves.map((s) => s.id.value)).toEqual(["2"]); // Mesos's DeleteSubrange(i, i+1) would take "2" too
      expect(one({ type: "PRUNE", unreachable: ["2"], gone: ["3", "8"] })).toBe(true);
      expect(state().unreachable).toBeUndefined();
      expect(state().gone).toBeUndefined();
    }
  });

  test("Remove: a second remove fails; re-admit after removal works", () => {
    const { apply } = registrar();
    expect(apply(
      { type: "ADMIT_SLAVE", info: info("1") }, { type: "ADMIT_SLAVE", info: info("2") }, { type: "ADMIT_SLAVE", info: info("3") },
      { type: "REMOVE_SLAVE", info: info("1") }, { type: "REMOVE_SLAVE", info: info("1") }, { type: "ADMIT_SLAVE", info: info("1") },
      { type: "REMOVE_SLAVE", info: info("2") }, { type: "REMOVE_SLAVE", info: info("2") },
      { type: "REMOVE_SLAVE", info: info("3") }, { type: "REMOVE_SLAVE", info: info("3") },
    )).toEqual([true, true, true, true, false, true, true, false, true, false]);
  });

  test("Bootstrap: MarkSlaveReachable of an unknown agent admits it; visible after a restart", () => {
    const { core, one } = registrar();
    expect(one({ type: "MARK_SLAVE_REACHABLE", info: info("1") })).toBe(true);
    expect(decodeRegistry(restart(core).snapshot()).slaves?.slaves).toEqual([{ info: info("1") }]);
  });
});

describe("maintenance operations", () => {
  const m1 = { ip: "0.0.0.1" };
  const m2 = { hostname: "2" };
  const m3 = { hostname: "3", ip: "0.0.0.3" };
  const window = (ids: object[], start: number) => ({ machine_ids: ids, unavailability: { start: { nanoseconds: start } } });

  test("UpdateMaintenanceSchedule: new machines DRAINING, kept machines keep mode, unscheduled machines deleted", () => {
    const { one, state } = registrar();
    expect(one({ type: "UPDATE_SCHEDULE", schedule: { windows: [window([m1], 10)] } })).toBe(true);
    expect(state().machines?.machines).toEqual([{ id: m1, mode: "DRAINING", unavailability: { start: { nanoseconds: 10 } } }]);
    one({ type: "START_MAINTENANCE", machines: [m1] });
    one({ type: "UPDATE_SCHEDULE", schedule: { windows: [window([m1, m2], 20), window([m3], 30)] } });
    expect(state().machines?.machines).toEqual([
      { id: m1, mode: "DOWN", unavailability: { start: { nanoseconds: 20 } } },
      { id: m2, mode: "DRAINING", unavailability: { start: { nanoseconds: 20 } } },
      { id: m3, mode: "DRAINING", unavailability: { start: { nanoseconds: 30 } } },
    ]);
    // m2 stays (mode and all), m1 and m3 leave the registry.
    one({ type: "UPDATE_SCHEDULE", schedule: { windows: [window([{ hostname: "2" }], 40)] } });
    expect(state().machines?.machines).toEqual([{ id: m2, mode: "DRAINING", unavailability: { start: { nanoseconds: 40 } } }]);
    expect(state().schedules).toEqual([{ windows: [window([{ hostname: "2" }], 40)] }]);
    expect(one({ type: "UPDATE_SCHEDULE", schedule: { windows: [] } })).toBe(true);
    expect(state().schedules).toBeUndefined();
    expect(state().machines).toBeUndefined();
  });

  test("StartMaintenance: the listed machines go DOWN (hostname case-insensitive, ip exact)", () => {
    const { one, state } = registrar();
    one({ type: "UPDATE_SCHEDULE", schedule: { windows: [window([{ hostname: "Host-A" }, m1, m3], 5)] } });
    expect(one({ type: "START_MAINTENANCE", machines: [{ hostname: "host-a" }, { ip: "0.0.0.3" }] })).toBe(true);
    expect(state().machines?.machines.map((m) => m.mode)).toEqual(["DOWN", "DRAINING", "DRAINING"]);
  });

  test("StopMaintenance: machines deleted and dropped from windows; empty windows and schedules removed", () => {
    const { one, state } = registrar();
    one({ type: "UPDATE_SCHEDULE", schedule: { windows: [window([m1, m2], 5), window([m3], 6)] } });
    one({ type: "START_MAINTENANCE", machines: [m1, m3] });
    expect(one({ type: "STOP_MAINTENANCE", machines: [m3] })).toBe(true);
    expect(state().schedules).toEqual([{ windows: [window([m1, m2], 5)] }]);
    expect(state().machines?.machines.map((m) => m.id)).toEqual([m1, m2]);
    one({ type: "STOP_MAINTENANCE", machines: [m1, m2] });
    expect(state().schedules).toBeUndefined();
    expect(state().machines).toBeUndefined();
  });
});

describe("drain operations", () => {
  const draining = (mark_gone: boolean, grace?: number): DrainInfo => ({
    state: "DRAINING", config: { mark_gone, ...(grace !== undefined ? { max_grace_period: { nanoseconds: grace } } : {}) },
  });

  test("DrainAgent: drain info and deactivated on admitted and unreachable agents; AGENT_DRAINING added; unknown ids change nothing", () => {
    const { one, state } = registrar();
    one({ type: "ADMIT_SLAVE", info: info("1") });
    one({ type: "ADMIT_SLAVE", info: info("2") });
    one({ type: "MARK_SLAVE_UNREACHABLE", info: info("2"), time: now() });
    const before = state();
    expect(one({ type: "DRAIN_AGENT", id: "nope", mark_gone: true })).toBe(true); // Mesos: no mutation, no error
    expect(state()).toEqual(before);
    expect(one({ type: "DRAIN_AGENT", id: "1", max_grace_period: { nanoseconds: 10 }, mark_gone: false })).toBe(true);
    expect(one({ type: "DRAIN_AGENT", id: "2", mark_gone: true })).toBe(true);
    const s = state();
    expect(s.slaves?.slaves[0]).toEqual({ info: info("1"), drain_info: draining(false, 10), deactivated: true });
    expect(s.unreachable?.slaves[0]?.drain_info).toEqual(draining(true));
    expect(s.minimum_capabilities).toEqual([{ capability: "AGENT_DRAINING" }]);
    // Draining again without a grace period keeps the earlier one (Mesos copies only a given one).
    one({ type: "DRAIN_AGENT", id: "1", mark_gone: true });
    expect(state().slaves?.slaves[0]?.drain_info).toEqual(draining(true, 10));
  });

  test("MarkAgentDrained: DRAINING → DRAINED; not DRAINING fails; unknown is a no-op", () => {
    const { one, state } = registrar();
    one({ type: "ADMIT_SLAVE", info: info("1") });
    expect(one({ type: "MARK_AGENT_DRAINED", id: "1" })).toBe(false);
    expect(one({ type: "MARK_AGENT_DRAINED", id: "nope" })).toBe(true);
    one({ type: "DRAIN_AGENT", id: "1", mark_gone: false });
    expect(one({ type: "MARK_AGENT_DRAINED", id: "1" })).toBe(true);
    expect(state().slaves?.slaves[0]?.drain_info?.state).toBe("DRAINED");
    expect(one({ type: "MARK_AGENT_DRAINED", id: "1" })).toBe(false);
    one({ type: "MARK_SLAVE_UNREACHABLE", info: info("1"), time: now() });
    expect(one({ type: "MARK_AGENT_DRAINED", id: "1" })).toBe(false);
  });

  test("DeactivateAgent: deactivated set without drain info; AGENT_DRAINING added", () => {
    const { one, state } = registrar();
    one({ type: "ADMIT_SLAVE", info: info("1") });
    expect(one({ type: "DEACTIVATE_AGENT", id: "nope" })).toBe(true);
    expect(state().minimum_capabilities).toBeUndefined();
    expect(one({ type: "DEACTIVATE_AGENT", id: "1" })).toBe(true);
    expect(state().slaves?.slaves[0]).toEqual({ info: info("1"), deactivated: true });
    expect(state().minimum_capabilities).toEqual([{ capability: "AGENT_DRAINING" }]);
  });

  test("ReactivateAgent: clears drain and deactivated; AGENT_DRAINING goes with the last deactivated agent", () => {
    const { core, apply } = registrar();
    apply(
      ...["reachable1", "reachable2", "unreachable1", "unreachable2"].map((id): Operation => ({ type: "ADMIT_SLAVE", info: info(id) })),
      { type: "MARK_SLAVE_UNREACHABLE", info: info("unreachable1"), time: now() },
      { type: "MARK_SLAVE_UNREACHABLE", info: info("unreachable2"), time: now() },
      { type: "DEACTIVATE_AGENT", id: "reachable1" }, { type: "DRAIN_AGENT", id: "reachable2", mark_gone: false },
      { type: "DEACTIVATE_AGENT", id: "unreachable1" },
    );
    let c = restart(core);
    const step = (id: string) => [...c.apply(encodeBatch([encodeOperation({ type: "REACTIVATE_AGENT", id })]))];
    const caps = () => decodeRegistry(c.snapshot()).minimum_capabilities;
    expect(step("reachable1")).toEqual([1]);
    expect(caps()).toEqual([{ capability: "AGENT_DRAINING" }]);
    c = restart(c);
    expect(step("reachable2")).toEqual([1]);
    expect(decodeRegistry(c.snapshot()).slaves?.slaves.map((s) => s.deactivated ?? false)).toEqual([false, false]);
    expect(caps()).toEqual([{ capability: "AGENT_DRAINING" }]); // unreachable1 is still deactivated
    expect(step("unreachable1")).toEqual([1]);
    expect(caps()).toBeUndefined();
    expect(decodeRegistry(c.snapshot()).unreachable?.slaves.every((s) => s.deactivated === undefined && s.drain_info === undefined)).toBe(true);
  });
});

describe("quota and weights", () => {
  const q = (role: string, guarantees?: Record<string, number>, limits?: Record<string, number>) => ({
    role,
    ...(guarantees ? { guarantees: Object.fromEntries(Object.entries(guarantees).map(([k, v]) => [k, { value: v }])) } : {}),
    ...(limits ? { limits: Object.fromEntries(Object.entries(limits).map(([k, v]) => [k, { value: v }])) } : {}),
  });

  test("UpdateQuota: upsert keeps position, a default config deletes, QUOTA_V2 follows non-emptiness", () => {
    const { one, state } = registrar();
    expect(one({ type: "UPDATE_QUOTA", configs: [q("role1", { cpus: 1, mem: 512 }), q("role2", undefined, { cpus: 4 })] })).toBe(true);
    expect(state().quota_configs).toEqual([q("role1", { cpus: 1, mem: 512 }), q("role2", undefined, { cpus: 4 })]);
    expect(state().minimum_capabilities).toEqual([{ capability: "QUOTA_V2" }]);
    one({ type: "UPDATE_QUOTA", configs: [q("role1", { cpus: 2 }, { cpus: 2 })] });
    expect(state().quota_configs?.map((c) => c.role)).toEqual(["role1", "role2"]);
    expect(state().quota_configs?.[0]).toEqual(q("role1", { cpus: 2 }, { cpus: 2 }));
    one({ type: "UPDATE_QUOTA", configs: [q("role1"), q("role3", { cpus: 0 })] }); // both default: delete / no-op
    expect(state().quota_configs).toEqual([q("role2", undefined, { cpus: 4 })]);
    one({ type: "UPDATE_QUOTA", configs: [q("role2", {}, {})] });
    expect(state().quota_configs).toBeUndefined();
    expect(state().minimum_capabilities).toBeUndefined();
  });

  test("UpdateQuotaInvalid: any invalid config fails the operation and changes nothing", () => {
    const { core, one } = registrar();
    one({ type: "UPDATE_QUOTA", configs: [q("ok", { cpus: 1 })] });
    const before = core.snapshot();
    const invalid = [
      q("role1", undefined, { mem: 1024 ** 4 + 1 }), // Mesos's own case: beyond 1 exabyte
      q("role1", undefined, { cpus: 1e12 + 1 }),
      q("role1", { cpus: -1 }),
      q("role1", { cpus: Number.NaN }),
      q("role1", undefined, { cpus: Number.POSITIVE_INFINITY }),
      q("role1", { cpus: 5e-324 }), // subnormal
      q("role1", { cpus: 2 }, { cpus: 1 }), // guarantee above its limit
      q("", { cpus: 1 }), // empty role
      ...["/a", "a/", "a//b", ".", "a/..", "*/a", "-a", "a b", "a\tb"].map((role) => q(role, { cpus: 1 })),
    ];
    for (const config of invalid) {
      expect(one({ type: "UPDATE_QUOTA", configs: [q("fine", { cpus: 1 }), config] })).toBe(false);
      expect(core.snapshot()).toEqual(before);
    }
    // Scalars compare in fixed point (three decimals), as Mesos: 1.0004 ≤ 1.
    expect(one({ type: "UPDATE_QUOTA", configs: [q("a/b", { cpus: 1.0004, gpus: 3 }, { cpus: 1, mem: 0 }), q("*", { cpus: 1 })] })).toBe(true);
  });

  test("UpdateWeights: upsert per role, in place", () => {
    const { one, state } = registrar();
    expect(one({ type: "UPDATE_WEIGHTS", weights: [{ role: "role1", weight: 2 }] })).toBe(true);
    expect(one({ type: "UPDATE_WEIGHTS", weights: [{ role: "role2", weight: 3 }, { role: "role1", weight: 1 }] })).toBe(true);
    expect(state().weights).toEqual([{ info: { role: "role1", weight: 1 } }, { info: { role: "role2", weight: 3 } }]);
    expect(one({ type: "UPDATE_WEIGHTS", weights: [] })).toBe(true);
  });
});

describe("registry boundary", () => {
  test("sizeBytes is the length of the full snapshot; sections select parts", () => {
    const { core, apply } = registrar();
    apply({ type: "ADMIT_SLAVE", info: info("1") }, { type: "UPDATE_WEIGHTS", weights: [{ role: "r", weight: 2 }] });
    expect(core.sizeBytes()).toBe(core.snapshot().length);
    expect(decodeRegistry(core.snapshot(Section.WEIGHTS))).toEqual({ weights: [{ info: { role: "r", weight: 2 } }] });
    expect(() => core.snapshot(0)).toThrow(RangeError);
  });

  test("100,000 agents: one batch of admits, O(1) operations on any of them, exact snapshot/restore", () => {
    const core = new RegistryCore();
    const admits = Array.from({ length: 100_000 }, (_, i) => encodeOperation({ type: "ADMIT_SLAVE", info: info(`S${i}`) }));
    expect(core.apply(encodeBatch(admits)).every((b) => b === 1)).toBe(true);
    const later = [
      encodeOperation({ type: "MARK_SLAVE_UNREACHABLE", info: info("S99999"), time: now() }),
      encodeOperation({ type: "ADMIT_SLAVE", info: info("S0") }),
      encodeOperation({ type: "MARK_SLAVE_GONE", id: "S50000", time: now() }),
    ];
    expect([...core.apply(encodeBatch(later))]).toEqual([1, 0, 1]);
    const snapshot = core.snapshot();
    expect(core.sizeBytes()).toBe(snapshot.length);
    const copy = new RegistryCore();
    copy.restore(snapshot);
    expect(copy.snapshot()).toEqual(snapshot);
    const small = decodeRegistry(copy.snapshot(Section.UNREACHABLE | Section.GONE));
    expect(small.unreachable?.slaves.map((s) => s.id.value)).toEqual(["S99999"]);
    expect(small.gone?.slaves.map((s) => s.id.value)).toEqual(["S50000"]);
  });

  test("malformed batches and partial snapshots are refused and change nothing", () => {
    const { core } = registrar();
    const before = core.snapshot();
    const batch = encodeBatch([encodeOperation({ type: "ADMIT_SLAVE", info: info("1") })]);
    expect(() => core.apply(batch.subarray(0, batch.length - 1))).toThrow(RegistryFormatError);
    expect(() => core.apply(new Uint8Array(0))).toThrow(RegistryFormatError);
    const unknown = encodeBatch([Uint8Array.of(99, 0, 0, 0, 0)]);
    expect(() => core.apply(unknown)).toThrow(RegistryFormatError);
    expect(() => core.restore(core.snapshot(Section.SLAVES))).toThrow(RegistryFormatError);
    expect(core.snapshot()).toEqual(before);
  });
});
