// npm run bench:failover — how long a cluster is without a working leader: three masters of
// the built binary and a three-server ZooKeeper on loopback. Five times each it SIGKILLs, then
// SIGTERMs, the leader and measures, from the signal: (1) until another master answers /state
// as the leader, and (2) until that leader has recovered the registry (log recovered, its
// coordinator elected, the registry fetched and replayed, the Recover operation stored: the
// point where it serves registry writes). The killed master is restarted as a standby and
// every replica votes again before the next round.
// Flags: --session-timeout=2secs (the masters' --zk_session_timeout), --rounds=5,
// --zk-tick-ms=500 (ZooKeeper's tickTime: sessions are at least two ticks).
// Not yet measured here: a registry of 1,000 agents (agents arrive with their own issue).
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseDuration } from "../../host/duration.ts";
import { freePorts, removeOnExit, type Server, spawnServer, waitUntil } from "./systems/processes.ts";
import { startEnsemble } from "./systems/zookeeper.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const BINARY = join(ROOT, "dist", "mesos");
const arg = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback;
const SESSION = arg("session-timeout", "2secs");
const ROUNDS = Number(arg("rounds", "5"));
const ROUND_DEADLINE_MS = 120_000;
const ZK_TICK_MS = Number(arg("zk-tick-ms", "500"));

interface Master {
  port: number;
  dir: string;
  server: Server | null;
  starts: number;
}

async function metric(port: number, name: string): Promise<number | null> {
  try {
    return ((await (await fetch(`http://127.0.0.1:${port}/metrics/snapshot`)).json()) as Record<string, number>)[name] ?? null;
  } catch {
    return null;
  }
}

function logOf(master: Master): string {
  try {
    return readFileSync(master.server!.log_path, "utf8");
  } catch {
    return "";
  }
}

async function main(): Promise<void> {
  const session_ms = parseDuration(SESSION);
  if (session_ms === null) throw new Error(`--session-timeout: expected a duration like 2secs, got '${SESSION}'`);
  const base = mkdtempSync(join(tmpdir(), "bench-failover-"));
  removeOnExit(base);
  // ZooKeeper's tickTime bounds failover: a session is at least two ticks and expires on a tick
  // boundary. 500 ms lets a 2-second session be honoured and expire within 2.5 s.
  const zk = await startEnsemble(join(base, "zookeeper"), ZK_TICK_MS);
  const ports = await freePorts(3);
  const list = ports.map((p) => `127.0.0.1:${p}`).join(",");
  const masters: Master[] = ports.map((port, i) => ({ port, dir: join(base, `master-${i}`), server: null, starts: 0 }));
  const start = (m: Master) => {
    m.starts++;
    m.server = spawnServer([BINARY, "master", `--zk=zk://${zk.connect}/mesos`, "--quorum=2", `--masters=${list}`, `--work_dir=${m.dir}`,
      "--ip=127.0.0.1", `--port=${m.port}`, "--hostname=127.0.0.1", `--zk_session_timeout=${SESSION}`], {
      cwd: base, env: { PATH: process.env.PATH ?? "" }, log_path: join(base, `master-${m.port}-${m.starts}.log`),
    });
  };
  masters.forEach(start);
  const results: Record<"SIGKILL" | "SIGTERM", { leader_ms: number[]; registry_ms: number[] }> = {
    SIGKILL: { leader_ms: [], registry_ms: [] }, SIGTERM: { leader_ms: [], registry_ms: [] },
  };
  try {
    for (const signal of ["SIGKILL", "SIGTERM"] as const) {
      for (let round = 0; round < ROUNDS; round++) {
        const leader = await settle(masters);
        const t0 = performance.now();
        process.kill(leader.server!.pid, signal);
        const next = await waitForLeader(masters, leader);
        const leader_ms = performance.now() - t0;
        await waitUntil("the new leader's registry recovery", async () => logOf(next).includes("agents from the registry"), () => {}, ROUND_DEADLINE_MS, 5);
        const registry_ms = performance.now() - t0;
        results[signal].leader_ms.push(leader_ms);
        results[signal].registry_ms.push(registry_ms);
        console.log(`${signal} round ${round + 1}: leader in ${leader_ms.toFixed(0)} ms, registry recovered in ${registry_ms.toFixed(0)} ms`);
        await leader.server!.stop(1000);
        start(leader);
      }
    }
  } finally {
    await Promise.all(masters.map((m) => m.server?.stop(1000)));
    await Promise.all(zk.servers.map((s) => s.stop()));
  }
  report(results, session_ms);
}

/** Waits until exactly one master leads, it has recovered the registry and every replica votes. */
async function settle(masters: Master[]): Promise<Master> {
  let leader: Master | null = null;
  await waitUntil("a settled ensemble", async () => {
    const elected = await Promise.all(masters.map((m) => metric(m.port, "master/elected")));
    const recovered = await Promise.all(masters.map((m) => metric(m.port, "registrar/log/recovered")));
    const leaders = masters.filter((_, i) => elected[i] === 1);
    leader = leaders.length === 1 ? leaders[0]! : null;
    return leader !== null && recovered.every((r) => r === 1) && logOf(leader).includes("agents from the registry");
  }, () => {}, ROUND_DEADLINE_MS, 20);
  return leader!;
}

/** Polls every 5 ms for another master answering /state as the leader (200). */
async function waitForLeader(masters: Master[], old: Master): Promise<Master> {
  let found: Master | null = null;
  await waitUntil("a new leader", async () => {
    for (const m of masters) {
      if (m === old) continue;
      try {
        const response = await fetch(`http://127.0.0.1:${m.port}/state`, { redirect: "manual" });
        if (response.status === 200) found = m;
      } catch {
        // not answering
      }
    }
    return found !== null;
  }, () => {}, ROUND_DEADLINE_MS, 5);
  return found!;
}

function report(results: Record<string, { leader_ms: number[]; registry_ms: number[] }>, session_ms: number): void {
  const stats = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return { median: sorted[Math.floor(sorted.length / 2)] ?? 0, max: sorted[sorted.length - 1] ?? 0 };
  };
  console.log(`\nfailover: 3 masters, 3-server ZooKeeper (tickTime ${ZK_TICK_MS} ms), --zk_session_timeout=${SESSION}, ${ROUNDS} rounds each (ms from the signal)`);
  console.log("signal    new leader /state (median / max)   registry recovered (median / max)");
  const figures: Record<string, number> = { session_timeout_ms: session_ms };
  for (const [signal, r] of Object.entries(results)) {
    const leader = stats(r.leader_ms);
    const registry = stats(r.registry_ms);
    console.log(`${signal.padEnd(8)}  ${leader.median.toFixed(0).padStart(8)} / ${leader.max.toFixed(0).padEnd(20)}  ${registry.median.toFixed(0).padStart(8)} / ${registry.max.toFixed(0)}`);
    const key = signal.toLowerCase();
    figures[`leader_ms_median_${key}`] = Math.round(leader.median);
    figures[`leader_ms_max_${key}`] = Math.round(leader.max);
    figures[`registry_recovered_ms_median_${key}`] = Math.round(registry.median);
    figures[`registry_recovered_ms_max_${key}`] = Math.round(registry.max);
  }
  console.log(JSON.stringify(figures));
}

await main().catch((error) => {
  console.error(`bench:failover: ${(error as Error).message}`);
  process.exit(1);
});
