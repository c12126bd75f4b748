// npm run bench:registry -- --http — registry writes as an operator's automation drives them:
// v1 operator calls (POST /api/v1, JSON) from N concurrent clients against the leader of three
// masters of the built binary (a three-server ZooKeeper, quorum 2, fsync on), secured as
// `npm run cluster` is (mutual TLS, HTTP Basic, the log secret; --insecure runs plain).
// Points, each a closed loop of --calls calls (default 20,000) at a concurrency, bounded by a
// deadline: UPDATE_WEIGHTS at 64 and 256 clients (one role per call, over 1,000 roles),
// UPDATE_MAINTENANCE_SCHEDULE and UPDATE_QUOTA at 64 (each a small schedule / one role's
// quota), GET_WEIGHTS at 64. They run twice: on an empty registry, then after a preload of
// 10,000 more roles with a weight and a quota and --agents (default 40,000) agents admitted
// (simulated agents, registered in waves and disconnected: they stay in the registry).
// Prints a table, the targets met/unmet, then as its last line one JSON object of figures.
import { mkdtempSync, readFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { freePorts, removeOnExit, type Server, spawnServer, waitUntil } from "./systems/processes.ts";
import { startEnsemble } from "./systems/zookeeper.ts";
import { Loader } from "./systems/agent_loader.ts";
import { type Security, secureSetup } from "./systems/security.ts";
import { formatTable } from "./systems/types.ts";
import { fmt } from "./systems/report.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const BINARY = join(ROOT, "dist", "mesos");
const arg = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback;
const CALLS = Number(arg("calls", "20000"));
const AGENTS = Number(arg("agents", "40000"));
const PRELOAD_ROLES = Number(arg("roles", "10000"));
/** Roles the measured calls cycle over: the registry stays the same size during a point. */
const HOT_ROLES = 1_000;
const AGENT_WAVE = 10_000;
const WARM_UP_CALLS = 10_000;
const POINT_DEADLINE_MS = 120_000;
const SECURE = !process.argv.includes("--insecure");

let security: Security | null = null;
let base_url = "";
const urlOf = (port: number, path: string) => `${security ? "https" : "http"}://127.0.0.1:${port}${path}`;

function call(body: string): Promise<Response> {
  return fetch(`${base_url}/api/v1`, {
    method: "POST", body,
    headers: { "content-type": "application/json", accept: "application/json", ...(security?.init.headers ?? {}) },
    ...(security ? { tls: security.init.tls } : {}),
  } as RequestInit);
}

const weights = (k: number) => JSON.stringify({ type: "UPDATE_WEIGHTS", update_weights: { weight_infos: [{ role: `w${k % HOT_ROLES}`, weight: 1 + (k % 7) }] } });
const quota = (k: number) => JSON.stringify({
  type: "UPDATE_QUOTA", update_quota: { force: true, quota_configs: [{ role: `q${k % HOT_ROLES}`, limits: { cpus: { value: 1 + (k % 5) } } }] },
});
const schedule = (k: number) => JSON.stringify({
  type: "UPDATE_MAINTENANCE_SCHEDULE", update_maintenance_schedule: { schedule: { windows: [{
    machine_ids: [{ hostname: `m${k % HOT_ROLES}.bench`, ip: "10.0.0.1" }],
    unavailability: { start: { nanoseconds: 1_900_000_000_000_000_000 + k } },
  }] } },
});
const getWeights = () => JSON.stringify({ type: "GET_WEIGHTS" });

interface Point {
  ops_per_s: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
}

/** A closed loop of `calls` calls, `concurrency` in flight; an error status is counted, not retried. */
async function drive(concurrency: number, calls: number, body: (k: number) => string): Promise<Point> {
  const latencies_ms = new Float64Array(calls);
  let next = 0;
  let errors = 0;
  let first_error = "";
  const deadline_ms = performance.now() + POINT_DEADLINE_MS;
  const t0 = performance.now();
  const worker = async () => {
    while (next < calls && performance.now() < deadline_ms) {
      const k = next++;
      const started = performance.now();
      const response = await call(body(k));
      const text = await response.text();
      latencies_ms[k] = performance.now() - started;
      if (response.status !== 200) {
        errors++;
        first_error ||= `${response.status} ${text.slice(0, 200)}`;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed_s = (performance.now() - t0) / 1000;
  const done = Math.min(next, calls);
  if (first_error !== "") console.log(`   ${errors} errors, the first: ${first_error}`);
  const sorted = latencies_ms.slice(0, done).sort();
  const at = (q: number) => sorted[Math.min(done - 1, Math.floor(q * done))] ?? 0;
  return { ops_per_s: Math.round(done / elapsed_s), p50_ms: at(0.5), p99_ms: at(0.99), errors };
}

const POINTS: { name: string; concurrency: number; body: (k: number) => string }[] = [
  { name: "UPDATE_WEIGHTS", concurrency: 64, body: weights },
  { name: "UPDATE_WEIGHTS", concurrency: 256, body: weights },
  { name: "UPDATE_MAINTENANCE_SCHEDULE", concurrency: 64, body: schedule },
  { name: "UPDATE_QUOTA", concurrency: 64, body: quota },
  { name: "GET_WEIGHTS", concurrency: 64, body: getWeights },
];

async function measure(registry: string, leader_port: number, rows: Row[]): Promise<void> {
  console.log(`\n== ${registry} registry; load average before: ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  // Every connection the points use (up to 256, each a TLS handshake) and the JIT: the first
  // ~20,000 calls run measurably slower.
  await drive(256, WARM_UP_CALLS, weights);
  for (const point of POINTS) {
    const result = await drive(point.concurrency, CALLS, point.body);
    const size = await metric(leader_port, "registrar/registry_size_bytes");
    console.log(`   ${point.name} c${point.concurrency}: ${fmt(result.ops_per_s, 0)} calls/s, p50 ${result.p50_ms.toFixed(2)} ms, p99 ${result.p99_ms.toFixed(2)} ms (registry ${fmt(size ?? 0, 0)} bytes)`);
    rows.push({ registry, ...point, ...result });
  }
}

interface Row extends Point {
  registry: string;
  name: string;
  concurrency: number;
}

async function metric(port: number, name: string): Promise<number | null> {
  try {
    const response = await fetch(urlOf(port, "/metrics/snapshot"), security ? { headers: security.init.headers, tls: security.init.tls } as RequestInit : {});
    return ((await response.json()) as Record<string, number>)[name] ?? null;
  } catch {
    return null;
  }
}

/** 10,000 roles with a weight and a quota (100 roles per call), then the agents in waves. */
async function preload(leader_port: number, zk: string, dir: string): Promise<void> {
  const started = performance.now();
  for (let i = 0; i < PRELOAD_ROLES; i += 100) {
    const roles = Array.from({ length: Math.min(100, PRELOAD_ROLES - i) }, (_, j) => `big${i + j}`);
    const answers = await Promise.all([
      call(JSON.stringify({ type: "UPDATE_WEIGHTS", update_weights: { weight_infos: roles.map((role) => ({ role, weight: 2 })) } })),
      call(JSON.stringify({ type: "UPDATE_QUOTA", update_quota: { force: true, quota_configs: roles.map((role) => ({ role, limits: { mem: { value: 64 } } })) } })),
    ]);
    for (const answer of answers) if (answer.status !== 200) throw new Error(`preload: ${answer.status} ${await answer.text()}`);
  }
  for (let first = 0; first < AGENTS; first += AGENT_WAVE) {
    const count = Math.min(AGENT_WAVE, AGENTS - first);
    const loader = new Loader(first / AGENT_WAVE, first, count, `zk://${zk}/mesos`, join(dir, `agents-${first}.log`), undefined, undefined,
      security === null ? undefined : { env: security.env, credential: security.agent_credential });
    loader.send("go");
    await waitUntil(`${first + count} agents admitted`, async () => (loader.progress?.registered ?? 0) >= count,
      () => { if (loader.exited) throw new Error(`the agent load exited; see ${loader.log_path}`); }, POINT_DEADLINE_MS, 100);
    await loader.stop();
  }
  console.log(`   preloaded ${fmt(PRELOAD_ROLES, 0)} roles and ${fmt(AGENTS, 0)} agents in ${((performance.now() - started) / 1000).toFixed(1)} s; registry ${fmt((await metric(leader_port, "registrar/registry_size_bytes")) ?? 0, 0)} bytes`);
}

async function startCluster(dir: string): Promise<{ leader_port: number; zk: string; stop: () => Promise<void> }> {
  const zk = await startEnsemble(join(dir, "zookeeper"), 500);
  const ports = await freePorts(3);
  const list = ports.map((p) => `127.0.0.1:${p}`).join(",");
  const servers: Server[] = ports.map((port, i) => spawnServer([BINARY, "master", `--zk=zk://${zk.connect}/mesos`, "--quorum=2", `--masters=${list}`,
    `--work_dir=${join(dir, `master-${i}`)}`, "--ip=127.0.0.1", `--port=${port}`, "--hostname=127.0.0.1",
    // Preloaded agents disconnect; they must stay admitted (not be marked unreachable) during the run.
    "--max_agent_ping_timeouts=100000", ...security?.master_flags ?? []], {
    cwd: dir, env: { PATH: process.env.PATH ?? "", ...security?.env }, log_path: join(dir, `master-${port}.log`),
  }));
  let leader_port = 0;
  await waitUntil("a leader with its registry recovered", async () => {
    for (const port of ports) {
      if ((await metric(port, "master/elected")) !== 1) continue;
      base_url = urlOf(port, "");
      // The leader answers registry calls once its registry is recovered (503 until then).
      if ((await call(getWeights()).then((r) => r.status, () => 0)) === 200) leader_port = port;
    }
    return leader_port !== 0;
  }, () => {
    for (const s of servers) if (!s.alive()) throw new Error(`a master exited; see ${s.log_path}:\n${readFileSync(s.log_path, "utf8").slice(-2000)}`);
  }, 60_000, 100);
  base_url = urlOf(leader_port, "");
  return {
    leader_port, zk: zk.connect,
    stop: async () => {
      await Promise.all(servers.map((s) => s.stop(1000)));
      await Promise.all(zk.servers.map((s) => s.stop()));
    },
  };
}

function report(rows: Row[]): void {
  console.log(`\nv1 operator calls through POST /api/v1 on the leader of 3 masters (quorum 2, fsync on)${SECURE ? ", mutual TLS + HTTP Basic + log secret" : ""}; ${fmt(CALLS, 0)} calls per point`);
  console.log(formatTable(["registry", "call", "clients", "calls/s", "p50 ms", "p99 ms", "errors"],
    rows.map((r) => [r.registry, r.name, String(r.concurrency), fmt(r.ops_per_s, 0), r.p50_ms.toFixed(2), r.p99_ms.toFixed(2), String(r.errors)])));
  const figures: Record<string, number> = { calls_per_point: CALLS, preload_roles: PRELOAD_ROLES, preload_agents: AGENTS };
  for (const r of rows) {
    const key = `${r.name.toLowerCase()}_${r.registry}_c${r.concurrency}`;
    figures[`${key}_ops_per_s`] = r.ops_per_s;
    figures[`${key}_latency_ms_p50`] = Number(r.p50_ms.toFixed(3));
    figures[`${key}_latency_ms_p99`] = Number(r.p99_ms.toFixed(3));
  }
  const of = (registry: string, name: string, c: number) => rows.find((r) => r.registry === registry && r.name === name && r.concurrency === c)!;
  const writes = ["UPDATE_WEIGHTS", "UPDATE_MAINTENANCE_SCHEDULE", "UPDATE_QUOTA"];
  const worst = Math.min(...writes.map((n) => of("empty", n, 64).ops_per_s));
  const flat = Math.min(...writes.map((n) => of("large", n, 64).ops_per_s / of("empty", n, 64).ops_per_s));
  const p99 = Math.max(...writes.map((n) => of("empty", n, 64).p99_ms));
  figures.large_over_empty_ratio_c64_min = Number(flat.toFixed(3));
  const met = (ok: boolean) => (ok ? "met" : "NOT met");
  console.log(`target ≥ 20,000 writes/s at 64 clients (slowest write call, empty registry): ${met(worst >= 20_000)} (${fmt(worst, 0)})`);
  console.log(`target large registry ≥ 0.75× the empty one at 64 clients (worst call): ${met(flat >= 0.75)} (${flat.toFixed(2)}×)`);
  console.log(`target p99 ≤ 20 ms at 64 clients (worst write call, empty registry): ${met(p99 <= 20)} (${p99.toFixed(2)} ms)`);
  console.log(JSON.stringify(figures));
}

export async function runHttpBenchmark(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "bench-registry-http-"));
  if (!process.argv.includes("--keep")) removeOnExit(dir);
  else console.log(`logs and data kept in ${dir}`);
  security = SECURE ? secureSetup(join(dir, "security")) : null;
  const cluster = await startCluster(dir);
  const rows: Row[] = [];
  try {
    await measure("empty", cluster.leader_port, rows);
    await preload(cluster.leader_port, cluster.zk, dir);
    await measure("large", cluster.leader_port, rows);
  } finally {
    await cluster.stop();
  }
  report(rows);
}
