// Proves the simulator has teeth: with a deliberately broken Paxos rule (a replica that
// accepts writes below its promise, a test-only core flag) the checkers find a violation
// well within the CI seed budget, and the same seeds pass with the rule intact.
import { expect, test } from "bun:test";
import { runSeed } from "../../host/sim/vopr.ts";

const BUDGET = 300;

test("a replica accepting writes below its promise is caught by the simulator", () => {
  let found: { seed: number; violation: string } | null = null;
  for (let seed = 1; seed <= BUDGET && !found; seed++) {
    const r = runSeed({ seed, mutationAcceptLowWrites: true });
    if (!r.ok) found = { seed, violation: r.violation ?? "" };
  }
  expect(found).not.toBeNull();
  expect(found!.violation).toMatch(/S1|S3|S7/);
  // The same seed with the rule intact is clean: the checker flagged the mutation, not noise.
  expect(runSeed({ seed: found!.seed }).ok).toBe(true);
});
