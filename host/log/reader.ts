// Mesos's replica read semantics over a store's contents (Replica::read, Log::Reader::read):
// `mesos-log read`, the simulator's checkers and (next) registry fetches share it. Every position in
// [from, to] must be learned; truncated and future positions are errors with Mesos's text.
import { ActionType, type Action } from "../codec/index.ts";
import type { DurableView } from "../storage/memory.ts";

export class ReadError extends Error {
  override name = "ReadError";
}

/** begin and end as Mesos computes them at restore (reference §3.2). */
export function bounds(view: DurableView): { begin: number; end: number } {
  let begin = 0;
  let end = 0;
  for (const a of view.actions.values()) {
    end = Math.max(end, a.position);
    if (!a.learned) continue;
    if (a.type === ActionType.TRUNCATE) begin = Math.max(begin, a.truncateTo ?? 0);
    if (a.type === ActionType.NOP && a.tombstone) begin = Math.max(begin, a.position + 1);
  }
  return { begin, end };
}

/** The learned actions of [from, to]; throws ReadError as Mesos would. */
export function read(view: DurableView, from: number, to: number): Action[] {
  const { begin, end } = bounds(view);
  if (to < from) throw new ReadError("Bad read range (to < from)");
  if (from < begin) throw new ReadError("Bad read range (truncated position)");
  if (end < to) throw new ReadError("Bad read range (past end of log)");
  const out: Action[] = [];
  for (let p = from; p <= to; p++) {
    const a = view.actions.get(p);
    if (!a) throw new ReadError("Bad read range (includes missing entries)");
    if (!a.learned) throw new ReadError("Bad read range (includes pending entries)");
    out.push(a);
  }
  return out;
}

/** Only the appended payloads (Log::Reader returns APPEND entries), as strings. */
export function readAppends(view: DurableView, from: number, to: number): string[] {
  return read(view, from, to)
    .filter((a) => a.type === ActionType.APPEND)
    .map((a) => new TextDecoder().decode(a.payload));
}
