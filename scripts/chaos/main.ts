// npm run chaos -- [--seed N] [--minutes M | --quick] [--clients C] [--faults K,K] [--binary PATH] [--keep]
// A real-process fault-injection run in the manner of Jepsen and etcd's robustness tests: a
// secured cluster of the built binary (three masters, ZooKeeper, one agent), clients writing
// and reading registry registers and recording every invocation and outcome, the example
// framework launching tasks, and a nemesis injecting faults from a schedule drawn from the
// seed. Then everything is healed, the final state is read, and the checkers run:
// linearizability of every register, no acknowledged write lost, no phantom, one leader acting
// at a time, every task terminal, a leader back after every fault. It prints a table and, last,
// one JSON line of figures; it exits 1 on any violation, leaving the run's directory (history,
// logs, seed) in place. `--seed N` replays the same fault schedule.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { formatTable } from "../bench/systems/types.ts";
import { checkHistory, type Violation } from "./checker.ts";
import { ChaosCluster, ROOT } from "./cluster.ts";
import { HistoryFile, parseHistory } from "./history.ts";
import { CLOCK_FAULTS, DISK_FAULTS, type Fault, type FaultKind, type FaultRecord, Faults, HEAL_WAIT_MS, NETWORK_FAULTS, PROCESS_FAULTS, schedule } from "./nemesis.ts";
import { Clocks } from "./clock.ts";
import { mountWorkDirs, MOUNT_NAMESPACE_ENV, unmountWorkDirs } from "./disk.ts";
import { Netns } from "./netns.ts";
import { healthyLeader, leader } from "./probe.ts";
import { Prng } from "../../host/sim/prng.ts";
import { runFrameworks, type TaskSummary } from "./tasks.ts";
import { Workload } from "./workload.ts";

interface Options {
  seed: number;
  fault_ms: number;
  clients: number;
  binary: string;
  keep: boolean;
  kinds: FaultKind[];
}

function options(argv: string[]): Options {
  const value = (name: string): string | undefined => {
    const at = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
    if (at < 0) return undefined;
    return argv[at]!.includes("=") ? argv[at]!.slice(name.length + 3) : argv[at + 1];
  };
  const number = (name: string, fallback: number, ok: (n: number) => boolean): number => {
    const text = value(name);
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!ok(n)) throw new Error(`--${name}: '${text}' is not valid`);
    return n;
  };
  const known = ["--seed", "--minutes", "--quick", "--clients", "--binary", "--keep", "--faults"];
  for (const a of argv) if (a.startsWith("--") && !known.some((k) => a === k || a.startsWith(`${k}=`))) throw new Error(`${a.split("=")[0]}: unknown flag`);
  const minutes = argv.includes("--quick") ? 1.25 : number("minutes", 3, (n) => n > 0 && n <= 24 * 60);
  return {
    seed: number("seed", Math.floor(Math.random() * 2 ** 31), (n) => Number.isInteger(n) && n >= 0 && n < 2 ** 32),
    fault_ms: minutes * 60_000,
    clients: number("clients", 6, (n) => Number.isInteger(n) && n >= 1 && n <= 64),
    binary: resolve(value("binary") ?? join(ROOT, "dist", "mesos")),
    keep: argv.includes("--keep"),
    kinds: faultKinds(value("faults")),
  };
}

/** --faults=a,b: only these kinds (for a mutation test or to chase one fault); default every kind. */
function faultKinds(list: string | undefined): FaultKind[] {
  const all: FaultKind[] = [...PROCESS_FAULTS, ...NETWORK_FAULTS, ...DISK_FAULTS, ...CLOCK_FAULTS];
  if (list === undefined) return all;
  const kinds = list.split(",");
  for (const kind of kinds) if (!all.includes(kind as FaultKind)) throw new Error(`--faults: unknown fault '${kind}' (known: ${all.join(", ")})`);
  return kinds as FaultKind[];
}

