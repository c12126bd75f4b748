// Proves the replicated log keeps S1–S7/S12 on every event and converges (L2/L3) across
// 300 seeded simulated lives of 3- and 5-replica clusters with loss, duplication, delay,
// one-way and two-way partitions, crashes losing unsynced writes, crashes between a batch's
// early requests and its persist (whose requests peers still receive), and disk wipes.
import { expect, test } from "bun:test";
import { runSeed } from "../../host/sim/vopr.ts";

const SEEDS = 300;

test(`vopr: ${SEEDS} seeds pass the safety and liveness checkers`, () => {
  const failures: string[] = [];
  let acked = 0;
  let replicas5 = 0;
  let crashes = 0;
  let wipes = 0;
  let crashesBeforePersist = 0;
  let orphansDelivered = 0;
  for (let seed = 1; seed <= SEEDS; seed++) {
    const r = runSeed({ seed });
    if (!r.ok) failures.push(`seed ${seed}: ${r.violation}`);
    acked += r.acked;
    if (r.replicas === 5) replicas5++;
    crashes += r.crashes;
    wipes += r.wipes;
    crashesBeforePersist += r.crashesBeforePersist;
    orphansDelivered += r.orphansDelivered;
  }
  expect(failures).toEqual([]);
  // The swarm really exercised what it claims to.
  expect(replicas5).toBeGreaterThan(SEEDS / 5);
  expect(acked).toBeGreaterThan(SEEDS * 10);
  expect(crashes).toBeGreaterThan(SEEDS);
  expect(wipes).toBeGreaterThan(SEEDS / 10);
  expect(crashesBeforePersist).toBeGreaterThan(SEEDS / 2);
  expect(orphansDelivered).toBeGreaterThan(SEEDS / 2);
}, 120_000);

test("vopr: a seed replays exactly", () => {
  expect(runSeed({ seed: 42 })).toEqual(runSeed({ seed: 42 }));
});
