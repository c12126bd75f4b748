// npm run bench:failover — how long a cluster is without a working leader: three masters of
// the built binary and a three-server ZooKeeper on loopback. Five times each it SIGKILLs, then
// SIGTERMs, the leader and measures, from the signal: (1) until another master answers /state
// as the leader, and (2) until that leader has recovered the registry (log recovered, its
// coordinator elected, the registry fetched and replayed, the Recover operation stored: the
// point where it serves registry writes). The killed master is restarted as a standby and
// every replica votes again before the next round.
// Flags: --session-timeout=2secs (the masters' --zk_session_timeout), --rounds=5, --agents=1000,
// --zk-tick-ms=500 (ZooKeeper's tickTime: sessions are at least two ticks), --keep (keep the logs).
// The cluster carries --agents=1000 simulated agents (scripts/bench/agent_load.ts: the real
// agent protocol, one WebSocket each, the leader found through ZooKeeper), so the registry holds
// 1,000 agents; per round it also measures (3) until a new leader's /state shows all of them
// (under slaves or recovered_slaves: the full registry) and (4) until all have re-registered.
// --security=both (the default) runs everything twice in one run, first plain, then secured
// (mutual TLS on every port, the log secret, credentials with --authenticate_agents, framework
// and HTTP authentication; the agents authenticate and speak TLS), and prints secured ÷ plain
// for each median: what security costs a failover (=plain or =secure runs one).
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseDuration } from "../../host/duration.ts";
import { freePorts, removeOnExit, type Server, spawnServer, waitUntil } from "./systems/processes.ts";
import { startEnsemble } from "./systems/zookeeper.ts";
import { Loader } from "./systems/agent_loader.ts";
import { type Security, secureSetup } from "./systems/security.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const BINARY = join(ROOT, "dist", "mesos");
const arg = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback;
const SESSION = arg("session-timeout", "2secs");
const ROUNDS = Number(arg("rounds", "5"));
const ROUND_DEADLINE_MS = 120_000;
const ZK_TICK_MS = Number(arg("zk-tick-ms", "500"));
const AGENTS = Number(arg("agents", "1000"));
const SIGNALS = arg("signals", "SIGKILL,SIGTERM").split(",") as ("SIGKILL" | "SIGTERM")[];
const MODES = { both: ["plain", "secure"], plain: ["plain"], secure: ["secure"] }[arg("security", "both")] as Mode[] | undefined;

type Mode = "plain" | "secure";

/** The run's mode; requests of this script go out with its TLS and credentials. */
let security: Security | null = null;
const scheme = () => (security === null ? "http" : "https");
const request = (port: number, path: string) =>
  fetch(`${scheme()}://127.0.0.1:${port}${path}`, { redirect: "manual", ...(security?.init ?? {}) } as RequestInit);

interface Master {
  port: number;
  dir: string;
  server: Server | null;
  starts: number;
}

