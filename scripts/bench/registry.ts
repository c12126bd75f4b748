// npm run bench:registry — the registrar's write path as the leading master uses it: three
// masters' log replicas on loopback (replica 0 in this process with the registrar on top, as in
// the master; replicas 1 and 2 as `mesos-log replica` processes of the built binary), quorum 2,
// fsync on (SQLite WAL, synchronous=FULL). Every write is AdmitSlave of a realistic SlaveInfo
// (~490 bytes of JSON), all submitted at once so the registrar batches them as Mesos's does.
// Phases, on one growing registry:
//   preload   1,000 agents (not timed)
//   at 1k     +20,000 admits → ops/s while the registry is small
//   headline  +50,000 admits → ops/s, registrar/state_store_ms percentiles, registry size
//   at 50k    +20,000 admits once it holds ≥ 50,000 agents → ops/s; ratio to "at 1k" shows
//             whether a write's cost grows with the registry (Mesos rewrites it all per batch)
//   recovery  the leader's replica stops, replica process 1 is SIGTERMed and its directory
//             reopened here on its port as a new leader: time from opening the replica file to
//             recover() resolving (log recovery, election, fetch, replay, Recover stored).
// The registrar appends a whole-registry snapshot (then truncates) once the operations since the
// last one outweigh it, so a phase's rate also depends on whether a snapshot falls inside it.
// Prints a table, the targets met/unmet, then as its last line one JSON object of figures.
// `-- --http` measures the writes through POST /api/v1 instead (scripts/bench/registry_http.ts).
import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ReplicatedLog } from "../../host/log/replicated_log.ts";
import { servePeerLinks } from "../../host/log/serve.ts";
import { setLoggingLevel } from "../../host/logging.ts";
import { Registrar } from "../../host/master/registrar.ts";
import { Metrics } from "../../host/metrics.ts";
import { clusterName } from "../../host/net/cluster.ts";
import { LogStorage, type RegistryStorage } from "../../host/registry/storage.ts";
import { Section, type SlaveInfo } from "../../host/registry/types.ts";
import { forgetDir, freePorts, removeOnExit, type Server, spawnServer, tail, waitUntil } from "./systems/processes.ts";
import { formatTable } from "./systems/types.ts";
import { fmt } from "./systems/report.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const BINARY = join(ROOT, "dist", "mesos");
const PRELOAD = 1_000;
const PROBE = 20_000;
const HEADLINE = 50_000;
const READY_MS = 60_000;
/** Mesos's defaults for --registry_fetch_timeout and --registry_store_timeout. */
const FETCH_TIMEOUT_MS = 60_000;
const STORE_TIMEOUT_MS = 20_000;
/** The whole run, whatever happens: on expiry the exit handler kills the replicas and removes the dir. */
const RUN_DEADLINE_MS = 10 * 60_000;
const TARGET_OPS_PER_S = 20_000;
const TARGET_RATE_RATIO = 0.75;
const TARGET_RECOVER_MS = 1_000;

/** One agent as a Mesos agent registers (v1 JSON): cpus/mem/disk/ports, rack/zone attributes. */
const RUN_ID = randomUUID();
function slaveInfo(n: number): SlaveInfo {
  const scalar = (name: string, value: number) => ({ name, type: "SCALAR", scalar: { value } });
  return {
    id: { value: `${RUN_ID}-S${n}` },
    hostname: `agent-${String(n).padStart(6, "0")}.dc1`,
    port: 5051,
    resources: [
      scalar("cpus", 32), scalar("mem", 257_024), scalar("disk", 1_877_000),
      { name: "ports", type: "RANGES", ranges: { range: [{ begin: 31_000, end: 32_000 }] } },
    ],
    attributes: [
      { name: "rack", type: "TEXT", text: { value: `rack-${n % 48}` } },
      { name: "zone", type: "TEXT", text: { value: `zone-${n % 3}` } },
    ],
  };
}

const masterInfo = (port: number) => ({ id: randomUUID(), hostname: "127.0.0.1", ip: 16777343, port, pid: `master@127.0.0.1:${port}`, version: "1.12.0" });

