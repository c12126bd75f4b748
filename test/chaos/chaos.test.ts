// Proves the chaos suite end to end on real processes: a short seeded run of `npm run chaos`
// against the built binary injects faults and finds no violation, and the same suite run against
// a deliberately broken build (one that acknowledges registry writes before the log stored
// them) reports the acknowledged writes it lost and exits 1.
import { expect, test } from "bun:test";
import { join } from "node:path";
import { BINARY, DIST, requireBinary, start } from "../helpers/process.ts";

const ROOT = join(import.meta.dir, "..", "..");
const CHAOS = join(ROOT, "scripts", "chaos", "main.ts");

async function chaos(args: string[]): Promise<{ status: number; out: string; figures: Record<string, number> }> {
  const running = start([process.execPath, CHAOS, ...args], { insecure: true, cwd: ROOT });
  const status = await running.exited;
  const out = running.stdout() + running.stderr();
  const last = out.trim().split("\n").filter((line) => line.startsWith("{")).at(-1) ?? "{}";
  return { status, out, figures: JSON.parse(last) as Record<string, number> };
}

test("a short chaos run of the product finds no violation while faults are injected", async () => {
  requireBinary();
  const run = await chaos(["--quick", "--binary", BINARY]);
  expect(run.out).toContain("no violation");
  expect(run.status).toBe(0);
  expect(run.figures.violations).toBe(0);
  expect(run.figures.faults_injected).toBeGreaterThanOrEqual(10);
  expect(run.figures.writes_ok).toBeGreaterThan(1_000);
  expect(run.figures.tasks_finished).toBeGreaterThan(0);
}, 300_000);

test("the checker reports lost writes from a build that acknowledges before the log stored them", async () => {
  requireBinary();
  const build = Bun.spawnSync([process.execPath, join(ROOT, "scripts", "build.ts"), "--mutant=ack_before_quorum"], { cwd: ROOT, stderr: "pipe" });
  expect(build.exitCode).toBe(0);
  const run = await chaos(["--minutes", "0.3", "--seed", "11", "--faults=kill-leader", "--binary", join(DIST, "mesos-mutant-ack_before_quorum")]);
  expect(run.out).toMatch(/VIOLATION lost /);
  expect(run.status).toBe(1);
  expect(run.figures.violations).toBeGreaterThan(0);
}, 300_000);
