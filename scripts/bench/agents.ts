// npm run bench:agents — the master under many agents: three masters of the built binary and a
// three-server ZooKeeper on loopback, and separate load processes (scripts/bench/agent_load.ts)
// that simulate N agents, one WebSocket each, speaking the agent protocol. For each N (default
// 10,000 and 40,000) it measures:
//   register     from "go" (every simulated agent starts its first registration within a random
//                [0, 1 s], as agents do on detecting a master) to the last SLAVE_REGISTERED, and
//                until the leader's master/slaves_connected reads N;
//   RSS          the leader's VmRSS (/proc/<pid>/status) once registration has settled;
//   idle CPU     the leader's utime+stime over --idle-s (20 s) with every agent connected and
//                answering pings at the default --agent_ping_timeout=15secs;
//   re-register  after SIGKILL of the leader, from the new leader's election (its
//                master/elected reads 1) to the last SLAVE_REREGISTERED, and until its
//                master/slaves_connected reads N.
// Targets at 40,000 agents: registration ≤ 10 s, re-registration ≤ 15 s, master RSS ≤ 1 GiB.
// (Mesos 1.5 needed about 19 s to re-register 40,000 simulated agents in one process.)
// Masters bind 0.0.0.0 and advertise 127.0.0.1; the load spreads its sockets over 127.0.0.1–8
// (all loopback) so 40,000 sockets to one port do not run out of ephemeral ports, and every
// process runs under prlimit with a file limit above N.
// Flags: --agents=10000,40000  --loaders=K (load processes; default 1 per 20,000 agents, at
// least 2)  --dests=8  --idle-s=20  --session-timeout=10secs (the masters' --zk_session_timeout)
// --zk-tick-ms=500  --deadline-min=30 (the whole run).
// The last line of output is one JSON object of figures with units in the names.
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePorts, removeOnExit, type Server, spawnServer, tail, waitUntil } from "./systems/processes.ts";
import { formatTable } from "./systems/types.ts";
import { Loader } from "./systems/agent_loader.ts";
import { startEnsemble } from "./systems/zookeeper.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const BINARY = join(ROOT, "dist", "mesos");
const arg = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const SIZES = arg("agents", "10000,40000").split(",").map((s) => Number(s.replace(/_/g, "")));
const LOADERS = arg("loaders", "auto");
const DESTS = Array.from({ length: Number(arg("dests", "8")) }, (_, i) => `127.0.0.${i + 1}`);
const IDLE_S = Number(arg("idle-s", "20"));
const SESSION = arg("session-timeout", "10secs");
const ZK_TICK_MS = Number(arg("zk-tick-ms", "500"));
const DEADLINE_MS = Number(arg("deadline-min", "30")) * 60_000;
const PHASE_DEADLINE_MS = Number(arg("phase-deadline-s", "180")) * 1000;
const CLK_TCK = 100;

const TARGET_REGISTER_S = 10;
const TARGET_REREGISTER_S = 15;
const TARGET_RSS_MIB = 1024;

// ---- process helpers ------------------------------------------------------------------------

/** prlimit raises the open-file limit of what it starts (root, or a hard limit already high enough). */
function limited(command: string[], files: number): string[] {
  return PRLIMIT ? ["prlimit", `--nofile=${files}:${files}`, "--", ...command] : command;
}

const PRLIMIT = (() => {
  try {
    return Bun.spawnSync(["prlimit", "--nofile=1048576:1048576", "--", "true"], { stdout: "ignore", stderr: "ignore" }).exitCode === 0;
  } catch {
    return false;
  }
})();

/** The open-file hard limit of this process (children inherit it unless prlimit may raise it). */
function hardFileLimit(): number {
  const match = /^Max open files\s+\d+\s+(\d+)/m.exec(readFileSync("/proc/self/limits", "utf8"));
  return match ? Number(match[1]) : 1024;
}

/** Open files a master needs besides agent sockets: log, ZooKeeper, peers, HTTP clients. */
const MASTER_SPARE_FILES = 1000;
const FILES_MAX = PRLIMIT ? 1048576 : hardFileLimit();
/** The most agents one master can hold here: one socket each. */
const FEASIBLE_AGENTS = Math.floor((FILES_MAX - MASTER_SPARE_FILES) / 1000) * 1000;
const FORCE = process.argv.includes("--force");

function cpuTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
  } catch {
    return null;
  }
}

function statusKiB(pid: number, field: "VmRSS" | "VmHWM"): number | null {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** CPU% of each pid (100 = one core) between two samples. */
class CpuMeter {
  private readonly start: (number | null)[];
  private readonly t0 = performance.now();
  constructor(private readonly pids: number[]) {
    this.start = pids.map(cpuTicks);
  }
  read(): number[] {
    const seconds = (performance.now() - this.t0) / 1000;
    return this.pids.map((pid, i) => {
      const end = cpuTicks(pid);
      const begin = this.start[i];
      return end === null || begin === null || begin === undefined ? Number.NaN : ((end - begin) / CLK_TCK / seconds) * 100;
    });
  }
}

async function metrics(port: number, timeout_ms = 2_000): Promise<Record<string, number> | null> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/metrics/snapshot`, { signal: AbortSignal.timeout(timeout_ms) });
    return (await response.json()) as Record<string, number>;
  } catch {
    return null;
  }
}

// ---- one size -------------------------------------------------------------------------------

interface Master {
  port: number;
  dir: string;
  server: Server | null;
}

interface SizeResult {
  agents: number;
  loaders: number;
  register_s: number;
  register_metric_s: number;
  register_master_cpu_pct: number;
  register_load_cpu_pct: number;
  rss_mib: number;
  hwm_mib: number;
  idle_cpu_pct: number;
  idle_load_cpu_pct: number;
  failover_election_s: number;
  recovered_after_election_s: number;
  reregister_s: number;
  reregister_metric_s: number;
  reregister_master_cpu_pct: number;
  reregister_load_cpu_pct: number;
  rss_after_failover_mib: number;
  stores: number;
  store_p50_ms: number;
  store_max_ms: number;
  counters: Record<string, number>;
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function loaderCount(n: number): number {
  if (LOADERS !== "auto") return Math.max(1, Number(LOADERS));
  return Math.max(2, Math.ceil(n / Math.min(20_000, FILES_MAX - 1_000)));
}

/** The glog time of the first log line containing `text`, as epoch ms (today, local time), or null. */
function logTime(log_path: string, text: string): number | null {
  let content: string;
  try {
    content = readFileSync(log_path, "utf8");
  } catch {
    return null;
  }
  const line = content.split("\n").find((l) => l.includes(text));
  const match = line && /^[IWEF](\d\d)(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{6})/.exec(line);
  if (!match) return null;
  const now = new Date();
  const [, mo, d, h, mi, s, us] = match.map(Number) as number[];
  return new Date(now.getFullYear(), mo! - 1, d!, h!, mi!, s!, Math.floor(us! / 1000)).getTime();
}

async function runSize(n: number, zk_connect: string, base: string): Promise<SizeResult> {
  const dir = join(base, `n${n}`);
  mkdirSync(dir, { recursive: true });
  const ports = await freePorts(3);
  const list = ports.map((p) => `127.0.0.1:${p}`).join(",");
  const masters: Master[] = ports.map((port, i) => ({ port, dir: join(dir, `master-${i}`), server: null }));
  const zk = `zk://${zk_connect}/mesos-${n}`;
  for (const m of masters) {
    m.server = spawnServer(limited([BINARY, "master", `--zk=${zk}`, "--quorum=2", `--masters=${list}`, `--work_dir=${m.dir}`,
      "--ip=0.0.0.0", "--advertise_ip=127.0.0.1", `--port=${m.port}`, "--hostname=127.0.0.1", `--zk_session_timeout=${SESSION}`], n * 2 + 8192), {
      cwd: dir, env: { PATH: process.env.PATH ?? "" }, log_path: join(dir, `master-${m.port}.log`),
    });
  }
  const loaders: Loader[] = [];
  let killed: Master | null = null;
  const alive = () => {
    for (const m of masters) if (m.server !== null && !m.server.alive() && m !== killed) throw new Error(`master ${m.port} exited:\n${tail(m.server.log_path)}`);
    for (const l of loaders) if (l.exited) throw new Error(`load process ${l.index} exited:\n${tail(l.log_path)}`);
  };
  try {
    // A settled ensemble: one leader that has recovered the registry, every replica voting.
    let leader: Master | null = null;
    await waitUntil("a settled ensemble", async () => {
      const snaps = await Promise.all(masters.map((m) => metrics(m.port)));
      const leaders = masters.filter((_, i) => snaps[i]?.["master/elected"] === 1);
      leader = leaders.length === 1 ? leaders[0]! : null;
      return leader !== null && snaps.every((s) => s?.["registrar/log/recovered"] === 1) && readFileSync(leader.server!.log_path, "utf8").includes("accepting agent connections");
    }, alive, PHASE_DEADLINE_MS, 100);
    const first = leader! as Master;

    // The load processes, each detecting the leader through ZooKeeper.
    const k = loaderCount(n);
    for (let i = 0, from = 0; i < k; i++) {
      const count = Math.floor(n / k) + (i < n % k ? 1 : 0);
      loaders.push(new Loader(i, from, count, zk, join(dir, `load-${i}.log`), DESTS, (command) => limited(command, count + 4096)));
      from += count;
    }
    await waitUntil("the load processes detecting the leader", async () => loaders.every((l) => l.leader?.port === first.port), alive, 60_000, 50);
    const leader_id = loaders[0]!.leader!.id;
    console.log(`\n== ${n.toLocaleString("en-US")} agents: ${k} load process(es), leader on port ${first.port} (${leader_id})`);

    // Registration.
    const load_pids = loaders.map((l) => l.child.pid);
    let cpu = new CpuMeter([first.server!.pid, ...load_pids]);
    const t0 = Date.now();
    for (const l of loaders) l.send("go");
    let register_metric_ms = Number.NaN;
    await waitUntil("registration", async () => {
      const snap = await metrics(first.port);
      if (Number.isNaN(register_metric_ms) && snap?.["master/slaves_connected"] === n) register_metric_ms = Date.now() - t0;
      progress("register", t0, loaders, snap);
      return loaders.every((l) => l.done(leader_id) !== undefined) && !Number.isNaN(register_metric_ms);
    }, alive, PHASE_DEADLINE_MS, 100);
    const register_ms = Math.max(...loaders.map((l) => l.done(leader_id)!.t)) - t0;
    let [master_cpu, ...load_cpu] = cpu.read();
    const register_master_cpu_pct = master_cpu!;
    const register_load_cpu_pct = sum(load_cpu);
    const reg_snap = await metrics(first.port);
    const stores = reg_snap?.["registrar/state_store_ms/count"] ?? Number.NaN;
    const store_p50_ms = reg_snap?.["registrar/state_store_ms/p50"] ?? Number.NaN;
    const store_max_ms = reg_snap?.["registrar/state_store_ms/max"] ?? Number.NaN;
    console.log(`registrar: ${stores} stores (p50 ${fmt(store_p50_ms, 0)} ms, max ${fmt(store_max_ms, 0)} ms), registry ${fmt((reg_snap?.["registrar/registry_size_bytes"] ?? Number.NaN) / 1048576, 1)} MiB, ` +
      `${reg_snap?.["master/messages_register_slave"]} REGISTER_SLAVE received for ${n} agents, ${reg_snap?.["master/dropped_messages"]} dropped`);
    console.log(`registered ${n} in ${(register_ms / 1000).toFixed(2)} s (slaves_connected = N after ${(register_metric_ms / 1000).toFixed(2)} s); ` +
      `CPU meanwhile: master ${register_master_cpu_pct.toFixed(0)}%, load ${register_load_cpu_pct.toFixed(0)}%`);

    // Memory once the registration's registry writes and log lines have settled, then idle CPU.
    await Bun.sleep(3_000);
    const rss_mib = (statusKiB(first.server!.pid, "VmRSS") ?? Number.NaN) / 1024;
    const hwm_mib = (statusKiB(first.server!.pid, "VmHWM") ?? Number.NaN) / 1024;
    console.log(`leader RSS ${rss_mib.toFixed(0)} MiB (peak ${hwm_mib.toFixed(0)} MiB); sampling idle CPU for ${IDLE_S} s`);
    cpu = new CpuMeter([first.server!.pid, ...load_pids]);
    const pings_before = sum(loaders.map((l) => l.progress?.counters.pings ?? 0));
    await Bun.sleep(IDLE_S * 1000);
    alive();
    [master_cpu, ...load_cpu] = cpu.read();
    const idle_cpu_pct = master_cpu!;
    const idle_load_cpu_pct = sum(load_cpu);
    const pings = sum(loaders.map((l) => l.progress?.counters.pings ?? 0)) - pings_before;
    const connected_idle = (await metrics(first.port))?.["master/slaves_connected"];
    console.log(`idle: master ${idle_cpu_pct.toFixed(1)}% CPU, load ${idle_load_cpu_pct.toFixed(1)}% CPU, ${pings} pings answered in ${IDLE_S} s, slaves_connected ${connected_idle}`);

    // Failover: SIGKILL the leader; time from the new leader's election to every agent re-registered.
    const others = masters.filter((m) => m !== first);
    killed = first;
    const t_kill = Date.now();
    process.kill(first.server!.pid, "SIGKILL");
    let next: Master | null = null;
    await waitUntil("a new leader", async () => {
      const snaps = await Promise.all(others.map((m) => metrics(m.port, 500)));
      const i = snaps.findIndex((s) => s?.["master/elected"] === 1);
      if (i >= 0) next = others[i]!;
      return next !== null;
    }, alive, PHASE_DEADLINE_MS, 20);
    const t_elected = Date.now();
    const new_leader = next! as Master;
    console.log(`new leader on port ${new_leader.port} elected ${((t_elected - t_kill) / 1000).toFixed(2)} s after the SIGKILL`);
    cpu = new CpuMeter([new_leader.server!.pid, ...load_pids]);
    await waitUntil("the load processes detecting the new leader", async () => loaders.every((l) => l.leader?.port === new_leader.port), alive, PHASE_DEADLINE_MS, 20);
    const new_id = loaders[0]!.leader!.id;
    let reregister_metric_ms = Number.NaN;
    await waitUntil("re-registration", async () => {
      const snap = await metrics(new_leader.port);
      if (Number.isNaN(reregister_metric_ms) && snap?.["master/slaves_connected"] === n) reregister_metric_ms = Date.now() - t_elected;
      progress("re-register", t_elected, loaders, snap);
      return loaders.every((l) => l.done(new_id) !== undefined) && !Number.isNaN(reregister_metric_ms);
    }, alive, PHASE_DEADLINE_MS, 100);
    const reregister_ms = Math.max(...loaders.map((l) => l.done(new_id)!.t)) - t_elected;
    [master_cpu, ...load_cpu] = cpu.read();
    const recovered_at = logTime(new_leader.server!.log_path, "accepting agent connections");
    const recovered_after_election_s = recovered_at === null ? Number.NaN : (recovered_at - t_elected) / 1000;
    const rss_after_failover_mib = (statusKiB(new_leader.server!.pid, "VmRSS") ?? Number.NaN) / 1024;
    const final = await metrics(new_leader.port);
    console.log(`re-registered ${n} ${(reregister_ms / 1000).toFixed(2)} s after the election (slaves_connected = N after ${(reregister_metric_ms / 1000).toFixed(2)} s, ` +
      `registry recovered ${recovered_after_election_s.toFixed(2)} s after the election, slave_reregistrations ${final?.["master/slave_reregistrations"]}); ` +
      `CPU meanwhile: master ${master_cpu!.toFixed(0)}%, load ${sum(load_cpu).toFixed(0)}%; new leader RSS ${rss_after_failover_mib.toFixed(0)} MiB`);
    const counters: Record<string, number> = {};
    for (const l of loaders) for (const [key, v] of Object.entries(l.progress?.counters ?? {})) counters[key] = (counters[key] ?? 0) + v;
    console.log(`load counters: ${JSON.stringify(counters)}`);
    return {
      agents: n, loaders: k, register_s: register_ms / 1000, register_metric_s: register_metric_ms / 1000, register_master_cpu_pct, register_load_cpu_pct,
      rss_mib, hwm_mib, idle_cpu_pct, idle_load_cpu_pct, failover_election_s: (t_elected - t_kill) / 1000, recovered_after_election_s,
      reregister_s: reregister_ms / 1000, reregister_metric_s: reregister_metric_ms / 1000, reregister_master_cpu_pct: master_cpu!,
      reregister_load_cpu_pct: sum(load_cpu), rss_after_failover_mib, stores, store_p50_ms, store_max_ms, counters,
    };
  } finally {
    await Promise.all(loaders.map((l) => l.stop()));
    await Promise.all(masters.map((m) => m.server?.stop(2_000)));
  }
}

