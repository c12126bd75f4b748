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
// Flags: --entries-c1=N (default 2000), --entries=N (at 64 and 256; default 20000),
// --size=B (default 100), --deadline-s=S (per run; default 60), --only=zookeeper,etcd,
// --dir=PATH (where data dirs go, default the OS temp dir: the same disk for every system).
import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { type BenchSystem, type CreateSystem, type Load, summarize } from "./systems/types.ts";
import { OURS, type Row, SECURE, fmt, report } from "./systems/report.ts";
import { forgetDir, removeOnExit } from "./systems/processes.ts";
import { ZK_SERVER } from "./systems/zookeeper.ts";
import { ETCD } from "./systems/etcd.ts";

const CONCURRENCIES = [1, 64, 256] as const;
const WARMUP_ENTRIES = 10_000;
const WARMUP_DEADLINE_MS = 10_000;
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
}

function parseFlags(argv: string[]): Options {
  const flags = new Map<string, string>();
  for (const arg of argv) {
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
    const warmup: Load = { concurrency: 64, entries: Math.min(options.entries, WARMUP_ENTRIES), entry_bytes: options.entry_bytes, deadline_ms: WARMUP_DEADLINE_MS };
    const warm = summarize(await system.run(warmup));
    console.log(`   warm-up: ${warm.ops} ops at c64, ${fmt(warm.ops_per_s, 0)} ops/s`);
    for (const concurrency of CONCURRENCIES) {
      const entries = concurrency === 1 ? options.entries_c1 : options.entries;
      const load: Load = { concurrency, entries, entry_bytes: options.entry_bytes, deadline_ms: options.deadline_ms };
      const summary = summarize(await system.run(load));
      const capped = summary.ops < entries ? ` (deadline: ${summary.ops}/${entries} done)` : "";
      console.log(`   c${concurrency}: ${fmt(summary.ops_per_s, 0)} ops/s, p50 ${fmt(summary.latency_ms_p50, 2)} ms, p99 ${fmt(summary.latency_ms_p99, 2)} ms, max ${fmt(summary.latency_ms_max, 1)} ms${capped}`);
      rows.push({ system: name, concurrency, summary });
    }
  } catch (error) {
    console.error(`   ${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    for (const c of CONCURRENCIES) if (!rows.some((r) => r.concurrency === c)) rows.push({ system: name, concurrency: c, summary: null });
  } finally {
    // A failed stop must not cost the other systems' figures; the exit handler kills leftovers.
    await system.stop().catch((error) => console.error(`   ${name}: stop failed: ${String(error)}`));
    forgetDir(base_dir);
  }
  return rows;
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