async function metric(port: number, name: string): Promise<number | null> {
  try {
    return ((await (await request(port, "/metrics/snapshot")).json()) as Record<string, number>)[name] ?? null;
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
  if (MODES === undefined) throw new Error("--security: expected both, plain or secure");
  const base = mkdtempSync(join(tmpdir(), "bench-failover-"));
  if (!process.argv.includes("--keep")) removeOnExit(base);
  else console.log(`logs and data kept in ${base}`);
  const results: Partial<Record<Mode, Record<string, Record<Measure, number[]>>>> = {};
  for (const mode of MODES) {
    security = mode === "secure" ? secureSetup(join(base, "security")) : null;
    console.log(`\n== ${mode}${mode === "secure" ? ": mutual TLS, log secret, agent/framework/HTTP authentication" : ""}`);
    results[mode] = await measureMode(join(base, mode));
  }
  report(results, session_ms);
}

/** A whole run of one mode: its own ZooKeeper ensemble, masters and agents, every signal and round. */
async function measureMode(base: string): Promise<Record<string, Record<Measure, number[]>>> {
  mkdirSync(base, { recursive: true });
  // ZooKeeper's tickTime bounds failover: a session is at least two ticks and expires on a tick
  // boundary. 500 ms lets a 2-second session be honoured and expire within 2.5 s.
  const zk = await startEnsemble(join(base, "zookeeper"), ZK_TICK_MS);
  const ports = await freePorts(3);
  const list = ports.map((p) => `127.0.0.1:${p}`).join(",");
  const masters: Master[] = ports.map((port, i) => ({ port, dir: join(base, `master-${i}`), server: null, starts: 0 }));
  const start = (m: Master) => {
    m.starts++;
    m.server = spawnServer([BINARY, "master", `--zk=zk://${zk.connect}/mesos`, "--quorum=2", `--masters=${list}`, `--work_dir=${m.dir}`,
      "--ip=127.0.0.1", `--port=${m.port}`, "--hostname=127.0.0.1", `--zk_session_timeout=${SESSION}`, ...security?.master_flags ?? []], {
      cwd: base, env: { PATH: process.env.PATH ?? "", ...security?.env }, log_path: join(base, `master-${m.port}-${m.starts}.log`),
    });
  };
  masters.forEach(start);
  const figures: Record<"SIGKILL" | "SIGTERM", Record<Measure, number[]>> = { SIGKILL: emptyFigures(), SIGTERM: emptyFigures() };
  let loader: Loader | null = null;
  try {
    loader = await startAgents(masters, zk.connect, base);
    for (const signal of SIGNALS) {
      for (let round = 0; round < ROUNDS; round++) {
        const leader = await settle(masters);
        const r = await failover(masters, leader, signal);
        for (const k of MEASURES) figures[signal][k].push(r[k]);
        console.log(`${signal} round ${round + 1}: leader ${r.leader_ms.toFixed(0)} ms, registry recovered ${r.registry_ms.toFixed(0)} ms, ` +
          `/state with all ${AGENTS} agents ${r.full_state_ms.toFixed(0)} ms, all re-registered ${r.reregistered_ms.toFixed(0)} ms`);
        await leader.server!.stop(1000);
        start(leader);
      }
    }
  } finally {
    await loader?.stop();
    await Promise.all(masters.map((m) => m.server?.stop(1000)));
    await Promise.all(zk.servers.map((s) => s.stop()));
  }
  return figures;
}

const MEASURES = ["leader_ms", "registry_ms", "full_state_ms", "reregistered_ms"] as const;
type Measure = (typeof MEASURES)[number];
const emptyFigures = (): Record<Measure, number[]> => ({ leader_ms: [], registry_ms: [], full_state_ms: [], reregistered_ms: [] });

/** Starts the simulated agents and waits until all are registered with the leader. */
async function startAgents(masters: Master[], zk_connect: string, base: string): Promise<Loader | null> {
  if (AGENTS === 0) return null;
  const leader = await settle(masters);
  const loader = new Loader(0, 0, AGENTS, `zk://${zk_connect}/mesos`, join(base, "agents.log"), undefined, undefined,
    security === null ? undefined : { env: security.env, credential: security.agent_credential });
  loader.send("go");
  await waitUntil(`${AGENTS} agents to register`, async () => (await metric(leader.port, "master/slaves_active")) === AGENTS, () => {
    if (loader.exited) throw new Error(`the agent load exited; see ${loader.log_path}`);
  }, ROUND_DEADLINE_MS, 50);
  return loader;
}

/** One failover, times from the signal: a new leader's /state, its registry, /state showing every agent, every agent back. */
async function failover(masters: Master[], leader: Master, signal: "SIGKILL" | "SIGTERM"): Promise<Record<Measure, number>> {
  const t0 = performance.now();
  process.kill(leader.server!.pid, signal);
  const next = await waitForLeader(masters, leader);
  const leader_ms = performance.now() - t0;
  await waitUntil("the new leader's registry recovery", async () => logOf(next).includes("agents from the registry"), () => {}, ROUND_DEADLINE_MS, 5);
  const registry_ms = performance.now() - t0;
  await waitUntil("the new leader's /state to show every agent", async () => (await stateAgents(next.port)) === AGENTS, () => {}, ROUND_DEADLINE_MS, 10);
  const full_state_ms = performance.now() - t0;
  await waitUntil("every agent to re-register", async () => (await metric(next.port, "master/slaves_active")) === AGENTS, () => {}, ROUND_DEADLINE_MS, 20);
  return { leader_ms, registry_ms, full_state_ms, reregistered_ms: performance.now() - t0 };
}

/** Agents /state shows, registered or recovered (not yet re-registered). */
async function stateAgents(port: number): Promise<number | null> {
  try {
    const state = (await (await request(port, "/state")).json()) as { slaves?: unknown[]; recovered_slaves?: unknown[] };
    return (state.slaves?.length ?? 0) + (state.recovered_slaves?.length ?? 0);
  } catch {
    return null;
  }
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
        const response = await request(m.port, "/state");
        if (response.status === 200) found = m;
      } catch {
        // not answering
      }
    }
    return found !== null;
  }, () => {}, ROUND_DEADLINE_MS, 5);
  return found!;
}