async function nemesis(cluster: ChaosCluster, faults: Fault[], clock: () => number, records: FaultRecord[]): Promise<string[]> {
  const injector = new Faults(cluster, () => leader(cluster));
  const liveness: string[] = [];
  for (const fault of faults) {
    while (clock() < fault.at_ms) await Bun.sleep(20);
    const started_ms = clock();
    const applied = await injector.apply(fault).catch((error: Error) => error);
    if (applied === null || applied instanceof Error) {
      const why = applied === null ? "no such member now" : applied.message;
      console.log(`${(started_ms / 1000).toFixed(1).padStart(7)} s  ${fault.kind.padEnd(18)} not injected: ${why}`);
      continue;
    }
    await Bun.sleep(fault.duration_ms);
    await applied.heal();
    const healed_ms = clock();
    const back = await healthyLeader(cluster, HEAL_WAIT_MS);
    const recovery_ms = back === null ? null : clock() - healed_ms;
    if (recovery_ms === null) liveness.push(`no leader answered a registry read within ${HEAL_WAIT_MS / 1000} s of healing ${fault.kind} (${applied.target}) at ${healed_ms.toFixed(0)} ms`);
    records.push({ ...fault, started_ms, target: applied.target, recovery_ms });
    console.log(`${(started_ms / 1000).toFixed(1).padStart(7)} s  ${fault.kind.padEnd(18)} ${applied.target.padEnd(44)} ${fault.duration_ms} ms; leader back ${recovery_ms === null ? "NEVER" : `${recovery_ms.toFixed(0)} ms`} after heal`);
  }
  return liveness;
}

async function main(): Promise<number> {
  const o = options(process.argv.slice(2));
  const others = process.argv.slice(2).filter((a, i, all) => !a.startsWith("--seed") && all[i - 1] !== "--seed");
  console.log(`chaos: seed ${o.seed} (replay with: npm run chaos -- --seed ${o.seed}${others.map((a) => ` ${a}`).join("")})`);
  const dir = mkdtempSync(join(tmpdir(), `mesos-chaos-${o.seed}-`));
  writeFileSync(join(dir, "seed"), `${o.seed}\n`);
  // Separate streams for the nemesis and the clients: the clients' draws never shift the fault schedule.
  const fault_random = new Prng(o.seed);
  const client_random = new Prng((o.seed ^ 0x5bd1e995) >>> 0);
  const WARMUP_MS = 3_000;
  const chosen = (list: readonly string[]) => o.kinds.some((k) => list.includes(k));
  const netns = chosen(NETWORK_FAULTS) ? Netns.create(["m1", "m2", "m3", "agent"]) : "none chosen";
  if (typeof netns === "string") console.log(`network faults off: ${netns}; masters on loopback`);
  else console.log(`network namespaces: masters ${["m1", "m2", "m3"].map((m) => netns.ip(m)).join(", ")}, agent ${netns.ip("agent")}, ZooKeeper and clients ${netns.bridge_ip}`);
  const cluster = await ChaosCluster.create(dir, o.binary, typeof netns === "string" ? null : netns);
  const disks = chosen(DISK_FAULTS) ? mountWorkDirs(dir, cluster.masters.map((m) => m.work_dir)) : "none chosen";
  console.log(disks === null ? "work dirs: an ext4 file system of 1 GiB each, on loop devices" : `disk-full faults off: ${disks}`);
  const clocks = chosen(CLOCK_FAULTS) ? Clocks.create(dir) : "none chosen";
  if (typeof clocks === "string") console.log(`clock faults off: ${clocks}`);
  else cluster.clocks = clocks;
  const off = [...(typeof netns === "string" ? NETWORK_FAULTS : []), ...(disks !== null ? DISK_FAULTS : []), ...(typeof clocks === "string" ? CLOCK_FAULTS : [])] as string[];
  const kinds = o.kinds.filter((k) => !off.includes(k));
  if (kinds.length === 0) throw new Error("none of the chosen faults can be injected here");
  const faults = schedule(fault_random, kinds, WARMUP_MS, WARMUP_MS + o.fault_ms);
  const history = new HistoryFile(join(dir, "history.jsonl"));
  const records: FaultRecord[] = [];
  let code = 1;
  try {
    await cluster.start();
    if ((await healthyLeader(cluster, 60_000)) === null) throw new Error(`no leader within 60 s of starting; logs in ${dir}`);
    const started_ms = performance.now();
    const clock = () => performance.now() - started_ms;
    const workload = new Workload(cluster, history, client_random, started_ms);
    const end_ms = WARMUP_MS + o.fault_ms;
    const [, liveness, tasks] = await Promise.all([
      workload.run(o.clients, end_ms, 5),
      nemesis(cluster, faults, clock, records),
      runFrameworks(cluster, dir, () => clock() < end_ms),
    ]);
    // Healed: the last word on every register comes from a leader after the faults.
    if (!(await workload.finalReads(clock() + HEAL_WAIT_MS))) liveness.push("the final reads found no leader answering");
    history.flush();
    code = verdict(dir, o, records, workload.counts, tasks, liveness);
  } finally {
    history.flush();
    await cluster.stop();
    if (disks === null) unmountWorkDirs(cluster.masters.map((m) => m.work_dir));
  }
  if (code === 0 && !o.keep) rmSync(dir, { recursive: true, force: true });
  return code;
}

