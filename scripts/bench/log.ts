// npm run bench:log — the replicated log across processes, as operators would measure it:
// three replicas on loopback (two `mesos-log replica` processes and one `mesos-log benchmark`
// process holding the third replica and the writer), quorum 2, 100-byte entries, fsync on
// (SQLite WAL, synchronous=FULL). For concurrency 1, 64 and 256 on a fresh log each time it
// prints appends/s, p50/p99 append latency and fsyncs per second per replica, then one JSON
// line. Flags: --entries-c1=N (default 2000), --entries=N (default 50000), --size=B (100).
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("../..", import.meta.url).pathname;
const binary = join(root, "dist", "mesos");
const arg = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback);
const ENTRIES_C1 = arg("entries-c1", 2000);
const ENTRIES = arg("entries", 50_000);
const SIZE = arg("size", 100);
const CONCURRENCIES = [1, 64, 256];
const RUN_DEADLINE_MS = 120_000;

export interface LogRun {
  concurrency: number;
  appends: number;
  appends_per_s: number;
  latency_ms_p50: number;
  latency_ms_p99: number;
  fsyncs_per_s_per_replica: number;
  entries_per_fsync: number;
}

const children = new Set<ReturnType<typeof Bun.spawn>>();
const killAll = () => { for (const child of children) child.kill("SIGKILL"); };
process.on("exit", killAll);
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => { killAll(); process.exit(130); });

async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } }));
  const ports = servers.map((s) => s.port);
  for (const s of servers) s.stop(true);
  return ports;
}

/** One fresh three-replica log, one benchmark run at `concurrency`. */
export async function runOnce(concurrency: number, entries: number, size: number): Promise<LogRun> {
  const dir = mkdtempSync(join(tmpdir(), "bench-log-"));
  const ports = await freePorts(3);
  const peers = `--peers=${ports.map((p) => `127.0.0.1:${p}`).join(",")}`;
  const common = [peers, "--quorum=2", "--ip=127.0.0.1"];
  const replicas = ports.slice(1).map((port, i) => {
    const child = Bun.spawn([binary, "log", "replica", ...common, `--port=${port}`, `--path=${join(dir, `r${i + 2}`)}`], { stdout: "ignore", stderr: "ignore" });
    children.add(child);
    return { child, port };
  });
  try {
    const bench = Bun.spawn([binary, "log", "benchmark", ...common, `--port=${ports[0]}`, `--path=${join(dir, "r1")}`,
      `--entries=${entries}`, `--size=${size}`, `--concurrency=${concurrency}`, "--timeout=30secs"], { stdout: "pipe", stderr: "pipe" });
    children.add(bench);
    const timer = setTimeout(() => bench.kill("SIGKILL"), RUN_DEADLINE_MS);
    const [out, err, status] = await Promise.all([new Response(bench.stdout).text(), new Response(bench.stderr).text(), bench.exited]);
    clearTimeout(timer);
    if (status !== 0) throw new Error(`benchmark exited ${status}: ${err.split("\n").filter(Boolean).slice(-3).join(" | ")}`);
    const fsyncs = await Promise.all(replicas.map((r) => replicaFsyncs(r.port)));
    const number = (pattern: RegExp) => Number(pattern.exec(out)?.[1] ?? Number.NaN);
    const elapsed_s = entries / number(/Appends per second: (\d+)/);
    return {
      concurrency,
      appends: entries,
      appends_per_s: number(/Appends per second: (\d+)/),
      latency_ms_p50: number(/Latency p50: ([\d.]+) ms/),
      latency_ms_p99: number(/p99: ([\d.]+) ms/),
      fsyncs_per_s_per_replica: Math.round(fsyncs.reduce((a, b) => a + b, 0) / fsyncs.length / elapsed_s),
      entries_per_fsync: number(/Entries per fsync: ([\d.]+)/),
    };
  } finally {
    for (const r of replicas) r.child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
}

async function replicaFsyncs(port: number): Promise<number> {
  const snapshot = (await (await fetch(`http://127.0.0.1:${port}/metrics/snapshot`)).json()) as Record<string, number>;
  return snapshot["registrar/log/fsyncs"] ?? 0;
}

async function main(): Promise<void> {
  if (!existsSync(binary)) await Bun.$`bun ${join(root, "scripts/build.ts")}`;
  const runs: LogRun[] = [];
  for (const concurrency of CONCURRENCIES) runs.push(await runOnce(concurrency, concurrency === 1 ? ENTRIES_C1 : ENTRIES, SIZE));
  console.log(`replicated log: 3 replica processes on loopback, quorum 2, ${SIZE}-byte entries, fsync on`);
  console.log("concurrency  appends  appends/s  p50 ms  p99 ms  fsyncs/s/replica  entries/fsync");
  for (const r of runs) {
    console.log(`${String(r.concurrency).padStart(11)}  ${String(r.appends).padStart(7)}  ${String(r.appends_per_s).padStart(9)}  ${r.latency_ms_p50.toFixed(2).padStart(6)}  ${r.latency_ms_p99.toFixed(2).padStart(6)}  ${String(r.fsyncs_per_s_per_replica).padStart(16)}  ${r.entries_per_fsync.toFixed(1).padStart(13)}`);
  }
  const figures: Record<string, number> = {};
  for (const r of runs) {
    figures[`appends_per_s_c${r.concurrency}`] = r.appends_per_s;
    figures[`latency_ms_p50_c${r.concurrency}`] = r.latency_ms_p50;
    figures[`latency_ms_p99_c${r.concurrency}`] = r.latency_ms_p99;
    figures[`fsyncs_per_s_per_replica_c${r.concurrency}`] = r.fsyncs_per_s_per_replica;
  }
  console.log(JSON.stringify(figures));
}

if (import.meta.main) await main();
