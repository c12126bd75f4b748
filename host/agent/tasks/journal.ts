// Where the agent's task checkpoints go (checkpoint.ts's rule: durable before anything depends on
// them). Two stores behind one interface:
//  - fileStore: one JSON file per location, written atomically and fsynced on every write (the
//    layout under <work_dir>/meta/ that Mesos uses); durable when write() returns.
//  - Journal: one append-only log per agent, <work_dir>/meta/slaves/<agent>/tasks.journal, of
//    `[key, value]` lines (value null: the key is gone). Writes made during one event-loop turn
//    are coalesced per key and committed together at the end of the turn — one write() and one
//    fdatasync() — and only then do the callbacks given to whenDurable() run (the status update
//    manager sends through them: an update is on disk before it is on the wire). When the log
//    holds many more records than live keys it is rewritten (to a temporary file, fsynced,
//    renamed, the directory fsynced). Replay takes the last value of each key; a torn last line
//    (a crash mid-commit, whose callbacks never ran) is ignored, and the log is rewritten clean
//    when opened. A failed commit keeps its writes and callbacks and is tried again later.
import { closeSync, existsSync, fdatasyncSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { logger } from "../../logging.ts";
import { writeJsonAtomic } from "./checkpoint.ts";

const log = logger("journal.ts");

export interface CheckpointStore {
  /** Records `value` at `location` (null: removes it). */
  write(location: string, value: unknown): void;
  /** Runs `fn` once every write made so far is durable (at once when it is already). */
  whenDurable(fn: () => void): void;
}

/** One atomically rewritten JSON file per location; synchronous. */
export const fileStore: CheckpointStore = {
  write(path, value) {
    if (value === null) rmSync(path, { force: true });
    else writeJsonAtomic(path, value);
  },
  whenDurable(fn) {
    fn();
  },
};

/** Records appended before a rewrite is considered, and the live keys' multiple that triggers one. */
const COMPACT_MIN_RECORDS = 20_000;
const COMPACT_FACTOR = 4;
const RETRY_MS = 1000;

export class Journal implements CheckpointStore {
  readonly counters = { commits: 0, records: 0, compactions: 0, failures: 0 };
  private fd: number;
  /** Key → its value's JSON, as committed. */
  private readonly live = new Map<string, string>();
  private pending = new Map<string, string | null>();
  private waiting: (() => void)[] = [];
  private scheduled = false;
  private failed = false;
  private closed = false;
  private appended = 0;

  /** Opens (creating) the journal at `path`, replaying what it holds; see entries(). */
  constructor(readonly path: string, private readonly schedule: (fn: () => void) => void = (fn) => void setImmediate(fn)) {
    mkdirSync(dirname(path), { recursive: true });
    if (existsSync(path)) this.replay(readFileSync(path, "utf8"));
    this.fd = -1;
    this.rewrite(); // a clean file (no torn tail) holding exactly the live keys
  }

  /** The committed values, parsed. */
  entries(): Map<string, unknown> {
    const out = new Map<string, unknown>();
    for (const [key, json] of this.live) out.set(key, JSON.parse(json));
    return out;
  }

  write(key: string, value: unknown): void {
    if (this.closed) throw new Error(`the journal ${this.path} is closed`);
    this.pending.set(key, value === null || value === undefined ? null : JSON.stringify(value));
    this.arm();
  }

  whenDurable(fn: () => void): void {
    if (this.pending.size === 0 && !this.failed && this.waiting.length === 0) return fn();
    this.waiting.push(fn);
    this.arm();
  }

  /** Commits now; false when the commit failed (it is tried again later). */
  flush(): boolean {
    this.scheduled = false;
    if (this.closed) return false;
    if (this.pending.size > 0) {
      try {
        this.commit();
        this.failed = false;
      } catch (error) {
        this.counters.failures++;
        if (!this.failed) log.error(`Failed to commit ${this.pending.size} task checkpoints to ${this.path}: ${(error as Error).message}; retrying`);
        this.failed = true;
        this.scheduled = true;
        setTimeout(() => this.flush(), RETRY_MS);
        return false;
      }
    }
    const callbacks = this.waiting;
    this.waiting = [];
    for (const fn of callbacks) {
      try {
        fn();
      } catch (error) {
        log.error(`A callback after a journal commit failed: ${(error as Error).message}`);
      }
    }
    return true;
  }

  /** Commits what is pending (callbacks do not run: the caller is stopping) and closes the file. */
  close(): void {
    if (this.closed) return;
    if (this.pending.size > 0) {
      try {
        this.commit();
      } catch (error) {
        log.error(`Failed to commit task checkpoints to ${this.path} while stopping: ${(error as Error).message}`);
      }
    }
    this.waiting = [];
    this.closed = true;
    closeSync(this.fd);
  }

  private arm(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule(() => this.flush());
  }

  private commit(): void {
    const next = new Map(this.live);
    let records = 0;
    let text = "";
    for (const [key, json] of this.pending) {
      if (json === null) {
        if (!next.delete(key)) continue; // never committed: nothing to remove
      } else next.set(key, json);
      text += `[${JSON.stringify(key)},${json ?? "null"}]\n`;
      records++;
    }
    if (this.appended + records > Math.max(COMPACT_MIN_RECORDS, COMPACT_FACTOR * next.size)) {
      this.live.clear();
      for (const [key, json] of next) this.live.set(key, json);
      this.rewrite();
    } else if (records > 0) {
      writeAll(this.fd, text);
      fdatasyncSync(this.fd);
      for (const [key, json] of this.pending) {
        if (json === null) this.live.delete(key);
        else this.live.set(key, json);
      }
      this.appended += records;
    }
    this.pending = new Map();
    this.counters.commits++;
    this.counters.records += records;
  }

  /** Writes the live keys to a fresh file that replaces the journal atomically. */
  private rewrite(): void {
    const temporary = `${this.path}.tmp`;
    const fd = openSync(temporary, "w", 0o644);
    try {
      let text = "";
      for (const [key, json] of this.live) {
        text += `[${JSON.stringify(key)},${json}]\n`;
        if (text.length > 1 << 20) {
          writeAll(fd, text);
          text = "";
        }
      }
      writeAll(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.path);
    const dir = openSync(dirname(this.path), "r");
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = openSync(this.path, "a", 0o644);
    this.appended = 0;
    this.counters.compactions++;
  }

  private replay(text: string): void {
    const lines = text.split("\n");
    for (const [i, line] of lines.entries()) {
      if (line === "") continue;
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch {
        if (i >= lines.length - 2) log.warning(`Ignoring the torn last record of ${this.path} (a commit the agent did not finish)`);
        else log.warning(`Skipping an unreadable record (line ${i + 1}) of ${this.path}`);
        continue;
      }
      if (!Array.isArray(record) || record.length !== 2 || typeof record[0] !== "string") {
        log.warning(`Skipping a malformed record (line ${i + 1}) of ${this.path}`);
        continue;
      }
      if (record[1] === null) this.live.delete(record[0]);
      else this.live.set(record[0], JSON.stringify(record[1]));
    }
  }
}

function writeAll(fd: number, text: string): void {
  const buffer = Buffer.from(text);
  let offset = 0;
  while (offset < buffer.length) offset += writeSync(fd, buffer, offset, buffer.length - offset);
}