function verdict(dir: string, o: Options, records: FaultRecord[], counts: Record<string, number>, tasks: TaskSummary, liveness: string[]): number {
  const ops = parseHistory(readFileSync(join(dir, "history.jsonl"), "utf8"));
  const started = performance.now();
  const violations: Violation[] = [...checkHistory(ops), ...liveness.map((detail): Violation => ({ kind: "liveness", key: "-", detail })),
    ...tasks.stuck.map((detail): Violation => ({ kind: "tasks", key: "-", detail }))];
  const check_ms = performance.now() - started;
  const by_kind = new Map<string, number>();
  for (const r of records) by_kind.set(r.kind, (by_kind.get(r.kind) ?? 0) + 1);
  const recoveries = records.flatMap((r) => (r.recovery_ms === null ? [] : [r.recovery_ms])).sort((a, b) => a - b);
  const writes = ops.filter((op) => op.kind === "write");
  const count = (outcome: string) => writes.filter((op) => op.outcome === outcome).length;
  console.log(`\nfaults by kind: ${[...by_kind].map(([k, n]) => `${k} ${n}`).join(", ")}`);
  console.log(formatTable(["seed", "faults", "operations", "writes ok", "writes failed", "writes unknown", "reads ok", "tasks finished", "violations"], [[
    String(o.seed), String(records.length), String(counts.ok! + counts.fail! + counts.unknown!), String(count("ok")), String(count("fail")),
    String(count("unknown")), String(ops.length - writes.length), `${tasks.tasks_finished}/${tasks.tasks_launched}`, String(violations.length),
  ]]));
  writeFileSync(join(dir, "violations.json"), JSON.stringify(violations, null, 1));
  writeFileSync(join(dir, "faults.json"), JSON.stringify(records, null, 1));
  for (const v of violations.slice(0, 20)) console.log(`VIOLATION ${v.kind} ${v.key}: ${v.detail}`);
  if (violations.length > 20) console.log(`… and ${violations.length - 20} more`);
  const failed = violations.length > 0;
  console.log(failed ? `history, logs and seed kept in ${dir}` : `checked ${ops.length} operations in ${check_ms.toFixed(0)} ms; no violation`);
  console.log(JSON.stringify({
    seed: o.seed, faults_injected: records.length, operations: counts.ok! + counts.fail! + counts.unknown!, writes_ok: count("ok"),
    writes_failed: count("fail"), writes_unknown: count("unknown"), tasks_finished: tasks.tasks_finished, violations: violations.length,
    recovery_ms_p50: recoveries[Math.floor(recoveries.length / 2)] ?? null, recovery_ms_max: recoveries.at(-1) ?? null, check_ms: Math.round(check_ms),
  }));
  return failed ? 1 : 0;
}

/**
 * As root, the run re-executes itself in a private mount namespace of its own (`unshare -m`), so
 * the file systems it mounts for disk faults vanish with it however it ends.
 */
function inOwnMountNamespace(): number | null {
  if (process.getuid?.() !== 0 || process.env[MOUNT_NAMESPACE_ENV] === "1" || Bun.which("unshare") === null) return null;
  const child = Bun.spawnSync(["unshare", "-m", "--propagation", "private", process.execPath, ...process.argv.slice(1)], {
    env: { ...process.env, [MOUNT_NAMESPACE_ENV]: "1" }, stdio: ["inherit", "inherit", "inherit"],
  });
  return child.exitCode ?? 1;
}

const relaunched = inOwnMountNamespace();
if (relaunched !== null) process.exit(relaunched);

process.exit(await main().catch((error) => {
  console.error(`chaos: ${(error as Error).message}`);
  return 2;
}));
