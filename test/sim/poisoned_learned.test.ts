// Proves the checkers catch a poisoned Learned (a forged message rewriting a learned position) when a test-only mutation disables the core's refusal, and that the real core refuses it: counted, nothing persisted, the cluster converging on the chosen values.
import { expect, test } from "bun:test";
import { ActionType, encodeMessage, Kind } from "../../host/codec/index.ts";
import { NoticeKind } from "../../host/core.ts";
import { Cluster } from "../../host/sim/cluster.ts";
import { Checker, SafetyViolation } from "../../host/sim/checkers.ts";

const ENTRIES = 10;
const TARGET = 3;

/** Three VOTING replicas, node 1 writing ENTRIES appends, until TARGET has learned them all. */
function learnedTrio(mutationOverwriteLearned: boolean, seed: number): { c: Cluster; checker: Checker } {
  const c = new Cluster({ replicas: 3, initialized: true, track: true, seed, mutationOverwriteLearned });
  const checker = new Checker(c);
  c.observer = checker;
  c.startAll();
  c.elect(1);
  expect(c.awaitElected(1)).toBe(0);
  const proposal = c.node(1).elected!.proposal;
  for (let i = 0; i < ENTRIES; i++) {
    const payload = `n1.p${proposal}.${i}`;
    checker.propose(c.append(1, payload), payload);
  }
  expect(c.runUntil(() => checker.acked.size === ENTRIES && c.node(TARGET).learned.size >= ENTRIES, 2000)).toBe(true);
  return { c, checker };
}

/** A Learned, as if from node 2, that says position `position` holds "poison". */
function poison(c: Cluster, position: number): void {
  const forged = encodeMessage({
    kind: Kind.Learned,
    actions: [{ position, promised: 99, performed: 99, learned: true, tombstone: false, type: ActionType.APPEND, payload: new TextEncoder().encode("poison") }],
  });
  c.network.send(2, TARGET, forged);
  c.settle();
  c.run(3);
}

const SEEDS = [1, 2, 3, 4, 5];

test("with the refusal disabled, a poisoned Learned for a learned position is caught as an S1 violation", () => {
  for (const seed of SEEDS) {
    const { c } = learnedTrio(true, seed);
    const position = Math.max(...c.node(TARGET).learned.keys());
    let caught: unknown = null;
    try {
      poison(c, position);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SafetyViolation);
    expect((caught as Error).message).toMatch(new RegExp(`S1: node ${TARGET} persisted A:poison at ${position}`));
  }
});

test("the real core refuses the poisoned Learned: counted, the chosen value kept, the cluster converges", () => {
  for (const seed of SEEDS) {
    const { c, checker } = learnedTrio(false, seed);
    expect(c.node(TARGET).notices.some((n) => n.kind === NoticeKind.ConflictRefused)).toBe(false); // healthy traffic never conflicts
    const position = Math.max(...c.node(TARGET).learned.keys());
    const before = c.node(TARGET).store.view!.actions.get(position)!;
    poison(c, position);
    expect(c.node(TARGET).notices.filter((n) => n.kind === NoticeKind.ConflictRefused)).toEqual([{ kind: NoticeKind.ConflictRefused, a: 1, b: position }]);
    expect(c.node(TARGET).store.view!.actions.get(position)).toEqual(before);
    checker.checkConverged(position, c.nodes);
  }
});