function stats(values: number[]): { median: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)] ?? 0, max: sorted[sorted.length - 1] ?? 0 };
}

function report(results: Partial<Record<Mode, Record<string, Record<Measure, number[]>>>>, session_ms: number): void {
  console.log(`\nfailover: 3 masters, 3-server ZooKeeper (tickTime ${ZK_TICK_MS} ms), --zk_session_timeout=${SESSION}, ${AGENTS} agents, ${ROUNDS} rounds each`);
  console.log("ms from the signal, median / max:");
  console.log("mode    signal    new leader /state   registry recovered   /state with every agent   every agent re-registered");
  const figures: Record<string, number> = { session_timeout_ms: session_ms, agents: AGENTS };
  for (const [mode, by_signal] of Object.entries(results)) {
    for (const [signal, r] of Object.entries(by_signal!)) {
      const cells = MEASURES.map((k) => stats(r[k]));
      console.log(`${mode.padEnd(8)}${signal.padEnd(8)}  ${cells.map((c, i) => `${c.median.toFixed(0)} / ${c.max.toFixed(0)}`.padEnd([20, 21, 26, 20][i]!)).join(" ")}`);
      const suffix = `${signal.toLowerCase()}${mode === "secure" ? "_secure" : ""}`;
      for (const [i, k] of MEASURES.entries()) {
        const name = k.replace(/_ms$/, "");
        figures[`${name}_ms_median_${suffix}`] = Math.round(cells[i]!.median);
        figures[`${name}_ms_max_${suffix}`] = Math.round(cells[i]!.max);
      }
    }
  }
  for (const line of securityRatios(results, figures)) console.log(line);
  console.log(JSON.stringify(figures));
}

/** secured ÷ plain for each median, when both modes ran (also added to `figures`). */
function securityRatios(results: Partial<Record<Mode, Record<string, Record<Measure, number[]>>>>, figures: Record<string, number>): string[] {
  if (!results.plain || !results.secure) return [];
  const lines = ["secured ÷ plain (medians; 1.00 = unchanged):"];
  for (const signal of Object.keys(results.plain)) {
    const cells = MEASURES.map((k) => {
      const ratio = stats(results.secure![signal]![k]).median / Math.max(1, stats(results.plain![signal]![k]).median);
      figures[`${k.replace(/_ms$/, "")}_secure_over_plain_ratio_${signal.toLowerCase()}`] = Number(ratio.toFixed(2));
      return ratio.toFixed(2);
    });
    lines.push(`        ${signal.padEnd(8)}  ${cells.map((c, i) => c.padEnd([20, 21, 26, 20][i]!)).join(" ")}`);
  }
  return lines;
}

await main().catch((error) => {
  console.error(`bench:failover: ${(error as Error).message}`);
  process.exit(1);
});
