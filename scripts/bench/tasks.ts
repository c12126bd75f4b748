// npm run bench:tasks — tasks end to end: a three-server ZooKeeper, three masters and two agents
// of the built binary on loopback, and one framework (scripts/example_framework.ts, the v1
// scheduler HTTP API only) launching --tasks=10000 `true` tasks as fast as offers allow. It
// prints tasks/s from the first launch to the last TASK_FINISHED acknowledged, and the p50/p99
// latency from launch to TASK_RUNNING, then as its last line one JSON object of figures.
// Target: ≥ 500 tasks/s. Flags: --tasks=N, --cmd=CMD (true), --agents=2, --max-per-agent=N (the
// framework's bound on unfinished tasks per agent), --profile=DIR (each master and agent writes
// a CPU profile, in markdown, to DIR when it stops), --protobuf (runs with the framework speaking
// protobuf too, each run on a fresh cluster: both rates, the leader's CPU per 10,000 tasks, and the
// ratio; target protobuf ≥ JSON), --rounds=N (with --protobuf: N ABBA rounds, each format's median;
// default 2).
import { mkdtempSync, readFileSync } from "node:fs";
import { cpuSeconds } from "../../host/agent/tasks/runner.ts";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePorts, removeOnExit, type Server, spawnServer, tail, waitUntil } from "./systems/processes.ts";
import { startEnsemble } from "./systems/zookeeper.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const BINARY = join(ROOT, "dist", "mesos");
const arg = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const TASKS = Number(arg("tasks", "10000"));
const CMD = arg("cmd", "true");
const AGENTS = Number(arg("agents", "2"));
const MAX_PER_AGENT = arg("max-per-agent", "1024");
const PROFILE = arg("profile", "");
const PROTOBUF = process.argv.includes("--protobuf");
const ROUNDS = Number(arg("rounds", "2"));
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) {
  console.error(`bench:tasks: --rounds must be a positive integer, not '${arg("rounds", "")}'`);
  process.exit(1);
}
const TARGET_TASKS_PER_S = 500;
const READY_MS = 60_000;

async function metrics(port: number): Promise<Record<string, number> | null> {
  try {
    return (await (await fetch(`http://127.0.0.1:${port}/metrics/snapshot`)).json()) as Record<string, number>;
  } catch {
    return null;
  }
}

/** ZooKeeper, three masters and the agents; resolves once one master leads with every agent registered. */
async function startCluster(base: string): Promise<{ servers: Server[]; leader_port: number; standby_port: number; zk: Awaited<ReturnType<typeof startEnsemble>> }> {
  const zk = await startEnsemble(join(base, "zookeeper"), 500);
  const ports = await freePorts(3 + AGENTS);
  const masters = ports.slice(0, 3);
  const list = masters.map((p) => `127.0.0.1:${p}`).join(",");
  const env: Record<string, string> = { PATH: process.env.PATH ?? "" };
  if (PROFILE !== "") env.BUN_OPTIONS = `--cpu-prof-md --cpu-prof-dir=${PROFILE}`;
  const servers = masters.map((port, i) => spawnServer([BINARY, "master", `--zk=zk://${zk.connect}/mesos`, "--quorum=2", `--masters=${list}`,
    `--work_dir=${join(base, `master-${i}`)}`, "--ip=127.0.0.1", `--port=${port}`, "--hostname=127.0.0.1", "--allocation_interval=100ms"],
  { cwd: base, env, log_path: join(base, `master-${i}.log`) }));
  // Resources for thousands of short tasks at once: the bench measures the master, not capacity.
  for (const [i, port] of ports.slice(3).entries()) {
    servers.push(spawnServer([BINARY, "agent", `--master=zk://${zk.connect}/mesos`, `--work_dir=${join(base, `agent-${i}`)}`, "--ip=127.0.0.1",
      `--port=${port}`, `--hostname=agent-${i}`, "--resources=cpus:64;mem:65536;disk:100000;ports:[31000-32000]"],
    { cwd: base, env, log_path: join(base, `agent-${i}.log`) }));
  }
  let leader_port = 0;
  await waitUntil(`a leader with ${AGENTS} agents`, async () => {
    for (const port of masters) {
      const m = await metrics(port);
      if (m?.["master/elected"] === 1 && m["master/slaves_active"] === AGENTS) leader_port = port;
    }
    return leader_port !== 0;
  }, () => {
    for (const s of servers) if (!s.alive()) throw new Error(`a process exited: ${tail(s.log_path, 800)}`);
  }, READY_MS, 100);
  return { servers, leader_port, standby_port: masters.find((p) => p !== leader_port)!, zk };
}

