// `npm run bench:compare`: the same load against our replicated log (mesos-log, and
// mesos-log-secure: the same with mutual TLS and the log secret, priced against it; when
// scripts/bench/systems/mesos_log.ts exists), a three-server ZooKeeper ensemble and a
// three-member etcd cluster, one system at a time on this machine, all on 127.0.0.1.
// Prints one table (system, concurrency, ops/s, p50, p99, our ratio to each) and, as its last
// line, one JSON object of figures with units in the names.
//
// The load, identical for every system: three members, quorum two, durable writes (each
// acknowledged only after a quorum has fsynced it), `--size` bytes per entry (default 100), a
// closed loop of 1, 64 and 256 operations in flight (systems/types.ts: driveLoad), after a
// short warm-up at 64 (the JVM's JIT, etcd's and our connection set-up). Each run is bounded
// by an entry count and by a deadline. Why each operation is the fair equivalent of
// "append one entry durably to a replicated log":
// - ZooKeeper (systems/zookeeper.ts): `create` of a PERSISTENT_SEQUENTIAL znode with the
//   entry as data — ZooKeeper's own append: one proposal in its atomic broadcast, logged and
//   fsynced (forceSync=yes, the default) by a quorum, returning the entry's sequence number.
//   Client: node-zookeeper-client, one session per server, requests pipelined.
// - etcd (systems/etcd.ts): a put of a new key with the entry as value — one Raft entry,
//   fsynced in the WAL by a quorum before the answer (etcd's only durable mode). Client:
//   etcd's native gRPC protocol (what etcdctl, clientv3 and the etcd3 package speak) through
//   a minimal HTTP/2 client (systems/etcd_grpc.ts), one connection per member, calls spread
//   over the three members. BENCH_ETCD_CLIENT=http uses the v3 HTTP/JSON gateway instead,
//   which costs etcd an extra internal hop (measured here: ~10-25% fewer ops/s).
// Neither is tuned beyond its defaults (beyond quieter logs): defaults are what users run,
// and both already batch (group commit) under concurrency, as our log does (measured here at
// c256: ~20 entries per fsync on ZooKeeper followers, ~40 per fsync on each etcd member).
// Every client runs in this one Bun process, which stays far from saturated (measured: ~15% of
// a core driving ZooKeeper, ~30% driving etcd): the servers, not the load generator, set the pace.
//
// The full form measures each point (c1, c64, c256, c1024) for a fixed duration
// (--duration-s, default 10 s, after a 5 s warm-up at c64), --rounds times (default 3, the
// concurrencies taken in turn each round so a transient hits one round, not one point), and
// prints the median round with the spread (lowest and highest ops/s) and the machine's 1-minute
// load average seen during the rounds. `--quick` keeps the short form for smoke runs: one
// round of --entries-c1 / --entries operations at c1, c64 and c256.
// Flags: --duration-s=S (10), --rounds=N (3), --quick, --entries-c1=N (quick: 2000),
// --entries=N (quick, at 64 and 256: 20000), --size=B (default 100), --deadline-s=S (per run;
// default 60), --only=zookeeper,etcd, --dir=PATH (where data dirs go, default the OS temp dir:
// the same disk for every system).
import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { type BenchSystem, type CreateSystem, type Load, type Summary, summarize } from "./systems/types.ts";
import { OURS, type Row, SECURE, fmt, report } from "./systems/report.ts";
import { forgetDir, removeOnExit } from "./systems/processes.ts";
import { ZK_SERVER } from "./systems/zookeeper.ts";
import { ETCD } from "./systems/etcd.ts";

const CONCURRENCIES_QUICK = [1, 64, 256] as const;
const CONCURRENCIES_FULL = [1, 64, 256, 1024] as const;
const WARMUP_ENTRIES = 10_000;
const WARMUP_DEADLINE_MS = 10_000;
const WARMUP_FULL_MS = 5_000;
/** A fixed-duration point stops at this many operations at most (its latencies are kept: 8 bytes each). */
const DURATION_ENTRIES_MAX = 8_000_000;
const KNOWN = [OURS, SECURE, "zookeeper", "etcd"] as const;
const PACKAGES: Record<string, { binary: string; pkg: string }> = {
  zookeeper: { binary: ZK_SERVER, pkg: "zookeeper" },
  etcd: { binary: ETCD, pkg: "etcd-server" },
};

