// Proves the registrar's contract (mesos-spec §4.3, Mesos's registrar_tests.cpp) on real
// SQLite replicated logs: results of each operation, persistence across registrar restarts,
// batching, snapshots with truncation replaying to the same registry, and the failures that
// abort it for good (FetchTimeout, StoreTimeout, Abort by a fencing writer).
import { afterEach, describe, expect, test } from "bun:test";
import { Metrics } from "../../host/metrics.ts";
import { Registrar, type RegistrarOptions } from "../../host/master/registrar.ts";
import { LogStorage } from "../../host/registry/storage.ts";
import type { Operation, SlaveInfo } from "../../host/registry/types.ts";
import { RegistryLogs } from "../helpers/registry_log.ts";
import { bounds } from "../../host/log/reader.ts";
import { applyRecords, type DurableView } from "../../host/storage/memory.ts";

const MASTER = { id: "master-1", hostname: "m1", ip: 16777343, port: 5050, pid: "master@127.0.0.1:5050", version: "1.12.0" };

function slave(n: number, hostname = `agent-${n}`): SlaveInfo {
  return {
    id: { value: `S${n}` }, hostname, port: 5051, checkpoint: true,
    resources: [{ name: "cpus", type: "SCALAR", scalar: { value: 4 }, role: "*" }, { name: "mem", type: "SCALAR", scalar: { value: 8192 }, role: "*" }],
    attributes: [{ name: "rack", type: "TEXT", text: { value: "a" } }],
  };
}

let logs: RegistryLogs | null = null;
afterEach(() => {
  logs?.close();
  logs = null;
});

/** Opens replica i with a registrar following its learned entries from the log's start. */
function attach(i: number, extra: Partial<RegistrarOptions> = {}) {
  const aborts: string[] = [];
  let r: Registrar | null = null;
  const log = logs!.open(i, { start: false, onLearned: (entry) => r!.learned(entry) });
  r = new Registrar({
    storage: new LogStorage(log), metrics: new Metrics(), fetch_timeout_ms: 10_000, store_timeout_ms: 5_000,
    onAbort: (reason) => aborts.push(reason), ...extra,
  });
  log.start();
  return { registrar: r, aborts, log };
}

/** One replica (quorum 1); open() starts it with a fresh registrar, restart() stops it. */
async function single(): Promise<{ open: () => ReturnType<typeof attach>; restart: () => void }> {
  logs = await RegistryLogs.create(1, 1);
  return { open: () => attach(0), restart: () => logs!.stop(0) };
}

const applyAll = (r: Registrar, ops: Operation[]) => Promise.all(ops.map((op) => r.apply(op)));

