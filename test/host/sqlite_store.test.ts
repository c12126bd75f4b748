// Proves the SQLite replica store keeps exactly what the in-memory reference keeps (random
// record sequences), survives reopen, never serves a corrupt record, loses nothing stored when
// the disk is full, and opens cleanly after a SIGKILL with a torn WAL tail.
import { afterAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ActionType, decodeRecords, encodeRecord, Kind, type StoredRecord } from "../../host/codec/index.ts";
import { MemoryStore } from "../../host/storage/memory.ts";
import { CorruptStore, SqliteStore, StoreFailure, StoreFull } from "../../host/storage/sqlite.ts";

const dir = mkdtempSync(join(tmpdir(), "sqlite-store-"));
let files = 0;
const freshPath = () => join(dir, `replica-${++files}.db`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function append(position: number, proposal: number, text: string, learned = false): StoredRecord {
  return {
    kind: Kind.Action,
    action: { position, promised: proposal, performed: proposal, learned, tombstone: false, type: ActionType.APPEND, payload: new TextEncoder().encode(text) },
  };
}

const metadata = (status: number, promised: number): StoredRecord => ({ kind: Kind.Metadata, status, promised, fenceProposal: 0, fencePosition: 0 });

function blob(records: StoredRecord[]): Uint8Array {
  const parts = records.map(encodeRecord);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

const loaded = (store: { load(): Uint8Array[] }) => store.load().flatMap((b) => decodeRecords(b));

describe("contents", () => {
  const record = fc.oneof(
    fc.record({ kind: fc.constant("meta" as const), status: fc.integer({ min: 1, max: 4 }), promised: fc.integer({ min: 0, max: 2 ** 40 }) }),
    fc.record({ kind: fc.constant("append" as const), position: fc.integer({ min: 0, max: 40 }), proposal: fc.integer({ min: 1, max: 50 }), text: fc.string({ maxLength: 20 }), learned: fc.boolean() }),
    fc.record({ kind: fc.constant("learn" as const), first: fc.integer({ min: 0, max: 40 }), count: fc.integer({ min: 1, max: 5 }), proposal: fc.integer({ min: 1, max: 50 }) }),
    fc.record({ kind: fc.constant("erase" as const), to: fc.integer({ min: 0, max: 40 }) }),
  );
  type Generated = typeof record extends fc.Arbitrary<infer T> ? T : never;
  const toRecord = (r: Generated): StoredRecord =>
    r.kind === "meta" ? metadata(r.status, r.promised)
      : r.kind === "append" ? append(r.position, r.proposal, r.text, r.learned)
        : r.kind === "learn" ? { kind: Kind.Learn, proposal: r.proposal, first: r.first, count: r.count }
          : { kind: Kind.Erase, to: r.to };

  test("after any sequence of batches the store loads what the in-memory reference loads", () => {
    fc.assert(fc.property(fc.array(fc.array(record, { minLength: 1, maxLength: 6 }), { maxLength: 12 }), (batches) => {
      const path = freshPath();
      const sqlite = SqliteStore.open(path);
      const memory = new MemoryStore();
      for (const batch of batches) {
        const bytes = blob(batch.map(toRecord));
        sqlite.persist(bytes, true);
        memory.persist(bytes.slice(), true);
      }
      expect(loaded(sqlite)).toEqual(loaded(memory));
      sqlite.close();
      const reopened = SqliteStore.open(path);
      expect(loaded(reopened)).toEqual(loaded(memory));
      reopened.close();
    }), { numRuns: 60 });
  });

  test("unsynced batches are stored too, and a later synced one makes them durable", () => {
    const path = freshPath();
    const store = SqliteStore.open(path);
    store.persist(blob([metadata(1, 3), append(1, 3, "a")]), false);
    store.persist(blob([append(2, 3, "b")]), true);
    expect(store.syncs).toBe(1);
    store.close();
    const reopened = SqliteStore.open(path);
    expect(loaded(reopened).length).toBe(3);
    reopened.close();
  });

  test("positions up to 2^53 - 1 round-trip", () => {
    const store = SqliteStore.open(freshPath());
    const top = Number.MAX_SAFE_INTEGER;
    store.persist(blob([append(top, 1, "last"), append(2 ** 32 + 5, 1, "mid")]), true);
    const positions = loaded(store).map((r) => (r.kind === Kind.Action ? r.action.position : -1));
    expect(positions).toEqual([2 ** 32 + 5, top]);
    store.close();
  });
});

describe("corruption is never served", () => {
  test("a flipped byte in a stored record fails its checksum, naming the position", () => {
    const path = freshPath();
    const store = SqliteStore.open(path);
    store.persist(blob([metadata(1, 2), append(1, 2, "hello"), append(2, 2, "world")]), true);
    const row = (store as unknown as { db: import("bun:sqlite").Database }).db.query("SELECT frame FROM actions WHERE position = 2").values()[0]![0] as Uint8Array;
    const damaged = row.slice();
    damaged[damaged.length - 6]! ^= 0x01;
    (store as unknown as { db: import("bun:sqlite").Database }).db.query("UPDATE actions SET frame = ? WHERE position = 2").run(damaged);
    expect(() => store.load()).toThrow(CorruptStore);
    expect(() => store.load()).toThrow(/position 2/);
    store.close();
  });

  test("a flipped byte in the file itself is caught at open or load, never returned", () => {
    const path = freshPath();
    const store = SqliteStore.open(path);
    const marker = "PAYLOAD-MARKER-0123456789";
    store.persist(blob([metadata(1, 2), append(1, 2, marker)]), true);
    store.close(); // checkpoints the WAL into the main file
    const bytes = readFileSync(path);
    const at = bytes.indexOf(Buffer.from(marker));
    expect(at).toBeGreaterThan(0);
    bytes[at + 3]! ^= 0x20;
    writeFileSync(path, bytes);
    let served: StoredRecord[] | null = null;
    try {
      const reopened = SqliteStore.open(path);
      try { served = loaded(reopened); } finally { reopened.close(); }
    } catch (error) {
      expect(error).toBeInstanceOf(CorruptStore);
    }
    expect(served).toBeNull();
  });

  test("256 bytes XORed at a page boundary mid-file (issue #14): CorruptStore at open or load, never an SQLiteError", () => {
    const path = freshPath();
    const store = SqliteStore.open(path);
    for (let i = 1; i <= 400; i++) store.persist(blob([append(i, 2, `entry ${i} `.repeat(40))]), i % 50 === 0);
    store.close();
    const bytes = readFileSync(path);
    const page = 4096;
    const middle = Math.floor(bytes.length / page / 2) * page;
    expect(middle).toBeGreaterThan(page);
    for (let i = middle - 128; i < middle + 128; i++) bytes[i]! ^= 0x5a;
    writeFileSync(path, bytes);
    let failure: unknown = null;
    try {
      const reopened = SqliteStore.open(path);
      try { reopened.load(); } finally { reopened.close(); }
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(CorruptStore);
    expect((failure as Error).message).toContain(path);
  });

  test("a file that cannot be opened for another reason is a StoreFailure, not corruption: it is never moved aside", () => {
    const path = freshPath();
    mkdirSync(path); // a directory where the file should be: SQLITE_CANTOPEN, the path is not damaged
    let failure: unknown = null;
    try {
      SqliteStore.open(path).close();
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(StoreFailure);
    expect(failure).not.toBeInstanceOf(CorruptStore);
    expect((failure as Error).message).toMatch(new RegExp(`^${path}: open failed: .*SQLITE_CANTOPEN`));
  });

  test("quarantine moves the damaged file aside so a fresh replica starts empty", () => {
    const path = freshPath();
    const store = SqliteStore.open(path);
    store.persist(blob([metadata(1, 2)]), true);
    store.close();
    const aside = SqliteStore.quarantine(path, 42);
    expect(aside).toBe(`${path}.corrupt-42`);
    expect(existsSync(aside)).toBe(true);
    const fresh = SqliteStore.open(path);
    expect(fresh.load()).toEqual([]);
    fresh.close();
  });
});

describe("faults", () => {
  test("a full disk fails the batch with StoreFull naming the file and damages nothing stored", () => {
    const path = freshPath();
    const store = SqliteStore.open(path, { max_page_count: 64 });
    const big = "x".repeat(3000);
    const stored: number[] = [];
    let error: unknown = null;
    for (let position = 1; position <= 400 && error === null; position++) {
      try {
        store.persist(blob([append(position, 1, big)]), true);
        stored.push(position);
      } catch (e) {
        error = e;
      }
    }
    expect(error).toBeInstanceOf(StoreFull);
    expect(String(error)).toContain(path);
    store.close();
    const reopened = SqliteStore.open(path);
    const positions = loaded(reopened).map((r) => (r.kind === Kind.Action ? r.action.position : -1));
    expect(positions).toEqual(stored);
    reopened.close();
  });

  test("after SIGKILL, a torn WAL tail loses only the last unfinished commit", async () => {
    const path = freshPath();
    const script = join(dir, "writer.ts");
    writeFileSync(script, `
      import { SqliteStore } from ${JSON.stringify(join(import.meta.dir, "../../host/storage/sqlite.ts"))};
      import { ActionType, encodeRecord, Kind } from ${JSON.stringify(join(import.meta.dir, "../../host/codec/index.ts"))};
      const store = SqliteStore.open(${JSON.stringify(path)});
      for (let p = 1; p <= 50; p++) {
        store.persist(encodeRecord({ kind: Kind.Action, action: { position: p, promised: 1, performed: 1, learned: false, tombstone: false, type: ActionType.APPEND, payload: new Uint8Array(200).fill(p) } }), true);
      }
      process.kill(process.pid, "SIGKILL");
    `);
    const child = Bun.spawn([process.execPath, script], { stdout: "ignore", stderr: "ignore" });
    expect(await child.exited).not.toBe(0);
    const wal = `${path}-wal`;
    expect(statSync(wal).size).toBeGreaterThan(0);
    truncateSync(wal, statSync(wal).size - 100); // tear the last frame
    const store = SqliteStore.open(path);
    const positions = loaded(store).map((r) => (r.kind === Kind.Action ? r.action.position : -1));
    store.close();
    expect(positions.length).toBeGreaterThanOrEqual(49);
    expect(positions).toEqual(Array.from({ length: positions.length }, (_, i) => i + 1));
  });
});