interface RunResult {
  format: "json" | "protobuf";
  finished: number;
  seconds: number;
  rate: number;
  p50: number;
  p99: number;
  /** The leader's CPU seconds (utime+stime) over the run, scaled to 10,000 tasks. */
  leader_cpu_s_per_10k: number;
}

/** One cluster and one framework run in `format`. */
async function runOnce(format: "json" | "protobuf"): Promise<RunResult> {
  const base = mkdtempSync(join(tmpdir(), "bench-tasks-"));
  removeOnExit(base);
  const { servers, leader_port, standby_port, zk } = await startCluster(base);
  const leader_pid = pidOfPort(servers.slice(0, 3), leader_port);
  if (leader_pid === null) throw new Error(`no master process serves port ${leader_port}`);
  let output = "";
  let cpu_s = 0;
  try {
    const before = cpuSeconds(leader_pid) ?? Number.NaN;
    // Started at a standby on purpose: the framework follows the 307 to the leader.
    const framework = Bun.spawn([process.execPath, join(ROOT, "scripts", "example_framework.ts"), `--master=127.0.0.1:${standby_port}`,
      `--tasks=${TASKS}`, `--cmd=${CMD}`, `--max-per-agent=${MAX_PER_AGENT}`, "--cpus=0.01", "--mem=1", "--name=bench-tasks", "--timeout-s=600",
      ...(format === "protobuf" ? ["--protobuf"] : [])], { stdout: "pipe", stderr: "pipe" });
    const [out, err, status] = await Promise.all([new Response(framework.stdout).text(), new Response(framework.stderr).text(), framework.exited]);
    cpu_s = (cpuSeconds(leader_pid) ?? Number.NaN) - before;
    output = out;
    if (status !== 0) throw new Error(`the framework exited ${status}: ${err.slice(-1500)}`);
  } finally {
    await Promise.all(servers.map((s) => s.stop(1000)));
    await Promise.all(zk.servers.map((s) => s.stop()));
  }
  const match = /(\d+)\/(\d+) tasks finished in ([\d.]+) s \(([\d.]+) tasks\/s\); launch to RUNNING p50 (\d+) ms, p99 (\d+) ms/.exec(output);
  if (!match) throw new Error(`unexpected framework output: ${output}`);
  const [, finished, , seconds, rate, p50, p99] = match.map(Number) as number[];
  return { format, finished: finished!, seconds: seconds!, rate: rate!, p50: p50!, p99: p99!, leader_cpu_s_per_10k: (cpu_s * 10_000) / TASKS };
}

/** The master process started with `--port=<port>` (the servers are ours: matched by their command line). */
function pidOfPort(masters: Server[], port: number): number | null {
  for (const m of masters) {
    try {
      if (readFileSync(`/proc/${m.pid}/cmdline`, "utf8").split("\0").includes(`--port=${port}`)) return m.pid;
    } catch {
      // exited
    }
  }
  return null;
}

/** A number's median over runs (the mean of the middle two for an even count). */
function middle(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const half = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[half]! : (sorted[half - 1]! + sorted[half]!) / 2;
}