interface Options {
  entries_c1: number;
  entries: number;
  entry_bytes: number;
  deadline_ms: number;
  only: string[];
  dir: string;
  quick: boolean;
  duration_ms: number;
  rounds: number;
  concurrencies: readonly number[];
}

function parseFlags(argv: string[]): Options {
  const flags = new Map<string, string>();
  const quick = argv.includes("--quick");
  for (const arg of argv.filter((a) => a !== "--quick")) {
    const match = /^--([a-z0-9-]+)=(.*)$/.exec(arg);
    if (!match) throw new Error(`unknown argument ${arg} (flags take --name=value)`);
    flags.set(match[1]!, match[2]!);
  }
  const int = (name: string, fallback: number): number => {
    const value = Number(flags.get(name) ?? fallback);
    if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer`);
    flags.delete(name);
    return value;
  };
  const options: Options = {
    entries_c1: int("entries-c1", 2_000),
    entries: int("entries", 20_000),
    entry_bytes: int("size", 100),
    deadline_ms: int("deadline-s", 60) * 1000,
    only: (flags.get("only") ?? KNOWN.join(",")).split(",").map((s) => s.trim()).filter(Boolean),
    dir: flags.get("dir") ?? tmpdir(),
    quick,
    duration_ms: int("duration-s", 10) * 1000,
    rounds: quick ? 1 : int("rounds", 3),
    concurrencies: quick ? CONCURRENCIES_QUICK : CONCURRENCIES_FULL,
  };
  flags.delete("only");
  flags.delete("dir");
  for (const name of flags.keys()) throw new Error(`unknown flag --${name}`);
  for (const name of options.only) if (!(KNOWN as readonly string[]).includes(name)) throw new Error(`--only: unknown system ${name} (known: ${KNOWN.join(", ")})`);
  return options;
}

/** Installs the missing Debian packages as root; otherwise prints the command and exits 1. */
function ensurePackages(systems: string[]): void {
  const missing = systems.flatMap((s) => {
    const p = PACKAGES[s];
    return p && !existsSync(p.binary) ? [p.pkg] : [];
  });
  if (missing.length === 0) return;
  const install = ["apt-get", "install", "-y", ...missing];
  if (process.getuid?.() !== 0) {
    console.error(`missing: ${missing.join(", ")}. Install with:\n  sudo ${install.join(" ")}\n(or run this benchmark as root, which installs them)`);
    process.exit(1);
  }
  const run = (command: string[]) => {
    console.log(`$ ${command.join(" ")}`);
    return Bun.spawnSync(command, { stdout: "inherit", stderr: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } }).exitCode === 0;
  };
  if (run(install)) return;
  if (run(["apt-get", "update"]) && run(install)) return;
  throw new Error(`could not install ${missing.join(", ")}`);
}

async function loadSystem(name: string): Promise<CreateSystem | null> {
  const file = name === OURS ? "mesos_log.ts" : `${name.replace(/-/g, "_")}.ts`;
  const path = join(import.meta.dir, "systems", file);
  if (!existsSync(path)) {
    console.log(`note: ${name} skipped: scripts/bench/systems/${file} does not exist yet`);
    return null;
  }
  const module = (await import(path)) as { create?: CreateSystem };
  if (typeof module.create !== "function") throw new Error(`scripts/bench/systems/${file} does not export create(options)`);
  return module.create;
}

/** Start, warm up, run each concurrency, stop: one system's whole life. */
async function measure(name: string, createSystem: CreateSystem, options: Options): Promise<Row[]> {
  mkdirSync(options.dir, { recursive: true });
  const base_dir = mkdtempSync(join(options.dir, `bench-${name}-`));
  removeOnExit(base_dir);
  const system: BenchSystem = createSystem({ base_dir });
  const rows: Row[] = [];
  try {
    // The machine may be shared: the load average before each system helps read its figures.
    console.log(`\n== ${system.describe?.() ?? system.name}\n   load average before: ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
    const t0 = performance.now();
    await system.start();
    console.log(`   started in ${((performance.now() - t0) / 1000).toFixed(1)} s; data in ${base_dir}`);
    // Long enough for the JVM's JIT to compile ZooKeeper's request path (a 3,000-op warm-up
    // left ZooKeeper's c64 figure visibly lower), the same for every system.
    const warmup: Load = options.quick
      ? { concurrency: 64, entries: Math.min(options.entries, WARMUP_ENTRIES), entry_bytes: options.entry_bytes, deadline_ms: WARMUP_DEADLINE_MS }
      : { concurrency: 64, entries: DURATION_ENTRIES_MAX, entry_bytes: options.entry_bytes, deadline_ms: options.deadline_ms, duration_ms: WARMUP_FULL_MS };
    const warm = summarize(await system.run(warmup));
    console.log(`   warm-up: ${warm.ops} ops at c64, ${fmt(warm.ops_per_s, 0)} ops/s`);
    const rounds = new Map<number, { summary: Summary; load_1min: number }[]>(options.concurrencies.map((c) => [c, []]));
    for (let round = 1; round <= options.rounds; round++) {
      for (const concurrency of options.concurrencies) {
        const load = pointLoad(options, concurrency);
        const summary = summarize(await system.run(load));
        const load_1min = loadavg()[0]!;
        rounds.get(concurrency)!.push({ summary, load_1min });
        const capped = load.duration_ms === undefined && summary.ops < load.entries ? ` (deadline: ${summary.ops}/${load.entries} done)` : "";
        console.log(`   ${options.rounds > 1 ? `round ${round} ` : ""}c${concurrency}: ${fmt(summary.ops_per_s, 0)} ops/s, p50 ${fmt(summary.latency_ms_p50, 2)} ms, p99 ${fmt(summary.latency_ms_p99, 2)} ms, max ${fmt(summary.latency_ms_max, 1)} ms; load ${load_1min.toFixed(2)}${capped}`);
      }
    }
    for (const [concurrency, list] of rounds) rows.push(medianRow(name, concurrency, list));
  } catch (error) {
    console.error(`   ${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    for (const c of options.concurrencies) if (!rows.some((r) => r.concurrency === c)) rows.push({ system: name, concurrency: c, summary: null });
  } finally {
    // A failed stop must not cost the other systems' figures; the exit handler kills leftovers.
    await system.stop().catch((error) => console.error(`   ${name}: stop failed: ${String(error)}`));
    forgetDir(base_dir);
  }
  return rows;
}

/** One point's load: a fixed duration in the full form, a fixed count in the quick one. */
function pointLoad(options: Options, concurrency: number): Load {
  if (options.quick) {
    return { concurrency, entries: concurrency === 1 ? options.entries_c1 : options.entries, entry_bytes: options.entry_bytes, deadline_ms: options.deadline_ms };
  }
  return { concurrency, entries: DURATION_ENTRIES_MAX, entry_bytes: options.entry_bytes, deadline_ms: options.deadline_ms, duration_ms: options.duration_ms };
}

/** The round with the median ops/s stands for the point; the spread and the load come along. */
function medianRow(system: string, concurrency: number, list: { summary: Summary; load_1min: number }[]): Row {
  const sorted = [...list].sort((a, b) => a.summary.ops_per_s - b.summary.ops_per_s);
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!.summary;
  return {
    system, concurrency, summary: median,
    spread: { rounds: list.length, ops_per_s_min: sorted[0]!.summary.ops_per_s, ops_per_s_max: sorted.at(-1)!.summary.ops_per_s, load_1min_max: Math.max(...list.map((r) => r.load_1min)) },
  };
}

async function main(): Promise<number> {
  const options = parseFlags(process.argv.slice(2));
  ensurePackages(options.only);
  const rows: Row[] = [];
  // One system at a time: on a 2-core machine, anything running alongside would skew the others.
  for (const name of KNOWN) {
    if (!options.only.includes(name)) continue;
    const createSystem = await loadSystem(name);
    if (createSystem) rows.push(...(await measure(name, createSystem, options)));
  }
  report(rows, options);
  return rows.some((r) => r.summary === null) ? 1 : 0;
}

process.exit(await main());
