// The durable replica store: one SQLite file per replica (bun:sqlite, WAL, synchronous=FULL).
// Tables mirror the log's records: one metadata row (status, promised proposal), actions keyed
// by position, LEARN ranges in write order. Each row keeps the record's whole frame, so the
// frame's CRC-32C travels with it and is checked again when the row is read back (a pair
// assertion across the disk). persist() applies one ready() batch in one transaction: with
// `sync` the commit is fsynced (group commit: one fsync per batch, before any message that
// depends on it is sent, which host/loop.ts enforces). A corrupt row is never served: open()
// reports it and the caller decides between starting EMPTY and exiting.
import { Database } from "bun:sqlite";
import { mkdirSync, renameSync } from "node:fs";
import { dirname } from "node:path";
import { concatBytes, FRAME_OVERHEAD, Kind, readFrame } from "../codec/index.ts";
import type { ReplicaStore } from "./types.ts";

/** A stored record failed its checksum or shape; `where` names the row. */
export class CorruptStore extends Error {
  override name = "CorruptStore";
  constructor(readonly path: string, readonly where: string, detail: string) {
    super(`${path}: corrupt record at ${where}: ${detail}`);
  }
}

/**
 * SQLite failed for a reason other than a damaged file (cannot open, locked, I/O error, no
 * permission): the file may be perfectly good, so it is never moved aside; the caller fails fast.
 */
export class StoreFailure extends Error {
  override name = "StoreFailure";
  constructor(readonly path: string, readonly where: string, detail: string) {
    super(`${path}: ${where} failed: ${detail}`);
  }
}

/** SQLite's result codes for a damaged file (SQLITE_CORRUPT and its extended codes, SQLITE_NOTADB). */
const CORRUPTION_CODES = /^SQLITE_(CORRUPT|NOTADB)/;

/** An error of SQLite at `where` as CorruptStore (a damaged file) or StoreFailure (anything else). */
function classified(path: string, where: string, error: unknown): CorruptStore | StoreFailure {
  if (error instanceof CorruptStore || error instanceof StoreFailure) return error;
  const code = (error as { code?: unknown }).code;
  const detail = `${(error as Error).message}${typeof code === "string" ? ` (${code})` : ""}`;
  return typeof code === "string" && CORRUPTION_CODES.test(code) ? new CorruptStore(path, where, detail) : new StoreFailure(path, where, detail);
}

/** The disk (or the file's page budget) is full: nothing of the batch was stored. */
export class StoreFull extends Error {
  override name = "StoreFull";
  constructor(readonly path: string, detail: string) {
    super(`${path}: ${detail}`);
  }
}

const SCHEMA = [
  "CREATE TABLE IF NOT EXISTS metadata (id INTEGER PRIMARY KEY CHECK (id = 0), frame BLOB NOT NULL)",
  "CREATE TABLE IF NOT EXISTS actions (position INTEGER PRIMARY KEY, frame BLOB NOT NULL)",
  "CREATE TABLE IF NOT EXISTS learns (seq INTEGER PRIMARY KEY AUTOINCREMENT, range_end INTEGER NOT NULL, frame BLOB NOT NULL)",
];

export interface SqliteStoreOptions {
  /** Test seam: PRAGMA max_page_count, to model a full disk without a tiny filesystem. */
  max_page_count?: number;
  /** Read only (mesos-log read on a live replica): no schema changes, no checkpoint on close. */
  readonly?: boolean;
}

/** How long a write waits for another process's lock (a reader's snapshot) before failing. */
const BUSY_TIMEOUT_MS = 5000;

export class SqliteStore implements ReplicaStore {
  private readonly db: Database;
  private synchronous: "FULL" | "NORMAL" = "FULL";
  private readonly statements;
  /** Count of fsynced commits, for the entries-per-fsync metric. */
  syncs = 0;

  private readonly readonly: boolean;
  /** A load() result kept for the next load() (see load). */
  private kept: Uint8Array[] | null = null;

  private constructor(readonly path: string, options: SqliteStoreOptions) {
    this.readonly = options.readonly ?? false;
    this.db = this.readonly ? new Database(path, { readonly: true, strict: true }) : new Database(path, { create: true, strict: true });
    this.db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    if (!this.readonly) {
      this.db.exec("PRAGMA journal_mode = WAL");
      this.db.exec("PRAGMA synchronous = FULL");
      if (options.max_page_count !== undefined) this.db.exec(`PRAGMA max_page_count = ${options.max_page_count}`);
      for (const statement of SCHEMA) this.db.exec(statement);
    }
    this.statements = {
      metadata: this.db.prepare("INSERT OR REPLACE INTO metadata (id, frame) VALUES (0, ?)"),
      action: this.db.prepare("INSERT OR REPLACE INTO actions (position, frame) VALUES (?, ?)"),
      learn: this.db.prepare("INSERT INTO learns (range_end, frame) VALUES (?, ?)"),
      eraseActions: this.db.prepare("DELETE FROM actions WHERE position < ?"),
      eraseLearns: this.db.prepare("DELETE FROM learns WHERE range_end <= ?"),
    };
  }

