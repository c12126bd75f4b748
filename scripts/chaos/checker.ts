// The chaos suite's checkers over a history of register operations (one register per key,
// each write's value unique to its key):
// - linearizability, key by key (linearizability is local: a history is linearizable iff each
//   object's is), by the Wing & Gong search with Lowe's memoisation as Porcupine does it;
// - plainer names for the two ways it fails that matter most: an acknowledged write lost (a
//   later read saw an older value) and a phantom (a read saw a value nobody wrote, or one whose
//   write was refused);
// - fencing: at most one leader acting at a time. A master incarnation leads at most once
//   (Mesos's masters exit when they lose leadership), so two incarnations whose acknowledged
//   writes interleave in real time (I, then J, then I again) both acted as leader at once.
import type { Op } from "./history.ts";

export interface Violation {
  kind: "lost" | "phantom" | "not-linearizable" | "fencing" | "inconclusive" | "liveness" | "tasks";
  key: string;
  detail: string;
}

/** Search steps one key may take before the answer is "inconclusive" (never "fine"). */
const STEPS_MAX = 20_000_000;

export function checkHistory(ops: readonly Op[]): Violation[] {
  const violations: Violation[] = [];
  for (const [key, list] of byKey(ops)) {
    violations.push(...lostAndPhantom(key, list));
    const verdict = linearizable(list);
    if (verdict === "no") violations.push({ kind: "not-linearizable", key, detail: `no order of ${key}'s ${list.length} operations explains every read` });
    if (verdict === "budget") violations.push({ kind: "inconclusive", key, detail: `search for ${key} exceeded ${STEPS_MAX} steps` });
  }
  violations.push(...fencing(ops));
  return violations;
}

function byKey(ops: readonly Op[]): Map<string, Op[]> {
  const keys = new Map<string, Op[]>();
  for (const op of ops) {
    let list = keys.get(op.key);
    if (list === undefined) keys.set(op.key, (list = []));
    list.push(op);
  }
  return keys;
}