interface Local {
  log: ReplicatedLog;
  server: ReturnType<typeof Bun.serve>;
}

interface Cluster {
  dir: string;
  addresses: string[];
  ports: number[];
  processes: (Server | null)[]; // index i holds replica i+1
  local: Local | null;
}

/**
 * Opens replica i's directory in this process on its port (the master's own replica), its
 * learned entries feeding `registrar` from the start, as a master wires them.
 */
function openLocal(cluster: Cluster, i: number, registrar: Registrar): Local {
  const log = new ReplicatedLog({
    path: join(cluster.dir, `replica-${i}`), self: cluster.addresses[i]!, replicas: cluster.addresses, quorum: 2,
    auto_initialize: true, cluster: clusterName({ masters: cluster.addresses }), metrics: new Metrics(),
    onLearned: (entry) => registrar.learned(entry),
    fatal: (message) => { throw new Error(`replica ${i}: ${message}`); },
  });
  const server = servePeerLinks(log, "127.0.0.1", cluster.ports[i]!);
  try {
    log.start();
  } catch (error) {
    log.close();
    void server.stop(true);
    throw error;
  }
  return { log, server };
}

async function closeLocal(cluster: Cluster): Promise<void> {
  const local = cluster.local;
  cluster.local = null;
  local?.log.close();
  await local?.server.stop(true);
}

/** Replicas 1 and 2 as processes, replica 0 here under `registrar`; resolves once replica 0 is VOTING. */
async function startCluster(dir: string, registrar: Registrar, storage: (s: RegistryStorage) => void): Promise<Cluster> {
  const ports = await freePorts(3);
  const addresses = ports.map((p) => `127.0.0.1:${p}`).sort();
  const cluster: Cluster = { dir, addresses, ports: addresses.map((a) => Number(a.split(":")[1])), processes: [], local: null };
  for (const i of [0, 1, 2]) mkdirSync(join(dir, `replica-${i}`));
  const common = [`--peers=${addresses.join(",")}`, "--quorum=2", "--ip=127.0.0.1"];
  cluster.processes = [1, 2].map((i) => spawnServer([BINARY, "log", "replica", ...common, `--port=${cluster.ports[i]}`, `--path=${join(dir, `replica-${i}`)}`], {
    cwd: dir, env: { PATH: process.env.PATH ?? "" }, log_path: join(dir, `replica-${i}.log`),
  }));
  cluster.local = openLocal(cluster, 0, registrar);
  storage(new LogStorage(cluster.local.log));
  await waitUntil("replica 0 to recover", async () => cluster.local!.log.loop.status() === 1, () => checkAlive(cluster), READY_MS, 20);
  return cluster;
}

function checkAlive(cluster: Cluster): void {
  for (const p of cluster.processes) if (p !== null && !p.alive()) throw new Error(`a replica process exited: ${tail(p.log_path, 500)}`);
}

async function stopCluster(cluster: Cluster): Promise<void> {
  await closeLocal(cluster);
  await Promise.all(cluster.processes.map((p) => p?.stop()));
}

/** A registrar as the master builds one (its storage arrives with the log); an abort fails every pending operation. */
function newRegistrar(storage: Promise<RegistryStorage>, metrics: Metrics): Registrar {
  return new Registrar({
    storage, metrics, fetch_timeout_ms: FETCH_TIMEOUT_MS, store_timeout_ms: STORE_TIMEOUT_MS,
    onAbort: (reason) => console.error(`registrar aborted: ${reason}`),
  });
}

/**
 * Admits agents [first, first+count) all in one turn and waits for every result; ops/s from
 * the first submission to the last result. The SlaveInfos are built beforehand (a master has
 * them from the agents' messages). Waits for a snapshot the last batch may have started, so
 * the next phase starts from an idle registrar.
 */
