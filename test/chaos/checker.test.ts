// Proves the chaos checkers tell linearizable register histories from lost writes, phantoms,
// stale reads and two leaders acting at once, including histories generated from a real
// atomic register with random overlaps (always linearizable) and the same with one read made stale.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { checkHistory, fencing, linearizable } from "../../scripts/chaos/checker.ts";
import type { Op } from "../../scripts/chaos/history.ts";

let next_id = 0;
function op(kind: "write" | "read", value: number | null, invoke_ms: number, complete_ms: number | null, extra: Partial<Op> = {}): Op {
  const outcome = extra.outcome ?? (complete_ms === null ? "unknown" : "ok");
  return { id: next_id++, process: 0, key: "k", kind, value, invoke_ms, complete_ms, outcome, master: 0, incarnation: "m0#1", ...extra };
}

describe("linearizable", () => {
  test("a sequential history reading what was last written is linearizable", () => {
    expect(linearizable([op("write", 1, 0, 1), op("read", 1, 2, 3), op("write", 2, 4, 5), op("read", 2, 6, 7)])).toBe("yes");
  });

  test("a read after an acknowledged write that sees the older value is not", () => {
    const history = [op("write", 1, 0, 1), op("write", 2, 2, 3), op("read", 1, 4, 5)];
    expect(linearizable(history)).toBe("no");
    expect(checkHistory(history).map((v) => v.kind).sort()).toEqual(["lost", "not-linearizable"]);
  });

  test("a read concurrent with a write may see either value, but two reads may not go back", () => {
    expect(linearizable([op("write", 1, 0, 1), op("write", 2, 2, 10), op("read", 1, 3, 4), op("read", 2, 5, 6)])).toBe("yes");
    expect(linearizable([op("write", 1, 0, 1), op("write", 2, 2, 10), op("read", 2, 3, 4), op("read", 1, 5, 6)])).toBe("no");
  });

  test("an unknown write may have happened, late; a refused one may not be seen", () => {
    expect(linearizable([op("write", 1, 0, 1), op("write", 2, 2, null), op("read", 1, 3, 4), op("read", 2, 50, 51)])).toBe("yes");
    const refused = [op("write", 1, 0, 1), op("write", 2, 2, 3, { outcome: "fail" }), op("read", 2, 4, 5)];
    expect(checkHistory(refused).map((v) => v.kind)).toContain("phantom");
    expect(checkHistory([op("read", 7, 0, 1)]).map((v) => v.kind)).toContain("phantom");
  });

  test("reading nothing before any write, then the write", () => {
    expect(linearizable([op("read", null, 0, 1), op("write", 1, 2, 3), op("read", 1, 4, 5)])).toBe("yes");
    expect(linearizable([op("write", 1, 0, 1), op("read", null, 2, 3)])).toBe("no");
  });
});

describe("fencing", () => {
  test("one incarnation's writes, then another's, is a handover", () => {
    expect(fencing([op("write", 1, 0, 1, { incarnation: "a" }), op("write", 2, 2, 3, { incarnation: "b" })])).toEqual([]);
  });

  test("writes of a, then b, then a again are two leaders acting at once", () => {
    const history = [op("write", 1, 0, 1, { incarnation: "a" }), op("write", 2, 2, 3, { incarnation: "b" }), op("write", 3, 4, 5, { incarnation: "a" })];
    expect(fencing(history).map((v) => v.kind)).toEqual(["fencing"]);
  });
});

/** Ops of an atomic register: each takes effect at an instant inside its [invoke, complete]. */
function registerHistory(plan: { write: boolean; before_ms: number; after_ms: number }[], stale: number | null): Op[] {
  let state: number | null = null;
  const older: (number | null)[] = [];
  const ops = plan.map((p, i) => {
    const at_ms = i * 10;
    const value = p.write ? i + 1 : state;
    if (p.write) {
      older.push(state);
      state = value;
    }
    return op(p.write ? "write" : "read", value, at_ms - p.before_ms, at_ms + p.after_ms);
  });
  if (stale !== null) {
    // A read well after a completed write that returns what that write replaced.
    const index = ops.findIndex((o, i) => o.kind === "read" && i > stale && ops.slice(0, i).some((w) => w.kind === "write" && w.complete_ms! < o.invoke_ms));
    if (index >= 0) {
      const last = [...ops.slice(0, index)].reverse().find((w) => w.kind === "write" && w.complete_ms! < ops[index]!.invoke_ms)!;
      const replaced = older[ops.filter((w) => w.kind === "write").indexOf(last)]!;
      ops[index] = { ...ops[index]!, value: replaced };
    }
  }
  return ops;
}

test("histories of a real atomic register are linearizable; one stale read past a completed write is caught", () => {
  const plan = fc.array(fc.record({ write: fc.boolean(), before_ms: fc.integer({ min: 0, max: 25 }), after_ms: fc.integer({ min: 0, max: 25 }) }), { minLength: 2, maxLength: 60 });
  fc.assert(fc.property(plan, (p) => linearizable(registerHistory(p, null)) === "yes"), { numRuns: 300 });
  let stale_cases = 0;
  fc.assert(fc.property(plan.map((p) => p.map((x) => ({ ...x, before_ms: x.before_ms % 4, after_ms: x.after_ms % 4 }))), fc.nat(10), (p, stale) => {
    const history = registerHistory(p, stale);
    const changed = history.some((o, i) => o.kind === "read" && o.value !== registerHistory(p, null)[i]!.value);
    if (changed) stale_cases++;
    return !changed || linearizable(history) === "no";
  }), { numRuns: 300 });
  expect(stale_cases).toBeGreaterThan(50);
});
