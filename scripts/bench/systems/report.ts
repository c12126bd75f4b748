// The comparison's output: one table (system, concurrency, ops/s, p50, p99, and our ratio to
// each other system when mesos-log ran) and, as the very last line, one JSON object of figures
// with units in the names. Kept apart from compare.ts so it can be exercised with made-up rows.
import { type Summary, formatTable } from "./types.ts";

export const OURS = "mesos-log";
/** Our log with mutual TLS and the log secret: priced against OURS, not compared with the peers. */
export const SECURE = "mesos-log-secure";

export interface Row {
  system: string;
  concurrency: number;
  summary: Summary | null; // null: the run failed
  /** With several rounds: summary is the median round; these are the rest of the story. */
  spread?: { rounds: number; ops_per_s_min: number; ops_per_s_max: number; load_1min_max: number };
}

export interface Settings {
  entry_bytes: number;
  entries_c1: number;
  entries: number;
  deadline_ms: number;
  quick: boolean;
  duration_ms: number;
  rounds: number;
}

/** Targets: ops/s at least 10× both peers at c256 and above (issue 20; issue 4 asked 5×), p50 no worse at c1. */
const TARGET_OPS_RATIO_C256 = 10;
const TARGET_P50_RATIO_C1 = 1;
/** Target of issue 13: with TLS and peer authentication, at least 0.8× the ops/s at c256. */
const TARGET_SECURE_RATIO_C256 = 0.8;
/** Targets of issue 20: c256 ≥ 200,000 appends/s with p99 ≤ 5 ms, and no fall from c64 to c1024. */
const TARGET_OPS_C256 = 200_000;
const TARGET_P99_MS_C256 = 5;

