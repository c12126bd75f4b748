// One chaos run's history: every operation a client invoked, when it started and ended (ms on
// the run's monotonic clock) and how it ended, as Jepsen and etcd's robustness tests record
// them. "fail" means certainly not applied (refused before it reached the registry); "unknown"
// means it may or may not have been applied (a timeout, a reset connection, a store failure).
import { appendFileSync, writeFileSync } from "node:fs";

export type Outcome = "ok" | "fail" | "unknown";

/** A register operation on one key: a write of a value unique to its key, or a read of it. */
export interface Op {
  id: number;
  /** The client that invoked it (a client that saw "unknown" continues under a new number). */
  process: number;
  key: string;
  kind: "write" | "read";
  /** The value written, or the value read (null: the key was absent). */
  value: number | null;
  invoke_ms: number;
  /** null while pending and for "unknown" outcomes. */
  complete_ms: number | null;
  outcome: Outcome;
  /** The master (index) that gave the final answer, when one did. */
  master: number | null;
  /** That master's process incarnation at the answer ("m1#3"): each incarnation leads at most once. */
  incarnation: string | null;
  error?: string;
}

/** Appends ops to a JSON-lines file as they complete, so a crashed run still leaves its history. */
export class HistoryFile {
  private lines: string[] = [];

  constructor(readonly path: string) {
    writeFileSync(path, "");
  }

  record(op: Op): void {
    this.lines.push(JSON.stringify(op));
    if (this.lines.length >= 256) this.flush();
  }

  flush(): void {
    if (this.lines.length === 0) return;
    appendFileSync(this.path, `${this.lines.join("\n")}\n`);
    this.lines = [];
  }
}

export function parseHistory(text: string): Op[] {
  return text.split("\n").filter((line) => line.trim() !== "").map((line) => JSON.parse(line) as Op);
}
