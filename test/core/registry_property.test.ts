// Proves the registry is deterministic (invariant S4): snapshot→restore→snapshot is exact, a replay split by a restore matches one run, and a corrupted byte is refused without change.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { RegistryCore, RegistryFormatError } from "../../host/registry/core.ts";
import { encodeBatch, encodeOperation } from "../../host/registry/codec.ts";
import type { MachineID, Operation } from "../../host/registry/types.ts";

// Few ids and machines, so that operations collide (duplicate admits, gone twice, …).
const id = fc.constantFrom("a", "b", "c", "d", "e");
const time = fc.record({ nanoseconds: fc.integer({ min: 0, max: 2 ** 52 }) });
const info = fc.record({ id: fc.record({ value: id }), hostname: fc.constantFrom("h1", "H1", "h2"), port: fc.nat(3) });
const machine: fc.Arbitrary<MachineID> = fc.oneof(
  fc.record({ hostname: fc.constantFrom("m1", "M1", "m2") }),
  fc.record({ ip: fc.constantFrom("10.0.0.1", "10.0.0.2") }),
  fc.record({ hostname: fc.constantFrom("m3"), ip: fc.constantFrom("10.0.0.3") }),
);
const unavailability = fc.record({ start: time, duration: time }, { requiredKeys: ["start"] });
const quantities = fc.dictionary(fc.constantFrom("cpus", "mem", "disk", "gpus"), fc.record({ value: fc.constantFrom(0, 0.5, 1, 2, 1e13) }));
const role = fc.constantFrom("r1", "r2", "a/b", "*", "bad/");

const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ type: fc.constant("RECOVER" as const), master_info: fc.record({ id: fc.string({ maxLength: 4 }), port: fc.nat(9) }) }),
  fc.record({ type: fc.constantFrom("ADMIT_SLAVE" as const, "UPDATE_SLAVE" as const, "MARK_SLAVE_REACHABLE" as const, "REMOVE_SLAVE" as const), info }),
  fc.record({ type: fc.constant("MARK_SLAVE_UNREACHABLE" as const), info, time }),
  fc.record({ type: fc.constant("MARK_SLAVE_GONE" as const), id, time }),
  fc.record({ type: fc.constant("PRUNE" as const), unreachable: fc.array(id, { maxLength: 3 }), gone: fc.array(id, { maxLength: 3 }) }),
  fc.record({ type: fc.constant("DRAIN_AGENT" as const), id, mark_gone: fc.boolean(), max_grace_period: time }, { requiredKeys: ["type", "id", "mark_gone"] }),
  fc.record({ type: fc.constantFrom("MARK_AGENT_DRAINED" as const, "DEACTIVATE_AGENT" as const, "REACTIVATE_AGENT" as const), id }),
  fc.record({ type: fc.constant("UPDATE_SCHEDULE" as const), schedule: fc.record({ windows: fc.array(fc.record({ machine_ids: fc.array(machine, { minLength: 1, maxLength: 3 }), unavailability }), { maxLength: 3 }) }) }),
  fc.record({ type: fc.constantFrom("START_MAINTENANCE" as const, "STOP_MAINTENANCE" as const), machines: fc.array(machine, { maxLength: 3 }) }),
  fc.record({ type: fc.constant("UPDATE_QUOTA" as const), configs: fc.array(fc.record({ role, guarantees: quantities, limits: quantities }, { requiredKeys: ["role"] }), { maxLength: 2 }) }),
  fc.record({ type: fc.constant("UPDATE_WEIGHTS" as const), weights: fc.array(fc.record({ role, weight: fc.constantFrom(0.5, 1, 2) }), { maxLength: 2 }) }),
);
const operations = fc.array(operation, { maxLength: 40 });

/** Applies ops one batch per op (as the registrar may) and returns every result byte. */
function run(core: RegistryCore, ops: Operation[]): number[] {
  return ops.flatMap((op) => [...core.apply(encodeBatch([encodeOperation(op)]))]);
}

describe("registry determinism (property)", () => {
  test("snapshot → restore → snapshot is byte-identical, and sizeBytes is the snapshot's length", () => {
    fc.assert(fc.property(operations, (ops) => {
      const core = new RegistryCore();
      run(core, ops);
      const snapshot = core.snapshot();
      expect(core.sizeBytes()).toBe(snapshot.length);
      const copy = new RegistryCore();
      copy.restore(snapshot);
      expect(copy.snapshot()).toEqual(snapshot);
      expect(copy.sizeBytes()).toBe(snapshot.length);
    }), { numRuns: 150 });
  });

  test("ops [0,k), snapshot, restore into a fresh instance, ops [k,n) = all n ops in one instance", () => {
    fc.assert(fc.property(operations, fc.nat(), (ops, cut) => {
      const k = ops.length === 0 ? 0 : cut % (ops.length + 1);
      const whole = new RegistryCore();
      const wholeResults = [...whole.apply(encodeBatch(ops.map(encodeOperation)))];
      const first = new RegistryCore();
      const results = run(first, ops.slice(0, k));
      const second = new RegistryCore();
      second.restore(first.snapshot());
      results.push(...run(second, ops.slice(k)));
      expect(results).toEqual(wholeResults);
      expect(second.snapshot()).toEqual(whole.snapshot());
    }), { numRuns: 150 });
  });

  test("an operation whose result is 0 (error) changes nothing", () => {
    fc.assert(fc.property(operations, (ops) => {
      const core = new RegistryCore();
      for (const op of ops) {
        const before = core.snapshot();
        const [result] = core.apply(encodeBatch([encodeOperation(op)]));
        if (result === 0) expect(core.snapshot()).toEqual(before);
      }
    }), { numRuns: 100 });
  });

  test("a corrupted byte in a snapshot or a batch is refused and changes nothing", () => {
    fc.assert(fc.property(operations, operations, fc.nat(), fc.integer({ min: 1, max: 255 }), (setup, more, at, flip) => {
      const core = new RegistryCore();
      run(core, setup);
      const before = core.snapshot();
      const corrupt = before.slice();
      corrupt[at % corrupt.length]! ^= flip;
      expect(() => core.restore(corrupt)).toThrow(RegistryFormatError);
      expect(core.snapshot()).toEqual(before);
      const batch = encodeBatch(more.map(encodeOperation));
      batch[at % batch.length]! ^= flip;
      expect(() => core.apply(batch)).toThrow(RegistryFormatError);
      expect(core.snapshot()).toEqual(before);
    }), { numRuns: 150 });
  });
});