/** One format's runs summed up: the medians of rate and CPU; time, count and latencies from the slowest run at or above the median rate. */
function median(runs: RunResult[]): RunResult {
  const rate = middle(runs.map((r) => r.rate));
  const near = [...runs].sort((a, b) => a.rate - b.rate).find((r) => r.rate >= rate) ?? runs.at(-1)!;
  return { ...near, rate, leader_cpu_s_per_10k: middle(runs.map((r) => r.leader_cpu_s_per_10k)) };
}

/** The runs' order: JSON alone, or with --protobuf ABBA rounds (json, protobuf, protobuf, json...) so drift in the machine's speed falls on both formats alike. */
function schedule(): ("json" | "protobuf")[] {
  if (!PROTOBUF) return ["json"];
  const order: ("json" | "protobuf")[] = [];
  for (let round = 0; round < ROUNDS; round++) order.push(...(round % 2 === 0 ? ["json", "protobuf"] as const : ["protobuf", "json"] as const));
  return order;
}

/** A run's line; `summary`: a format's medians, whose time is not one run's. */
const describe = (r: RunResult, summary = false) => `${summary ? "median" : `finished ${r.finished}/${TASKS} in ${r.seconds.toFixed(2)} s`}: ${r.rate.toFixed(1)} tasks/s (target ≥ ${TARGET_TASKS_PER_S}: ${r.rate >= TARGET_TASKS_PER_S ? "met" : "UNMET"}); ` +
  `launch to TASK_RUNNING p50 ${r.p50} ms, p99 ${r.p99} ms; leader CPU ${r.leader_cpu_s_per_10k.toFixed(2)} s per 10,000 tasks`;

async function main(): Promise<void> {
  const results: RunResult[] = [];
  for (const format of schedule()) {
    results.push(await runOnce(format));
    console.log(`run ${results.length} ${format}: ${describe(results.at(-1)!)}`);
  }
  const json = median(results.filter((r) => r.format === "json"));
  const protobufRuns = results.filter((r) => r.format === "protobuf");
  const proto = protobufRuns.length > 0 ? median(protobufRuns) : undefined;
  console.log(`\ntasks: 3 masters, ${AGENTS} agents, 1 framework, ${TASKS} \`${CMD}\` tasks${PROTOBUF ? `; median of ${ROUNDS} runs per format` : ""}`);
  for (const r of proto === undefined ? [json] : [json, proto]) console.log(`${r.format}: ${describe(r, PROTOBUF)}`);
  const figures: Record<string, number> = {
    tasks: TASKS, tasks_finished: json.finished, seconds: json.seconds, tasks_per_s: json.rate, launch_to_running_ms_p50: json.p50,
    launch_to_running_ms_p99: json.p99, leader_cpu_s_per_10k_tasks: Number(json.leader_cpu_s_per_10k.toFixed(3)),
  };
  if (proto !== undefined) {
    const ratio = proto.rate / json.rate;
    const cpu_ratio = proto.leader_cpu_s_per_10k / json.leader_cpu_s_per_10k;
    console.log(`protobuf / JSON: ${ratio.toFixed(2)}× tasks/s, ${cpu_ratio.toFixed(2)}× leader CPU (target: protobuf ≥ JSON: ${ratio >= 1 ? "met" : "NOT met"})`);
    Object.assign(figures, {
      rounds: ROUNDS, protobuf_tasks_per_s: proto.rate, protobuf_launch_to_running_ms_p50: proto.p50, protobuf_launch_to_running_ms_p99: proto.p99,
      protobuf_leader_cpu_s_per_10k_tasks: Number(proto.leader_cpu_s_per_10k.toFixed(3)), protobuf_to_json_tasks_per_s_ratio: Number(ratio.toFixed(3)),
      protobuf_to_json_leader_cpu_ratio: Number(cpu_ratio.toFixed(3)),
    });
  }
  console.log(JSON.stringify(figures));
}

await main().catch((error) => {
  console.error(`bench:tasks: ${(error as Error).message}`);
  process.exit(1);
});