let last_progress = 0;
function progress(what: string, t0: number, loaders: Loader[], snap: Record<string, number> | null): void {
  if (Date.now() - last_progress < 2_000) return;
  last_progress = Date.now();
  const current = sum(loaders.map((l) => l.progress?.current ?? 0));
  const open = sum(loaders.map((l) => l.progress?.open ?? 0));
  console.log(`  ${what} +${((Date.now() - t0) / 1000).toFixed(1)} s: ${current} agents answered, ${open} sockets open; master slaves_connected ${snap?.["master/slaves_connected"] ?? "?"}, ` +
    `registrar queue ${snap?.["registrar/queued_operations"] ?? "?"}`);
}

// ---- report ---------------------------------------------------------------------------------

const fmt = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : "-");
const label = (n: number) => (n % 1000 === 0 ? `${n / 1000}k` : String(n));

function report(results: SizeResult[], unmeasurable: number[]): void {
  console.log(`\nagents: 3 masters (--agent_ping_timeout=15secs default, --zk_session_timeout=${SESSION}), 3-server ZooKeeper, load in separate processes, all on loopback; ${IDLE_S} s idle sample`);
  const header = ["agents", "load procs", "register s", "(metric s)", "RSS MiB", "idle CPU %", "election s", "recovered s", "re-register s", "(metric s)", "master CPU % reg/re-reg", "load CPU % reg/re-reg"];
  const rows = results.map((r) => [r.agents.toLocaleString("en-US"), String(r.loaders), fmt(r.register_s, 2), fmt(r.register_metric_s, 2), fmt(r.rss_mib, 0),
    fmt(r.idle_cpu_pct), fmt(r.failover_election_s, 2), fmt(r.recovered_after_election_s, 2), fmt(r.reregister_s, 2), fmt(r.reregister_metric_s, 2),
    `${fmt(r.register_master_cpu_pct, 0)} / ${fmt(r.reregister_master_cpu_pct, 0)}`, `${fmt(r.register_load_cpu_pct, 0)} / ${fmt(r.reregister_load_cpu_pct, 0)}`]);
  console.log(formatTable(header, rows));
  console.log("register: go → last SLAVE_REGISTERED; re-register: new leader's master/elected = 1 → last SLAVE_REREGISTERED; (metric): until master/slaves_connected = N;");
  console.log("election: SIGKILL → new leader elected; recovered: election → new leader accepts agents (its log line)");
  const at40k = results.find((r) => r.agents === 40_000);
  if (at40k === undefined && unmeasurable.includes(40_000)) {
    console.log(`targets at 40k (registration ≤ ${TARGET_REGISTER_S} s, re-registration ≤ ${TARGET_REREGISTER_S} s, RSS ≤ ${TARGET_RSS_MIB} MiB): not measurable here (open-file limit ${FILES_MAX})`);
  }
  if (at40k !== undefined) {
    const verdict = (ok: boolean) => (ok ? "met" : "NOT met");
    console.log(`target registration ≤ ${TARGET_REGISTER_S} s at 40k: ${verdict(at40k.register_s <= TARGET_REGISTER_S)} (${fmt(at40k.register_s, 2)} s)`);
    console.log(`target re-registration after failover ≤ ${TARGET_REREGISTER_S} s at 40k: ${verdict(at40k.reregister_s <= TARGET_REREGISTER_S)} (${fmt(at40k.reregister_s, 2)} s; Mesos 1.5: about 19 s)`);
    console.log(`target master RSS ≤ ${TARGET_RSS_MIB} MiB at 40k: ${verdict(at40k.rss_mib <= TARGET_RSS_MIB)} (${fmt(at40k.rss_mib, 0)} MiB)`);
  }
  const figures: Record<string, number | null> = { open_files_limit: FILES_MAX };
  for (const n of unmeasurable) if (!results.some((r) => r.agents === n)) figures[`register_s_${label(n)}`] = figures[`reregister_s_${label(n)}`] = figures[`rss_mib_${label(n)}`] = null;
  const put = (key: string, x: number, digits: number) => (figures[key] = Number.isFinite(x) ? Number(x.toFixed(digits)) : null);
  for (const r of results) {
    const s = label(r.agents);
    put(`register_s_${s}`, r.register_s, 3);
    put(`register_metric_s_${s}`, r.register_metric_s, 3);
    put(`reregister_s_${s}`, r.reregister_s, 3);
    put(`reregister_metric_s_${s}`, r.reregister_metric_s, 3);
    put(`election_s_${s}`, r.failover_election_s, 3);
    put(`recovered_after_election_s_${s}`, r.recovered_after_election_s, 3);
    put(`rss_mib_${s}`, r.rss_mib, 1);
    put(`rss_peak_mib_${s}`, r.hwm_mib, 1);
    put(`rss_after_failover_mib_${s}`, r.rss_after_failover_mib, 1);
    put(`idle_cpu_pct_${s}`, r.idle_cpu_pct, 2);
    put(`idle_load_cpu_pct_${s}`, r.idle_load_cpu_pct, 2);
    put(`register_registry_stores_${s}`, r.stores, 0);
    put(`register_store_ms_p50_${s}`, r.store_p50_ms, 1);
    put(`register_store_ms_max_${s}`, r.store_max_ms, 1);
    put(`register_master_cpu_pct_${s}`, r.register_master_cpu_pct, 1);
    put(`reregister_master_cpu_pct_${s}`, r.reregister_master_cpu_pct, 1);
  }
  console.log(JSON.stringify(figures));
}