function lostAndPhantom(key: string, ops: readonly Op[]): Violation[] {
  const writes = new Map<number, Op>();
  for (const op of ops) if (op.kind === "write" && op.value !== null) writes.set(op.value, op);
  const acked = ops.filter((op) => op.kind === "write" && op.outcome === "ok").sort((a, b) => a.complete_ms! - b.complete_ms!);
  // latest_start[i]: the latest start among the first i+1 acknowledged writes to end.
  const latest_start: number[] = [];
  for (const [i, w] of acked.entries()) latest_start.push(Math.max(w.invoke_ms, i > 0 ? latest_start[i - 1]! : -Infinity));
  const out: Violation[] = [];
  for (const read of ops) {
    if (read.kind !== "read" || read.outcome !== "ok") continue;
    const source = read.value === null ? null : writes.get(read.value);
    if (read.value !== null && (source === undefined || source!.outcome === "fail")) {
      out.push({ kind: "phantom", key, detail: `read #${read.id} saw ${read.value}, ${source === undefined ? "which no client wrote" : `whose write #${source!.id} was refused`}` });
      continue;
    }
    // An acknowledged write that ended before this read began, and started after the write
    // the read saw had ended, must have overwritten what the read saw.
    const seen_end = source === null ? -Infinity : source!.complete_ms ?? Infinity;
    const ended = endedBefore(acked, read.invoke_ms);
    if (ended > 0 && latest_start[ended - 1]! > seen_end) {
      const newer = acked.slice(0, ended).find((w) => w.invoke_ms > seen_end)!;
      out.push({ kind: "lost", key, detail: `write #${newer.id} of ${newer.value} was acknowledged at ${newer.complete_ms!.toFixed(1)} ms, but read #${read.id} from ${read.invoke_ms.toFixed(1)} ms saw ${read.value ?? "nothing"}` });
    }
  }
  return out;
}

/** How many of `acked` (sorted by completion) completed before `time_ms`. */
function endedBefore(acked: readonly Op[], time_ms: number): number {
  let low = 0;
  let high = acked.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (acked[mid]!.complete_ms! < time_ms) low = mid + 1;
    else high = mid;
  }
  return low;
}

interface Entry {
  op: number;
  call: boolean;
  time: number;
  match: Entry | null;
  prev: Entry | null;
  next: Entry | null;
}

/**
 * "yes", "no" or "budget". Failed writes and failed reads are left out (they did nothing);
 * unknown writes end at +infinity, and those whose value no read saw are left out too: such a
 * write can always be taken as never applied, which changes no read.
 */
export function linearizable(all: readonly Op[]): "yes" | "no" | "budget" {
  const seen = new Set<number>();
  for (const op of all) if (op.kind === "read" && op.outcome === "ok" && op.value !== null) seen.add(op.value);
  const ops = all.filter((op) => op.outcome === "ok" || (op.outcome === "unknown" && op.kind === "write" && seen.has(op.value!)));
  const head = entries(ops);
  const zobrist = ops.map((_, i) => [mix(i * 2 + 1), mix(i * 2 + 2)] as const);
  const cache = new Set<string>();
  const stack: { entry: Entry; state: number | null }[] = [];
  let state: number | null = null;
  let h1 = 0;
  let h2 = 0;
  let entry = head.next;
  for (let steps = 0; head.next !== null; steps++) {
    if (steps > STEPS_MAX) return "budget";
    if (entry!.call) {
      const op = ops[entry!.op]!;
      const ok = op.kind === "write" || op.value === state;
      const next_state: number | null = op.kind === "write" ? op.value : state;
      const [z1, z2] = zobrist[entry!.op]!;
      const key = `${(h1 ^ z1) >>> 0}:${(h2 ^ z2) >>> 0}:${next_state}`;
      if (ok && !cache.has(key)) {
        cache.add(key);
        stack.push({ entry: entry!, state });
        state = next_state;
        h1 ^= z1;
        h2 ^= z2;
        lift(entry!);
        entry = head.next;
        continue;
      }
      entry = entry!.next;
      continue;
    }
    // A return whose call is not linearized yet: undo the last choice and try the next.
    const top = stack.pop();
    if (top === undefined) return "no";
    state = top.state;
    const [z1, z2] = zobrist[top.entry.op]!;
    h1 ^= z1;
    h2 ^= z2;
    unlift(top.entry);
    entry = top.entry.next;
  }
  return "yes";
}

/** Calls and returns in time order (at equal times calls first: overlapping is the lenient reading). */
function entries(ops: readonly Op[]): Entry {
  const list: Entry[] = [];
  ops.forEach((op, i) => {
    const call: Entry = { op: i, call: true, time: op.invoke_ms, match: null, prev: null, next: null };
    const ret: Entry = { op: i, call: false, time: op.outcome === "ok" ? op.complete_ms! : Infinity, match: null, prev: null, next: null };
    call.match = ret;
    list.push(call, ret);
  });
  list.sort((a, b) => a.time - b.time || (a.call === b.call ? 0 : a.call ? -1 : 1));
  const head: Entry = { op: -1, call: false, time: -Infinity, match: null, prev: null, next: null };
  let last = head;
  for (const e of list) {
    last.next = e;
    e.prev = last;
    last = e;
  }
  return head;
}

function lift(call: Entry): void {
  call.prev!.next = call.next;
  if (call.next !== null) call.next.prev = call.prev;
  const ret = call.match!;
  ret.prev!.next = ret.next;
  if (ret.next !== null) ret.next.prev = ret.prev;
}

function unlift(call: Entry): void {
  const ret = call.match!;
  ret.prev!.next = ret;
  if (ret.next !== null) ret.next.prev = ret;
  call.prev!.next = call;
  if (call.next !== null) call.next.prev = call;
}

/** A well-mixed 32-bit value of `n` (splitmix32's finaliser), for Zobrist hashing. */
function mix(n: number): number {
  let z = (n * 0x9e3779b9) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/** Incarnations I ≠ J with an acknowledged write of I, then one of J, then one of I, none overlapping. */
export function fencing(ops: readonly Op[]): Violation[] {
  const acts = new Map<string, Op[]>();
  for (const op of ops) {
    if (op.kind !== "write" || op.outcome !== "ok" || op.incarnation === null) continue;
    let list = acts.get(op.incarnation);
    if (list === undefined) acts.set(op.incarnation, (list = []));
    list.push(op);
  }
  const out: Violation[] = [];
  for (const [i, mine] of acts) {
    const first_end = Math.min(...mine.map((op) => op.complete_ms!));
    const last_start = Math.max(...mine.map((op) => op.invoke_ms));
    for (const [j, theirs] of acts) {
      if (i === j) continue;
      const between = theirs.find((op) => op.invoke_ms > first_end && op.complete_ms! < last_start);
      if (between !== undefined) {
        out.push({ kind: "fencing", key: between.key, detail: `${i} acknowledged writes before and after ${j} acknowledged write #${between.id} (${between.invoke_ms.toFixed(1)}–${between.complete_ms!.toFixed(1)} ms)` });
      }
    }
  }
  return out;
}