describe("RegistrarTest", () => {
  test("Recover: apply before recover fails, operations during recovery succeed, the registry holds the MasterInfo", async () => {
    const { open } = await single();
    const { registrar: r } = open();
    await expect(r.apply({ type: "ADMIT_SLAVE", info: slave(1) })).rejects.toThrow("before recovering");
    const recovering = r.recover(MASTER);
    const during = r.apply({ type: "ADMIT_SLAVE", info: slave(1) });
    await recovering;
    expect(await during).toBe(true);
    expect(r.recovered()).toBe(true);
    const registry = await r.full();
    expect(registry.master?.info).toEqual(MASTER);
    expect(registry.slaves?.slaves.map((s) => s.info.id.value)).toEqual(["S1"]);
  });

  test("Admit, Remove, MarkUnreachable, MarkReachable, MarkGone and Prune answer as Mesos's and persist", async () => {
    const { open, restart } = await single();
    let { registrar: r } = open();
    await r.recover(MASTER);
    const now = { nanoseconds: Date.now() * 1e6 };
    expect(await applyAll(r, [
      { type: "ADMIT_SLAVE", info: slave(1) }, { type: "ADMIT_SLAVE", info: slave(1) }, // Admit: second is false
      { type: "ADMIT_SLAVE", info: slave(2) }, { type: "REMOVE_SLAVE", info: slave(2) }, { type: "REMOVE_SLAVE", info: slave(2) }, // Remove
      { type: "MARK_SLAVE_REACHABLE", info: slave(1) }, // MarkReachable on an admitted agent
      { type: "MARK_SLAVE_UNREACHABLE", info: slave(1), time: now }, { type: "MARK_SLAVE_UNREACHABLE", info: slave(1), time: now },
      { type: "ADMIT_SLAVE", info: slave(3) }, { type: "MARK_SLAVE_GONE", id: "S3", time: now }, { type: "MARK_SLAVE_GONE", id: "S3", time: now },
      { type: "MARK_SLAVE_GONE", id: "S1", time: now }, { type: "MARK_SLAVE_UNREACHABLE", info: slave(1), time: now }, // MarkUnreachableGone
      { type: "MARK_SLAVE_REACHABLE", info: slave(9) }, // Bootstrap: an unknown agent is admitted
    ])).toEqual([true, false, true, true, false, true, true, false, true, true, false, true, false, true]);
    restart();
    ({ registrar: r } = open());
    await r.recover(MASTER);
    const registry = await r.full();
    expect(registry.slaves?.slaves.map((s) => s.info.id.value)).toEqual(["S9"]);
    expect(registry.unreachable).toBeUndefined();
    expect(registry.gone?.slaves.map((s) => s.id.value)).toEqual(["S3", "S1"]);
    expect(await r.apply({ type: "PRUNE", unreachable: [], gone: ["S3", "S1", "S7"] })).toBe(true);
    expect(await r.apply({ type: "ADMIT_SLAVE", info: slave(3) })).toBe(true); // Prune: pruned agents can be admitted again
    expect((await r.full()).gone).toBeUndefined();
  });

  test("UpdateSlave: a hostname change survives a registrar restart, and repeating it is idempotent", async () => {
    const { open, restart } = await single();
    let { registrar: r } = open();
    await r.recover(MASTER);
    expect(await r.apply({ type: "UPDATE_SLAVE", info: slave(1) })).toBe(false);
    expect(await r.apply({ type: "ADMIT_SLAVE", info: slave(1) })).toBe(true);
    expect(await r.apply({ type: "UPDATE_SLAVE", info: slave(1, "renamed") })).toBe(true);
    expect(await r.apply({ type: "UPDATE_SLAVE", info: slave(1, "renamed") })).toBe(true);
    restart();
    ({ registrar: r } = open());
    await r.recover(MASTER);
    expect((await r.full()).slaves?.slaves[0]?.info.hostname).toBe("renamed");
  });

  test("maintenance, drain, quota and weights operations answer as Mesos's and persist across a restart", async () => {
    const { open, restart } = await single();
    let { registrar: r } = open();
    await r.recover(MASTER);
    const window = (ids: { hostname?: string; ip?: string }[]) => ({ machine_ids: ids, unavailability: { start: { nanoseconds: 1_000_000_000_000_000_000n } } });
    expect(await applyAll(r, [
      { type: "ADMIT_SLAVE", info: slave(1) }, { type: "ADMIT_SLAVE", info: slave(2) },
      { type: "UPDATE_SCHEDULE", schedule: { windows: [window([{ hostname: "a" }, { hostname: "b", ip: "10.0.0.2" }]), window([{ ip: "10.0.0.3" }])] } },
      { type: "START_MAINTENANCE", machines: [{ hostname: "A" }] }, // hostnames compare case-insensitively
      { type: "STOP_MAINTENANCE", machines: [{ ip: "10.0.0.3" }] },
      { type: "DRAIN_AGENT", id: "S1", mark_gone: false, max_grace_period: { nanoseconds: 5e9 } },
      { type: "MARK_AGENT_DRAINED", id: "S1" }, { type: "MARK_AGENT_DRAINED", id: "S1" }, // DRAINED is no longer DRAINING
      { type: "DEACTIVATE_AGENT", id: "S2" },
      { type: "UPDATE_QUOTA", configs: [{ role: "dev", guarantees: { cpus: { value: 1 } }, limits: { cpus: { value: 2 } } }] },
      { type: "UPDATE_QUOTA", configs: [{ role: "bad", guarantees: { cpus: { value: 3 } }, limits: { cpus: { value: 2 } } }] }, // UpdateQuotaInvalid
      { type: "UPDATE_WEIGHTS", weights: [{ role: "dev", weight: 2 }] },
    ])).toEqual([true, true, true, true, true, true, true, false, true, true, false, true]);
    restart();
    ({ registrar: r } = open());
    await r.recover(MASTER);
    const registry = await r.full();
    expect(registry.machines?.machines).toEqual([
      { id: { hostname: "a" }, mode: "DOWN", unavailability: { start: { nanoseconds: 1_000_000_000_000_000_000n } } },
      { id: { hostname: "b", ip: "10.0.0.2" }, mode: "DRAINING", unavailability: { start: { nanoseconds: 1_000_000_000_000_000_000n } } },
    ]);
    expect(registry.schedules).toEqual([{ windows: [window([{ hostname: "a" }, { hostname: "b", ip: "10.0.0.2" }])] }]);
    const [s1, s2] = registry.slaves!.slaves;
    expect(s1?.drain_info).toEqual({ state: "DRAINED", config: { max_grace_period: { nanoseconds: 5e9 }, mark_gone: false } });
    expect(s1?.deactivated).toBe(true);
    expect(s2?.deactivated).toBe(true);
    expect(registry.quota_configs).toEqual([{ role: "dev", guarantees: { cpus: { value: 1 } }, limits: { cpus: { value: 2 } } }]);
    expect(registry.weights).toEqual([{ info: { role: "dev", weight: 2 } }]);
    expect(registry.minimum_capabilities?.map((c) => c.capability).sort()).toEqual(["AGENT_DRAINING", "QUOTA_V2"]);
    expect(await r.apply({ type: "REACTIVATE_AGENT", id: "S1" })).toBe(true);
    expect(await r.apply({ type: "REACTIVATE_AGENT", id: "S2" })).toBe(true);
    expect((await r.full()).minimum_capabilities?.map((c) => c.capability)).toEqual(["QUOTA_V2"]);
  });

  test("operations submitted together are stored in far fewer log writes than operations", async () => {
    logs = await RegistryLogs.create(1, 1);
    const metrics = new Metrics();
    const { registrar: r } = attach(0, { metrics });
    await r.recover(MASTER);
    const results = await applyAll(r, Array.from({ length: 2000 }, (_, i) => ({ type: "ADMIT_SLAVE", info: slave(i) }) as Operation));
    expect(results.every((x) => x)).toBe(true);
    const stores = metrics.snapshot()["registrar/state_store_ms/count"]!;
    expect(stores).toBeGreaterThanOrEqual(2); // the Recover batch, then the admits
    expect(stores).toBeLessThan(50);
    expect(metrics.snapshot()["registrar/registry_size_bytes"]).toBeGreaterThan(2000 * 100);
  });

  test("snapshots truncate the log, and replaying snapshot + operations gives the same registry (S4)", async () => {
    logs = await RegistryLogs.create(1, 1);
    const { registrar: r } = attach(0, { snapshot_min_bytes: 4096 });
    await r.recover(MASTER);
    for (let round = 0; round < 10; round++) {
      // 2,000 agents: a registry of several snapshot chunks, interleaved with later batches
      await applyAll(r, Array.from({ length: 200 }, (_, i) => ({ type: "ADMIT_SLAVE", info: slave(round * 200 + i) }) as Operation));
      await r.apply({ type: "MARK_SLAVE_GONE", id: `S${round * 200}`, time: { nanoseconds: round } });
    }
    const before = await r.full();
    logs.stop(0);
    const { registrar: again, log: reopened } = attach(0);
    await again.recover(MASTER);
    const after = await again.full();
    expect(after.slaves).toEqual(before.slaves);
    expect(after.gone).toEqual(before.gone);
    // The log was truncated to a snapshot: it begins past its first writes and holds fewer
    // positions than were written.
    const view: DurableView = { status: 0, promised: 0, fenceProposal: 0, fencePosition: 0, actions: new Map() };
    for (const blob of reopened.store.load()) applyRecords(view, blob);
    const { begin, end } = bounds(view);
    expect(begin).toBeGreaterThan(1);
    expect(view.actions.size).toBeLessThan(end);
  });

  test("FetchTimeout: a log without a quorum fails recovery, and every later operation", async () => {
    logs = await RegistryLogs.create(3, 2);
    const { registrar: r, aborts } = attach(0, { fetch_timeout_ms: 500 });
    await expect(r.recover(MASTER)).rejects.toThrow("Failed to perform fetch within 500ms");
    expect(aborts).toHaveLength(1);
    await expect(r.apply({ type: "ADMIT_SLAVE", info: slave(1) })).rejects.toThrow("Registrar aborted");
  });

  test("StoreTimeout: a store that outlasts --registry_store_timeout fails that operation and every later one", async () => {
    logs = await RegistryLogs.create(3, 2);
    const { registrar: r, aborts } = attach(0, { store_timeout_ms: 500 });
    for (const i of [1, 2]) logs.open(i); // auto-initialisation needs every replica
    await r.recover(MASTER);
    logs.stop(1);
    logs.stop(2); // the quorum is gone: the next write cannot be chosen
    await expect(r.apply({ type: "ADMIT_SLAVE", info: slave(1) })).rejects.toThrow("timed out after 500ms");
    expect(aborts[0]).toContain("timed out");
    await expect(r.apply({ type: "ADMIT_SLAVE", info: slave(2) })).rejects.toThrow("Registrar aborted");
  });

  test("Abort: a registrar whose log writer was fenced by another master's fails its next store and aborts", async () => {
    logs = await RegistryLogs.create(3, 2);
    const first = attach(0);
    const second = attach(1);
    logs.open(2);
    await first.registrar.recover(MASTER);
    expect(await first.registrar.apply({ type: "ADMIT_SLAVE", info: slave(1) })).toBe(true);
    await second.registrar.recover({ ...MASTER, id: "master-2" });
    await expect(first.registrar.apply({ type: "ADMIT_SLAVE", info: slave(2) })).rejects.toThrow("Registrar aborted");
    expect(first.aborts[0]).toContain("demoted");
    // The new leader sees what the old one stored, and nothing it failed to.
    const registry = await second.registrar.full();
    expect(registry.slaves?.slaves.map((s) => s.info.id.value)).toEqual(["S1"]);
    expect(registry.master?.info.id).toBe("master-2");
  });
});