export function fmt(value: number, digits: number): string {
  if (!Number.isFinite(value)) return "-";
  if (digits > 0 && Math.abs(value) < 1) digits++; // sub-millisecond latencies keep three digits
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

const key = (name: string) => name.replace(/-/g, "_");

/** Ours ÷ theirs for ops/s, theirs ÷ ours for p50: above 1 means mesos-log is better. */
function ratios(rows: Row[], row: Row): { ops: number; p50: number } | null {
  const ours = rows.find((r) => r.system === OURS && r.concurrency === row.concurrency)?.summary;
  const theirs = row.summary;
  if (row.system === OURS || row.system === SECURE || !ours || !theirs) return null;
  return { ops: ours.ops_per_s / theirs.ops_per_s, p50: theirs.latency_ms_p50 / ours.latency_ms_p50 };
}

/** Secure ÷ plain for ops/s, plain ÷ secure for p50 (below 1: what security costs), or null. */
function securityCost(rows: Row[], concurrency: number): { ops: number; p50: number } | null {
  const plain = rows.find((r) => r.system === OURS && r.concurrency === concurrency)?.summary;
  const secure = rows.find((r) => r.system === SECURE && r.concurrency === concurrency)?.summary;
  if (!plain || !secure) return null;
  return { ops: secure.ops_per_s / plain.ops_per_s, p50: plain.latency_ms_p50 / secure.latency_ms_p50 };
}

/** Prints the table, the verdict on the targets (when mesos-log ran), then the JSON line last. */
export function report(rows: Row[], settings: Settings): void {
  const withRatios = rows.some((r) => r.system === OURS && r.summary);
  const rounds = rows.some((r) => (r.spread?.rounds ?? 1) > 1);
  const header = ["system", "concurrency", "ops/s", "p50 ms", "p99 ms"];
  if (rounds) header.push("ops/s min–max", "load 1m");
  if (withRatios) header.push("ops/s: ours÷this", "p50: this÷ours");
  const table = rows.map((row) => {
    const s = row.summary;
    const cells = [row.system, String(row.concurrency), s ? fmt(s.ops_per_s, 0) : "failed", s ? fmt(s.latency_ms_p50, 2) : "-", s ? fmt(s.latency_ms_p99, 2) : "-"];
    if (rounds) cells.push(row.spread ? `${fmt(row.spread.ops_per_s_min, 0)}–${fmt(row.spread.ops_per_s_max, 0)}` : "-", row.spread ? fmt(row.spread.load_1min_max, 2) : "-");
    const r = row.system === SECURE ? securityCost(rows, row.concurrency) : ratios(rows, row);
    if (withRatios) cells.push(r ? `${fmt(r.ops, 2)}×` : "", r ? `${fmt(r.p50, 2)}×` : "");
    return cells;
  });
  const form = settings.quick
    ? `${settings.entries_c1} entries at c1, ${settings.entries} at c64/c256, ≤${settings.deadline_ms / 1000} s per run (--quick)`
    : `${settings.duration_ms / 1000} s per point, ${settings.rounds === 1 ? "one round" : `median of ${settings.rounds} rounds`} (lowest–highest beside it; load 1m: the highest 1-minute load average seen)`;
  console.log(`\n${settings.entry_bytes}-byte entries, 3 members, quorum 2, durable writes; ${form}`);
  console.log(formatTable(header, table));
  if (withRatios) {
    console.log(`ratios above 1× mean mesos-log is better; on ${SECURE} rows they are secure÷plain ops/s and plain÷secure p50 (what TLS and peer authentication cost)`);
    for (const line of verdicts(rows)) console.log(line);
  }
  console.log(JSON.stringify(figures(rows, settings)));
}

function verdicts(rows: Row[]): string[] {
  const lines: string[] = [];
  const ours = (c: number) => rows.find((r) => r.system === OURS && r.concurrency === c)?.summary;
  const c256 = ours(256);
  if (c256) {
    const met = c256.ops_per_s >= TARGET_OPS_C256 && c256.latency_ms_p99 <= TARGET_P99_MS_C256 ? "met" : "NOT met";
    lines.push(`target c256 ≥ ${fmt(TARGET_OPS_C256, 0)} ops/s with p99 ≤ ${TARGET_P99_MS_C256} ms: ${met} (${fmt(c256.ops_per_s, 0)} ops/s, p99 ${fmt(c256.latency_ms_p99, 2)} ms)`);
  }
  const rising = [64, 256, 1024].map(ours).filter((x): x is Summary => x !== undefined);
  if (rising.length === 3) {
    const steady = rising.every((x, i) => i === 0 || x.ops_per_s >= rising[i - 1]!.ops_per_s);
    const ratio = rising[2]!.ops_per_s / rising[0]!.ops_per_s;
    lines.push(`target ops/s does not fall from c64 to c1024: ${steady ? "met" : "NOT met"} (${rising.map((x) => fmt(x.ops_per_s, 0)).join(" → ")}; c1024÷c64 ${fmt(ratio, 2)}×)`);
  }
  const cost = securityCost(rows, 256);
  if (cost) {
    const met = cost.ops >= TARGET_SECURE_RATIO_C256 ? "met" : "NOT met";
    lines.push(`target ops/s with TLS + peer auth ≥ ${TARGET_SECURE_RATIO_C256}× without at c256: ${met} (${fmt(cost.ops, 2)}×)`);
  }
  for (const row of rows) {
    const r = ratios(rows, row);
    if (!r) continue;
    if (row.concurrency >= 256) {
      const met = r.ops >= TARGET_OPS_RATIO_C256 ? "met" : "NOT met";
      lines.push(`target ops/s ≥ ${TARGET_OPS_RATIO_C256}× ${row.system} at c${row.concurrency}: ${met} (${fmt(r.ops, 2)}×)`);
    }
    if (row.concurrency === 1) {
      const met = r.p50 >= TARGET_P50_RATIO_C1 ? "met" : "NOT met";
      lines.push(`target p50 no worse than ${row.system} at c1: ${met} (${fmt(r.p50, 2)}×)`);
    }
  }
  return lines;
}

function figures(rows: Row[], settings: Settings): Record<string, number | null> {
  const out: Record<string, number | null> = { entry_bytes: settings.entry_bytes };
  const round = (x: number, digits: number) => (Number.isFinite(x) ? Number(x.toFixed(digits)) : null);
  for (const row of rows) {
    const name = key(row.system);
    const c = row.concurrency;
    const s = row.summary;
    out[`${name}_ops_per_s_c${c}`] = s ? round(s.ops_per_s, 0) : null;
    out[`${name}_latency_ms_p50_c${c}`] = s ? round(s.latency_ms_p50, 3) : null;
    out[`${name}_latency_ms_p99_c${c}`] = s ? round(s.latency_ms_p99, 3) : null;
    out[`${name}_latency_ms_max_c${c}`] = s ? round(s.latency_ms_max, 3) : null;
    if (row.spread && row.spread.rounds > 1) {
      out[`${name}_ops_per_s_min_c${c}`] = round(row.spread.ops_per_s_min, 0);
      out[`${name}_ops_per_s_max_c${c}`] = round(row.spread.ops_per_s_max, 0);
      out[`${name}_load_avg_1min_max_c${c}`] = round(row.spread.load_1min_max, 2);
    }
    const r = ratios(rows, row);
    if (r) {
      out[`mesos_log_over_${name}_ops_per_s_ratio_c${c}`] = round(r.ops, 2);
      out[`${name}_over_mesos_log_latency_p50_ratio_c${c}`] = round(r.p50, 2);
    }
    const cost = row.system === SECURE ? securityCost(rows, c) : null;
    if (cost) out[`secure_over_plain_ops_per_s_ratio_c${c}`] = round(cost.ops, 3);
  }
  return out;
}
