// The seeded simulator's runner: `npm run vopr -- --seed N --seeds K`. Runs seeds N..N+K−1
// (each one a whole cluster life: a safety phase with faults, then a liveness phase that must
// converge; see host/sim/vopr.ts). The first line is the seed; a failing seed reproduces with
// `npm run vopr -- --seed <seed>`. Exit status 1 on the first failure.
import { runSeed, type VoprResult } from "../host/sim/vopr.ts";

function flag(name: string): string | undefined {
  const args = process.argv.slice(2);
  const at = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (at < 0) return undefined;
  const arg = args[at]!;
  return arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : (args[at + 1] ?? "");
}

function integer(name: string, fallback: number): number {
  const raw = flag(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) {
    console.error(`--${name}: expected a non-negative integer, got "${raw}"`);
    process.exit(2);
  }
  return value;
}

// The only place a random seed is drawn: the simulation itself is deterministic.
const seed = integer("seed", Math.floor(Math.random() * 2 ** 32));
const seeds = integer("seeds", 1);
const verbose = process.argv.includes("--verbose");
const mutation = process.argv.includes("--mutation-accept-low-writes");
const earlyResponses = process.argv.includes("--mutation-early-responses");
console.log(`seed ${seed}`);

const started = performance.now();
const totals = { ticks: 0, messages: 0, acked: 0, crashes: 0, crashesBeforePersist: 0, orphansDelivered: 0, wipes: 0, partitions: 0, checks: 0 };
let failed: VoprResult | null = null;
for (let s = seed; s < seed + seeds; s++) {
  const r = runSeed({ seed: s, mutationAcceptLowWrites: mutation, mutationEarlyResponses: earlyResponses });
  for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += r[key];
  if (verbose || !r.ok) console.log(JSON.stringify(r));
  if (!r.ok) {
    failed = r;
    break;
  }
  const done = s - seed + 1;
  if (done % 1000 === 0 && done < seeds) console.log(`  ${done}/${seeds} seeds ok (${((performance.now() - started) / 1000).toFixed(1)} s)`);
}
const seconds = ((performance.now() - started) / 1000).toFixed(1);
if (failed) {
  console.log(`vopr: FAILED at seed ${failed.seed}: ${failed.violation}`);
  console.log(`reproduce: npm run vopr -- --seed ${failed.seed}${mutation ? " --mutation-accept-low-writes" : ""}${earlyResponses ? " --mutation-early-responses" : ""} --verbose`);
  process.exit(1);
}
console.log(
  `vopr: ${seeds} seeds passed (${seed}..${seed + seeds - 1}) in ${seconds} s: ${totals.ticks} ticks, ` +
    `${totals.messages} messages, ${totals.acked} acked appends, ${totals.crashes} crashes, ` +
    `${totals.crashesBeforePersist} crashes before persist (${totals.orphansDelivered} of their requests delivered), ${totals.wipes} wipes, ` +
    `${totals.partitions} partitions, ${totals.checks} checks`,
);
