// The networked mesos-log commands: `replica` runs a replica until stopped; `benchmark` runs a
// replica plus a writer and appends a trace (or --entries of --size bytes) with --concurrency
// appends in flight, reporting as Mesos's tool does (Total number of appends, Total time used,
// one output line per append). Replicas find each other through a static --peers list or the
// ZooKeeper group at --servers/--znode (unlabelled members holding "log-replica(1)@ip:port").
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { formatDuration } from "../duration.ts";
import { logger } from "../logging.ts";
import { Metrics } from "../metrics.ts";
import { clusterName } from "../net/cluster.ts";
import { Group } from "../zk/group.ts";
import { parseZkUrl } from "../zk/url.ts";
import type { BenchmarkFlags, NetworkFlags } from "./flags.ts";
import { awaitReplicas, stayJoined } from "./discovery.ts";
import { initialize } from "./local.ts";
import { ReplicatedLog } from "./replicated_log.ts";
import { loadLogSecurity, openLogWarning } from "./security.ts";
import { servePeerLinks } from "./serve.ts";
import { describeTls } from "../security/tls.ts";

const log = logger("run.ts");
const APPEND_TIMEOUT_MS = 10_000;
const ZK_SESSION_TIMEOUT_MS = 10_000;
/** How often a replica that never writes runs the reader catch-up. */
const CATCHUP_INTERVAL_MS = 1000;
const PAYLOAD_POOL_MAX = 4096;

export function fail(message: string): never {
  log.error(message);
  process.exit(1);
}

interface Started {
  log: ReplicatedLog;
  stop: () => void;
}

/** Starts the replica: optional initialize, discovery, HTTP port (peer links, /health). */
export async function startReplica(flags: NetworkFlags & { explicit?: ReadonlySet<string> }, metrics = new Metrics()): Promise<Started> {
  if (flags.path === undefined) fail("Flag 'path' is required: expected --path=DIR");
  if (flags.quorum === undefined) fail("Flag 'quorum' is required: expected --quorum=N");
  // As libprocess: LIBPROCESS_IP / LIBPROCESS_PORT give the address when the flags do not.
  const ip = flags.ip ?? process.env.LIBPROCESS_IP ?? "127.0.0.1";
  const port = flags.explicit?.has("port") || process.env.LIBPROCESS_PORT === undefined ? flags.port : Number(process.env.LIBPROCESS_PORT);
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`LIBPROCESS_PORT: expected a port in [1, 65535], got '${process.env.LIBPROCESS_PORT}'`);
  const self = `${ip}:${port}`;
  // Before discovery, which may wait on ZooKeeper: a bad secret file fails at once.
  const security = loadLogSecurity(flags.log_secret_file, process.env);
  for (const warning of security.warnings) log.warning(warning);
  if (flags.initialize) {
    try {
      log.info(initialize(flags.path));
    } catch (error) {
      log.warning(`Not initializing: ${(error as Error).message}`);
    }
  }
  const { replicas, cluster, group } = await discover(flags, self, flags.quorum);
  const open = openLogWarning(security, replicas.length - 1);
  if (open !== null) log.warning(open);
  log.info(describeTls(security.tls));
  const replicated = new ReplicatedLog({
    path: flags.path, self, replicas, quorum: flags.quorum, auto_initialize: flags.auto_initialize, cluster, metrics, fatal: fail,
    secret: security.secret, tls: security.tls,
  });
  let server: ReturnType<typeof Bun.serve>;
  try {
    server = servePeerLinks(replicated, ip, port, (request) => {
      const path = new URL(request.url).pathname;
      if (path === "/health") return new Response(null, { status: 200 });
      if (path === "/metrics/snapshot") return Response.json(metrics.snapshot());
      return new Response(null, { status: 404 });
    }, security.tls);
  } catch (error) {
    fail(`Failed to bind on ${ip}:${port}: ${(error as Error).message}`);
  }
  replicated.start();
  return {
    log: replicated,
    stop: () => {
      replicated.close();
      group?.close();
      void server.stop(true);
    },
  };
}

async function discover(flags: NetworkFlags, self: string, quorum: number): Promise<{ replicas: string[]; cluster: string; group?: Group }> {
  if (flags.peers !== undefined) {
    const replicas = [...new Set([...flags.peers.map((p) => `${p.host}:${p.port}`), self])].sort();
    return { replicas, cluster: clusterName({ masters: replicas }) };
  }
  if (flags.servers === undefined || flags.znode === undefined) fail("Expected --peers=ip:port,... or both --servers and --znode");
  const url = parseZkUrl(`zk://${flags.servers}${flags.znode}`);
  if (typeof url === "string") fail(`Flag 'servers'/'znode': expected ${url}`);
  const group = new Group({ url, session_timeout_ms: ZK_SESSION_TIMEOUT_MS });
  await stayJoined(group, self);
  return { replicas: await awaitReplicas(group, self, quorum), cluster: clusterName({ zk_path: url.path }), group };
}