async function admit(registrar: Registrar, first: number, count: number): Promise<number> {
  const infos = Array.from({ length: count }, (_, i) => slaveInfo(first + i));
  const started_ms = performance.now();
  const results = await Promise.all(infos.map((info) => registrar.apply({ type: "ADMIT_SLAVE", info })));
  const elapsed_ms = performance.now() - started_ms;
  const refused = results.filter((r) => r !== true).length;
  if (refused > 0) throw new Error(`${refused} of ${count} AdmitSlave operations answered false`);
  await registrar.read(Section.MASTER);
  return count / (elapsed_ms / 1000);
}

/**
 * The failover a new leader goes through: the old leader's replica stops, replica process 1
 * is stopped and its directory opened here (its replica file, its port) with a new registrar.
 * Timed from opening the file to recover() resolving; then every admitted agent must be there.
 */
async function recoverOnNewLeader(cluster: Cluster, agents: number): Promise<{ recover_ms: number; open_ms: number }> {
  await closeLocal(cluster);
  await cluster.processes[0]!.stop();
  cluster.processes[0] = null;
  const started_ms = performance.now();
  const storage = Promise.withResolvers<RegistryStorage>();
  const registrar = newRegistrar(storage.promise, new Metrics());
  try {
    cluster.local = openLocal(cluster, 1, registrar);
    storage.resolve(new LogStorage(cluster.local.log));
  } catch (error) {
    throw new Error(`reopening replica 1's file: ${(error as Error).message}`);
  }
  const open_ms = performance.now() - started_ms;
  await registrar.recover(masterInfo(cluster.ports[1]!));
  const recover_ms = performance.now() - started_ms;
  const recovered = (await registrar.read(Section.SLAVES)).slaves?.slaves.length ?? 0;
  if (recovered !== agents) throw new Error(`the new leader recovered ${recovered} agents, expected ${agents}`);
  return { recover_ms, open_ms };
}

interface Figures {
  ops_per_s_50k_concurrent: number;
  ops_per_s_at_1k: number;
  ops_per_s_at_50k: number;
  rate_ratio_50k_vs_1k: number;
  store_ms_p50: number;
  store_ms_p90: number;
  store_ms_p99: number;
  store_batches: number;
  registry_size_bytes: number;
  registry_agents_at_recovery: number;
  open_ms_replica: number;
  recover_ms_50k: number; // NaN (null in the JSON) when the recovery failed
}

function report(f: Figures, recover_error: string | null): void {
  const verdict = (ok: boolean) => (ok ? "met" : "UNMET");
  const slave_bytes = JSON.stringify(slaveInfo(0)).length;
  console.log(`\nregistrar: 3 log replicas on loopback (1 in-process leader + 2 mesos-log processes), quorum 2, fsync on; AdmitSlave of ${slave_bytes}-byte SlaveInfos`);
  console.log(formatTable(["phase", "agents before", "admits", "ops/s"], [
    ["at 1k", fmt(PRELOAD, 0), fmt(PROBE, 0), fmt(f.ops_per_s_at_1k, 0)],
    ["headline (concurrent)", fmt(PRELOAD + PROBE, 0), fmt(HEADLINE, 0), fmt(f.ops_per_s_50k_concurrent, 0)],
    ["at 50k", fmt(PRELOAD + PROBE + HEADLINE, 0), fmt(PROBE, 0), fmt(f.ops_per_s_at_50k, 0)],
  ]));
  console.log(`store (one batch appended) ms over ${f.store_batches} batches up to the headline's end: p50 ${fmt(f.store_ms_p50, 1)}  p90 ${fmt(f.store_ms_p90, 1)}  p99 ${fmt(f.store_ms_p99, 1)}`);
  console.log(`registry size after the headline: ${fmt(f.registry_size_bytes, 0)} bytes`);
  console.log(recover_error === null
    ? `recovery on a new leader of ${fmt(f.registry_agents_at_recovery, 0)} agents: ${fmt(f.recover_ms_50k, 0)} ms (opening the replica file: ${fmt(f.open_ms_replica, 0)} ms)`
    : `recovery on a new leader of ${fmt(f.registry_agents_at_recovery, 0)} agents FAILED: ${recover_error}`);
  console.log(`targets: ops/s ≥ ${fmt(TARGET_OPS_PER_S, 0)}: ${verdict(f.ops_per_s_50k_concurrent >= TARGET_OPS_PER_S)}; ` +
    `rate at 50k ≥ ${TARGET_RATE_RATIO}× rate at 1k (${fmt(f.rate_ratio_50k_vs_1k, 2)}×): ${verdict(f.rate_ratio_50k_vs_1k >= TARGET_RATE_RATIO)}; ` +
    `recovery ≤ ${fmt(TARGET_RECOVER_MS, 0)} ms: ${verdict(f.recover_ms_50k <= TARGET_RECOVER_MS)}`);
  const round = (v: number) => (Number.isInteger(v) ? v : Math.round(v * 100) / 100);
  console.log(JSON.stringify(Object.fromEntries(Object.entries(f).map(([k, v]) => [k, round(v)]))));
}