async function main(): Promise<void> {
  for (const n of SIZES) if (!Number.isInteger(n) || n < 1) throw new Error(`--agents: expected sizes like 10000,40000`);
  const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
  const ephemeral = high! - low! + 1;
  if (Math.max(...SIZES) / DESTS.length > ephemeral * 0.8) throw new Error(`${Math.max(...SIZES)} sockets over ${DESTS.length} addresses exceed the ephemeral port range (${ephemeral}): raise --dests`);
  let sizes = SIZES;
  const too_big = SIZES.filter((n) => n > FEASIBLE_AGENTS);
  if (!PRLIMIT && too_big.length > 0) {
    console.log(`NOTE: the open-file hard limit here is ${FILES_MAX} and cannot be raised (prlimit --nofile fails: no CAP_SYS_RESOURCE), ` +
      `so one master can hold at most about ${FEASIBLE_AGENTS} agent sockets; ${too_big.join(", ")} agents cannot be measured here.`);
    if (!FORCE) {
      sizes = [...new Set(SIZES.map((n) => Math.min(n, FEASIBLE_AGENTS)))];
      console.log(`Running ${sizes.join(", ")} instead (--force runs the sizes given, to see how the master fails at its file limit).`);
    }
  }
  const deadline = setTimeout(() => {
    console.error(`bench:agents: overall deadline of ${DEADLINE_MS / 60_000} min passed; stopping everything`);
    process.exit(1);
  }, DEADLINE_MS);
  deadline.unref();
  const base = mkdtempSync(join(tmpdir(), "bench-agents-"));
  removeOnExit(base);
  const zk = await startEnsemble(join(base, "zookeeper"), ZK_TICK_MS);
  const results: SizeResult[] = [];
  try {
    for (const n of sizes) results.push(await runSize(n, zk.connect, base));
  } finally {
    await Promise.all(zk.servers.map((s) => s.stop()));
  }
  report(results, too_big);
}

await main().then(() => process.exit(0), (error) => {
  console.error(`bench:agents: ${(error as Error).message}`);
  process.exit(1);
});
