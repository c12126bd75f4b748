// The contract between `npm run bench:compare` (scripts/bench/compare.ts) and each system it
// measures, plus the helpers every system shares: the bounded closed-loop load driver,
// percentiles and the table printer.
//
// A system module (scripts/bench/systems/<name>.ts) exports
//     export function create(options: SystemOptions): BenchSystem
// compare.ts calls start() once, run() once per (warm-up, concurrency) with the same Load
// for every system, then stop() in a `finally`. stop() must be safe to call after a failed
// or partial start(), and twice. Servers a system spawns should be registered with
// ./processes.ts (spawnServer) so that they are also killed on SIGINT/SIGTERM and exit.

/** What one run asks for: the same for every system. */
export interface Load {
  /** Operations kept in flight at once (closed loop: a new one starts as one completes). */
  concurrency: number;
  /** Operations to complete; the run stops early when deadline_ms passes. */
  entries: number;
  /** Payload bytes per operation (the log entry, znode data or etcd value). */
  entry_bytes: number;
  /** Wall-clock cap for the run, from its first operation. */
  deadline_ms: number;
  /**
   * When set, the run lasts this long (from its first operation) and `entries` is only a cap:
   * a fixed-duration point, long enough to tell a collapse from a transient.
   */
  duration_ms?: number;
}

/** What one run measured. */
export interface RunResult {
  /** Operations acknowledged as durable by the system (≤ load.entries). */
  ops: number;
  /** From the first operation started to the last one acknowledged. */
  elapsed_ms: number;
  /** One latency per acknowledged operation, in completion order (length === ops). */
  latencies_ms: Float64Array;
}

export interface BenchSystem {
  /** "mesos-log", "zookeeper", "etcd": compare.ts labels rows (JSON keys: _ for -) by module. */
  name: string;
  /** Optional one-line description printed before its runs (version, members, durability). */
  describe?(): string;
  /** Starts all members (three, quorum two) and returns once writes are accepted. */
  start(): Promise<void>;
  /** Runs one load. Typically `return driveLoad(load, (index, payload) => append(...))`. */
  run(load: Load): Promise<RunResult>;
  /** Stops every member and removes its data; idempotent; never throws for "already gone". */
  stop(): Promise<void>;
}

/** What compare.ts hands each system's create(). */
export interface SystemOptions {
  /** A fresh directory for this system's data dirs (same disk for every system); removed by compare.ts. */
  base_dir: string;
}

export type CreateSystem = (options: SystemOptions) => BenchSystem;

/** How long operations still in flight at the deadline may take before the run fails. */
export const STRAGGLER_GRACE_MS = 30_000;

/**
 * One operation: append `payload` durably. `index` is unique within a run (0 ≤ index <
 * entries) and `worker` is the slot (0 ≤ worker < concurrency) issuing it, e.g. to pick a
 * connection. Resolves when the system has acknowledged it; rejects on failure.
 */
export type Operation = (index: number, payload: Uint8Array, worker: number) => Promise<void>;

/**
 * The closed-loop load driver: `concurrency` workers, each starting its next operation as
 * soon as its previous one completes, until `entries` operations are done or the deadline
 * passes (operations already in flight then finish and count; one still pending
 * STRAGGLER_GRACE_MS after the deadline fails the run). The first failure stops all workers,
 * and the run rejects with it once the in-flight operations have settled: a benchmark that
 * silently dropped failures would overstate throughput.
 */
export async function driveLoad(load: Load, operation: Operation): Promise<RunResult> {
  const payload = makePayload(load.entry_bytes);
  const latencies_ms = new Float64Array(load.entries);
  let next = 0;
  let done = 0;
  let failure: unknown = undefined;
  const started = performance.now();
  const until = started + Math.min(load.duration_ms ?? Infinity, load.deadline_ms);
  let last = started;
  const worker = async (slot: number): Promise<void> => {
    // Bounded: each pass claims an index < entries, and the deadline stops it sooner.
    while (failure === undefined && next < load.entries && performance.now() < until) {
      const index = next++;
      const t0 = performance.now();
      try {
        await operation(index, payload, slot);
      } catch (error) {
        if (failure === undefined) failure = error ?? new Error("operation failed");
        return;
      }
      last = performance.now();
      latencies_ms[done++] = last - t0;
    }
  };
  const workers = Math.max(1, Math.min(load.concurrency, load.entries));
  // A watchdog, not a timer per operation (which would tax the fastest system most): an
  // operation that never settles (a hung connection) fails the run STRAGGLER_GRACE_MS after
  // the deadline instead of hanging it.
  let watchdog: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<never>((_, reject) => {
    watchdog = setTimeout(() => reject(new Error(`operations still in flight ${STRAGGLER_GRACE_MS} ms after the ${load.deadline_ms} ms deadline`)), load.deadline_ms + STRAGGLER_GRACE_MS);
  });
  try {
    await Promise.race([Promise.all(Array.from({ length: workers }, (_, slot) => worker(slot))), hung]);
  } finally {
    clearTimeout(watchdog);
    next = load.entries; // a hung run's workers start nothing more
  }
  if (failure !== undefined) throw failure;
  return { ops: done, elapsed_ms: last - started, latencies_ms: latencies_ms.subarray(0, done) };
}

/** Printable, incompressible-looking bytes (a fixed pseudo-random pattern, not zeros). */
export function makePayload(entry_bytes: number): Uint8Array {
  const bytes = new Uint8Array(entry_bytes);
  let x = 0x2545f491;
  for (let i = 0; i < entry_bytes; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    bytes[i] = 0x21 + ((x >>> 0) % 94);
  }
  return bytes;
}

export interface Summary {
  ops: number;
  ops_per_s: number;
  latency_ms_p50: number;
  latency_ms_p99: number;
  /** The slowest operation: explains an ops/s that p50 and p99 do not (a stall). */
  latency_ms_max: number;
}

/** Nearest-rank percentile (0 < p ≤ 100) of latencies, which are sorted in place. */
export function percentile(sorted_ms: Float64Array, p: number): number {
  if (sorted_ms.length === 0) return NaN;
  const rank = Math.min(sorted_ms.length, Math.max(1, Math.ceil((p / 100) * sorted_ms.length)));
  return sorted_ms[rank - 1]!;
}

export function summarize(result: RunResult): Summary {
  const sorted = Float64Array.from(result.latencies_ms).sort();
  const ops_per_s = result.elapsed_ms > 0 ? (result.ops * 1000) / result.elapsed_ms : 0;
  return { ops: result.ops, ops_per_s, latency_ms_p50: percentile(sorted, 50), latency_ms_p99: percentile(sorted, 99), latency_ms_max: percentile(sorted, 100) };
}

/** A plain-text table: first column left-aligned, the others right-aligned. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].map((l) => l.trimEnd()).join("\n");
}