/** `mesos-log replica`: runs until SIGTERM/SIGINT. */
export async function runReplica(flags: NetworkFlags): Promise<void> {
  const started = await startReplica(flags);
  started.log.keepCaughtUp(CATCHUP_INTERVAL_MS);
  const stop = () => {
    log.info("Stopping the replica");
    started.stop();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

/** `mesos-log benchmark`: appends and reports; exits 0 on success, 1 on any failed append. */
export async function runBenchmark(flags: BenchmarkFlags): Promise<void> {
  const sizes = flags.input !== undefined ? readTrace(flags.input) : Array.from({ length: flags.entries ?? 1000 }, () => flags.size);
  if (flags.output !== undefined) writeFileSync(flags.output, "");
  const started = await startReplica(flags);
  const replicated = started.log;
  if (!(await replicated.recovered(flags.timeout))) fail(`The log did not recover within ${formatDuration(flags.timeout)}`);
  const elected = await replicated.elect(flags.timeout);
  if (elected === null) fail(`Failed to start a writer within ${formatDuration(flags.timeout)}`);
  console.log(`Elected as the writer at position ${elected.position} (proposal ${elected.proposal})`);
  const latencies_ms = new Float64Array(sizes.length);
  // Distinct random payloads, reused round-robin: a long run neither holds every payload nor
  // spends its CPU generating random bytes.
  const pool = new Map<number, Uint8Array>();
  const payloadFor = (index: number): Uint8Array => {
    const slot = index % PAYLOAD_POOL_MAX;
    let bytes = pool.get(slot);
    if (bytes === undefined || bytes.length !== sizes[index]) {
      bytes = payload(flags.type, sizes[index]!);
      pool.set(slot, bytes);
    }
    return bytes;
  };
  let lines: string[] = [];
  // Acknowledged appends reach the output file while the run goes on (every 50 ms), so a
  // writer killed mid-run still leaves the record of what it had been told.
  const flush = () => {
    if (flags.output !== undefined && lines.length > 0) appendFileSync(flags.output, lines.join("\n") + "\n");
    lines = [];
  };
  const flusher = setInterval(flush, 50);
  // One watchdog for every append in flight (a timer per append cost more than the log).
  const in_flight = new Map<number, number>();
  const watchdog = setInterval(() => {
    const now = performance.now();
    for (const [index, t0] of in_flight) {
      if (now - t0 <= APPEND_TIMEOUT_MS) continue;
      flush();
      fail(`Append ${index} did not finish within ${APPEND_TIMEOUT_MS} ms`);
    }
  }, 250);
  const began = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < sizes.length) {
      const index = next++;
      const bytes = payloadFor(index);
      const t0 = performance.now();
      in_flight.set(index, t0);
      const position = await replicated.loop.append(bytes);
      in_flight.delete(index);
      if (position === null) flush();
      if (position === null) fail(`Append ${index} returned none: the writer lost its exclusive write promise`);
      latencies_ms[index] = performance.now() - t0;
      // Mesos's line, plus the position the append was acknowledged at.
      if (flags.output !== undefined) lines.push(`${new Date().toISOString()} Appended ${sizes[index]} bytes in ${latencies_ms[index]!.toFixed(3)} ms at position ${position}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(flags.concurrency, sizes.length) }, worker));
  const elapsed_ms = performance.now() - began;
  clearInterval(watchdog);
  clearInterval(flusher);
  flush();
  const sorted = [...latencies_ms].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  console.log(`Total number of appends: ${sizes.length}`);
  console.log(`Total time used: ${formatDuration(elapsed_ms)}`);
  console.log(`Appends per second: ${Math.round((sizes.length / elapsed_ms) * 1000)}`);
  console.log(`Latency p50: ${at(0.5).toFixed(3)} ms, p99: ${at(0.99).toFixed(3)} ms (concurrency ${flags.concurrency})`);
  console.log(`Entries per fsync: ${(replicated.loop.stats.entries_synced / Math.max(1, replicated.loop.stats.fsyncs)).toFixed(1)}`);
  started.stop();
  process.exit(0);
}

const UNITS: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

/** A Mesos trace: one size per line, like 100B or 2MB. */
export function readTrace(file: string): number[] {
  const sizes: number[] = [];
  for (const [index, line] of readFileSync(file, "utf8").split("\n").entries()) {
    const text = line.trim();
    if (text === "") continue;
    const match = /^(\d+)(B|KB|MB|GB|TB)$/.exec(text);
    if (!match) fail(`Flag 'input': line ${index + 1} of ${file} is not a size like 100B or 2MB: '${text}'`);
    sizes.push(Number(match[1]) * UNITS[match[2]!]!);
  }
  return sizes;
}

function payload(type: "zero" | "one" | "random", size: number): Uint8Array {
  if (type === "zero") return new Uint8Array(size);
  if (type === "one") return new Uint8Array(size).fill(0xff);
  return new Uint8Array(randomBytes(size)); // real random bytes, unlike Mesos's one repeated byte
}

async function withTimeout<T>(work: Promise<T>, timeout_ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeout_ms)));
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}