  /**
   * Opens (or creates) the store and checks it with PRAGMA quick_check (load() then checks every
   * frame's checksum). Throws CorruptStore when the file is damaged, whether SQLite reports it
   * while opening, from quick_check's rows or by quick_check itself failing; StoreFailure for
   * any other error. The file is left untouched either way.
   */
  static open(path: string, options: SqliteStoreOptions = {}): SqliteStore {
    if (!options.readonly) mkdirSync(dirname(path), { recursive: true });
    let store: SqliteStore;
    try {
      store = new SqliteStore(path, options);
    } catch (error) {
      throw classified(path, "open", error);
    }
    let check: string[];
    try {
      check = store.db.query("PRAGMA quick_check").values().map((row) => String(row[0]));
    } catch (error) {
      store.closeQuietly();
      throw classified(path, "quick_check", error);
    }
    if (check.length !== 1 || check[0] !== "ok") {
      store.closeQuietly();
      throw new CorruptStore(path, "quick_check", check.slice(0, 3).join("; "));
    }
    return store;
  }

  /** Closes a store that failed its checks: no checkpoint, which would write into the damaged file. */
  private closeQuietly(): void {
    try {
      this.db.close();
    } catch {
      // closing a damaged file can fail too; the caller reports the damage
    }
  }

  /** Moves a damaged file (and its WAL) aside so a fresh, EMPTY replica can start. */
  static quarantine(path: string, now_ms = Date.now()): string {
    const aside = `${path}.corrupt-${now_ms}`;
    for (const suffix of ["", "-wal", "-shm"]) {
      try {
        renameSync(path + suffix, aside + suffix);
      } catch {
        // that file did not exist
      }
    }
    return aside;
  }

  /**
   * Metadata, then actions by position, then LEARN ranges in write order, all verified. With
   * `keep`, the result is also handed to the next load() (once): opening a replica verifies
   * the file and the loop then restores it, and a large file is read once, not twice.
   */
  load(options: { keep?: boolean } = {}): Uint8Array[] {
    if (this.kept !== null) {
      const kept = this.kept;
      this.kept = null;
      return kept;
    }
    let loaded: Uint8Array[];
    try {
      loaded = this.readAll();
    } catch (error) {
      throw classified(this.path, "read", error);
    }
    if (options.keep) this.kept = loaded;
    return loaded;
  }

  private readAll(): Uint8Array[] {
    const frames: Uint8Array[] = [];
    for (const row of this.db.query("SELECT frame FROM metadata").values()) frames.push(this.verified(row[0], "metadata"));
    for (const row of this.db.query("SELECT position, frame FROM actions ORDER BY position").values()) {
      const frame = this.verified(row[1], `position ${row[0]}`);
      if (positionOf(frame) !== Number(row[0])) throw new CorruptStore(this.path, `position ${row[0]}`, "frame holds another position");
      frames.push(frame);
    }
    for (const row of this.db.query("SELECT seq, frame FROM learns ORDER BY seq").values()) frames.push(this.verified(row[1], `learn ${row[0]}`));
    return frames.length > 0 ? [concatBytes(frames)] : [];
  }

  /** Applies one batch of record frames in one transaction; fsynced when `sync`. */
  persist(blob: Uint8Array, sync: boolean): void {
    if (this.readonly) throw new Error(`${this.path} is open read-only`);
    this.kept = null; // a kept load no longer describes the file
    if (blob.length === 0 && !sync) return;
    this.setSynchronous(sync ? "FULL" : "NORMAL");
    try {
      this.db.transaction(() => this.apply(blob)).immediate();
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === "SQLITE_FULL") throw new StoreFull(this.path, "database or disk is full; the batch was not stored");
      throw error;
    }
    if (sync) this.syncs++;
  }

  /** Checkpoints the WAL into the main file (a clean stop leaves one file), then closes. */
  close(): void {
    try {
      if (!this.readonly) this.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    } finally {
      this.db.close();
    }
  }

  /** Files each frame by its header alone (kind, position, range): no payload decoding. */
  private apply(blob: Uint8Array): void {
    const v = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    for (let at = 0; at < blob.length; ) {
      if (blob.length - at < FRAME_OVERHEAD) throw new Error("persist: short frame in batch");
      const total = FRAME_OVERHEAD + v.getUint32(at + 2, true);
      const frame = blob.subarray(at, at + total);
      const kind = blob[at + 1];
      if (kind === Kind.Metadata) this.statements.metadata.run(frame);
      else if (kind === Kind.Action) this.statements.action.run(u64(v, at + 6), frame);
      else if (kind === Kind.Learn) this.statements.learn.run(u64(v, at + 14) + v.getUint32(at + 22, true), frame);
      else if (kind === Kind.Erase) {
        const to = u64(v, at + 6);
        this.statements.eraseActions.run(to);
        this.statements.eraseLearns.run(to);
      } else throw new Error(`persist: unexpected record kind ${kind}`);
      at += total;
    }
  }

  private setSynchronous(mode: "FULL" | "NORMAL"): void {
    // In WAL mode a FULL commit fsyncs the WAL, which also covers earlier NORMAL commits.
    if (mode === this.synchronous) return;
    this.db.exec(`PRAGMA synchronous = ${mode}`);
    this.synchronous = mode;
  }

  private verified(value: unknown, where: string): Uint8Array {
    if (!(value instanceof Uint8Array)) throw new CorruptStore(this.path, where, "not a blob");
    try {
      const frame = readFrame(value, 0);
      if (frame.total !== value.length) throw new Error(`frame is ${frame.total} bytes of a ${value.length}-byte row`);
    } catch (error) {
      throw new CorruptStore(this.path, where, (error as Error).message);
    }
    return value;
  }
}

function u64(v: DataView, at: number): number {
  return v.getUint32(at + 4, true) * 0x100000000 + v.getUint32(at, true);
}

function positionOf(frame: Uint8Array): number {
  return u64(new DataView(frame.buffer, frame.byteOffset, frame.byteLength), 6);
}

