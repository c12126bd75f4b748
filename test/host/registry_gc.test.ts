// Proves registry GC (mesos-spec §5.7): unreachable and gone entries older than
// --registry_max_agent_age are pruned, then the oldest-inserted beyond
// --registry_max_agent_count, in one Prune through the registrar; the registrar's metrics carry
// Mesos's names and timer suffixes; reads of the stored registry are answered after any store.
import { expect, test } from "bun:test";
import { Metrics } from "../../host/metrics.ts";
import { Registrar } from "../../host/master/registrar.ts";
import { collectRegistryGarbage, selectForGc } from "../../host/master/registry_gc.ts";
import { MemoryStorage } from "../../host/registry/storage.ts";
import type { Operation } from "../../host/registry/types.ts";

const DAY_MS = 24 * 3600 * 1000;
const NOW_MS = Date.UTC(2026, 10, 21);
const at = (ms: number) => ({ nanoseconds: ms * 1e6 });
const slave = (n: number) => ({ id: { value: `S${n}` }, hostname: `agent-${n}` });

test("selection: by age first, then the oldest-inserted beyond the count", () => {
  const list = [
    { id: { value: "a" }, timestamp: at(NOW_MS - 20 * DAY_MS) },
    { id: { value: "b" }, timestamp: at(NOW_MS - 1 * DAY_MS) },
    { id: { value: "c" }, timestamp: at(NOW_MS - 30 * DAY_MS) },
    { id: { value: "d" }, timestamp: at(NOW_MS) },
    { id: { value: "e" }, timestamp: at(NOW_MS) },
  ];
  expect(selectForGc(list, NOW_MS, 14 * DAY_MS, 100)).toEqual(["a", "c"]);
  expect(selectForGc(list, NOW_MS, 14 * DAY_MS, 2)).toEqual(["a", "b", "c"]);
  expect(selectForGc(list, NOW_MS, 365 * DAY_MS, 1)).toEqual(["a", "b", "c", "d"]);
  expect(selectForGc([], NOW_MS, 0, 0)).toEqual([]);
});

test("a GC pass prunes the registry's unreachable and gone lists through the registrar", async () => {
  const metrics = new Metrics();
  const registrar = new Registrar({ storage: new MemoryStorage(), metrics, fetch_timeout_ms: 1000, store_timeout_ms: 1000, onAbort: () => {} });
  await registrar.recover({ id: "m" });
  const ops: Operation[] = [];
  for (let n = 0; n < 6; n++) ops.push({ type: "ADMIT_SLAVE", info: slave(n) });
  ops.push({ type: "MARK_SLAVE_UNREACHABLE", info: slave(0), time: at(NOW_MS - 30 * DAY_MS) });
  ops.push({ type: "MARK_SLAVE_UNREACHABLE", info: slave(1), time: at(NOW_MS - DAY_MS) });
  ops.push({ type: "MARK_SLAVE_UNREACHABLE", info: slave(2), time: at(NOW_MS) });
  ops.push({ type: "MARK_SLAVE_GONE", id: "S3", time: at(NOW_MS - 15 * DAY_MS) });
  ops.push({ type: "MARK_SLAVE_GONE", id: "S4", time: at(NOW_MS) });
  expect((await Promise.all(ops.map((op) => registrar.apply(op)))).every(Boolean)).toBe(true);
  const pruned = await collectRegistryGarbage(registrar, { interval_ms: 1000, max_age_ms: 14 * DAY_MS, max_count: 1, now_ms: () => NOW_MS });
  expect(pruned).toEqual({ unreachable: 2, gone: 1 });
  const registry = await registrar.full();
  expect(registry.unreachable?.slaves.map((s) => s.id.value)).toEqual(["S2"]);
  expect(registry.gone?.slaves.map((s) => s.id.value)).toEqual(["S4"]);
  expect(await collectRegistryGarbage(registrar, { interval_ms: 1000, max_age_ms: 14 * DAY_MS, max_count: 1, now_ms: () => NOW_MS })).toEqual({ unreachable: 0, gone: 0 });

  const snapshot = metrics.snapshot();
  expect(snapshot["registrar/queued_operations"]).toBe(0);
  expect(snapshot["registrar/registry_size_bytes"]).toBeGreaterThan(0);
  for (const name of ["registrar/state_fetch_ms", "registrar/state_store_ms"]) {
    for (const suffix of ["", "/count", "/min", "/max", "/p50", "/p90", "/p95", "/p99", "/p999", "/p9999"]) {
      expect(typeof snapshot[name + suffix]).toBe("number");
    }
  }
  expect(snapshot["registrar/state_fetch_ms/count"]).toBe(1);
});

test("reads wait for a store in flight and are answered when it ends, also a snapshot chunk's alone", async () => {
  const registrar = new Registrar({ storage: new MemoryStorage(), metrics: new Metrics(), fetch_timeout_ms: 1000, store_timeout_ms: 1000, onAbort: () => {}, snapshot_min_bytes: 1 });
  await registrar.recover({ id: "m" });
  const ops: Operation[] = Array.from({ length: 2500 }, (_, n) => ({ type: "ADMIT_SLAVE", info: { ...slave(n), attributes: [{ name: "rack", type: "TEXT", text: { value: "r".repeat(200) } }] } }));
  expect((await Promise.all(ops.map((op) => registrar.apply(op)))).every(Boolean)).toBe(true);
  // The snapshot taken after that batch (over 256 KiB: several chunks) is now being stored
  // one chunk per store, with no batch behind it.
  const registry = await registrar.full();
  expect(registry.slaves?.slaves).toHaveLength(2500);
});