/** The three timed write phases on one registrar, then the failover; all figures. */
async function run(cluster: Cluster, registrar: Registrar, metrics: Metrics): Promise<{ figures: Figures; recover_error: string | null }> {
  await registrar.recover(masterInfo(cluster.ports[0]!));
  await admit(registrar, 0, PRELOAD);
  const ops_per_s_at_1k = await admit(registrar, PRELOAD, PROBE);
  const ops_per_s_50k_concurrent = await admit(registrar, PRELOAD + PROBE, HEADLINE);
  // A Mesos Timer keeps every sample of the day: these cover every batch so far.
  const snapshot = metrics.snapshot();
  const store = (suffix: string) => snapshot[`registrar/state_store_ms/${suffix}`] ?? Number.NaN;
  const registry_size_bytes = registrar.sizeBytes();
  const ops_per_s_at_50k = await admit(registrar, PRELOAD + PROBE + HEADLINE, PROBE);
  const agents = PRELOAD + PROBE + HEADLINE + PROBE;
  // A failed recovery is reported (and fails the run) without losing the write figures.
  let recovery = { recover_ms: Number.NaN, open_ms: Number.NaN };
  let recover_error: string | null = null;
  try {
    recovery = await recoverOnNewLeader(cluster, agents);
  } catch (error) {
    recover_error = (error as Error).message;
  }
  const figures: Figures = {
    ops_per_s_50k_concurrent, ops_per_s_at_1k, ops_per_s_at_50k, rate_ratio_50k_vs_1k: ops_per_s_at_50k / ops_per_s_at_1k,
    store_ms_p50: store("p50"), store_ms_p90: store("p90"), store_ms_p99: store("p99"), store_batches: store("count"),
    registry_size_bytes, registry_agents_at_recovery: agents, open_ms_replica: recovery.open_ms, recover_ms_50k: recovery.recover_ms,
  };
  return { figures, recover_error };
}

async function main(): Promise<void> {
  setLoggingLevel("WARNING"); // the registrar's and replicas' INFO lines would bury the table
  setTimeout(() => {
    console.error(`bench:registry: not done within ${RUN_DEADLINE_MS / 1000} s`);
    process.exit(1); // processes.ts's exit handler kills the replicas and removes the dir
  }, RUN_DEADLINE_MS).unref();
  if (!existsSync(BINARY)) await Bun.$`bun ${join(ROOT, "scripts/build.ts")}`;
  const dir = mkdtempSync(join(tmpdir(), "bench-registry-"));
  removeOnExit(dir);
  let cluster: Cluster | null = null;
  try {
    const metrics = new Metrics();
    const storage = Promise.withResolvers<RegistryStorage>();
    const registrar = newRegistrar(storage.promise, metrics);
    cluster = await startCluster(dir, registrar, storage.resolve);
    const { figures, recover_error } = await run(cluster, registrar, metrics);
    report(figures, recover_error);
    if (recover_error !== null) process.exitCode = 1;
  } finally {
    if (cluster) await stopCluster(cluster);
    forgetDir(dir);
  }
}

if (import.meta.main) {
  // --http: the same registry through the v1 operator API of three masters (registry_http.ts).
  if (process.argv.includes("--http")) await (await import("./registry_http.ts")).runHttpBenchmark();
  else await main();
}
