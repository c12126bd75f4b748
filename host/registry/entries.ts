// What the registrar appends to the replicated log (design: "the log stores operations plus
// periodic snapshots followed by a truncation"). Every APPEND payload is one registry entry:
//   entry    := version:u8 (=1) | kind:u8 | body
//   OPERATIONS (1): body = one batch from codec.encodeBatch (it carries its own CRC-32C)
//   SNAPSHOT   (2): body = index:u32 | count:u32 | total_len:u32 | total_crc32c:u32 | chunk bytes
// A snapshot larger than one log entry is cut into `count` chunks appended back to back; it
// counts only when every chunk arrived in order and the whole checks against total_crc32c.
// Once all chunks are durable the registrar truncates the log to the first chunk, so the log
// holds one snapshot and the operations after it.
import { ByteReader, ByteWriter, concatBytes, crc32c } from "../codec/index.ts";

export const ENTRY_VERSION = 1;
export const EntryKind = { OPERATIONS: 1, SNAPSHOT: 2 } as const;
const SNAPSHOT_HEADER_BYTES = 2 + 16;
/**
 * A snapshot chunk's bytes. Small, because one rides ahead of each batch while a snapshot is
 * written (replay.ts): a 32 MB registry spreads over 128 stores instead of stalling one.
 */
export const SNAPSHOT_CHUNK_BYTES = 256 << 10;

export class RegistryEntryError extends Error {
  override name = "RegistryEntryError";
}

export type RegistryEntry =
  | { kind: typeof EntryKind.OPERATIONS; batch: Uint8Array }
  | { kind: typeof EntryKind.SNAPSHOT; index: number; count: number; total_len: number; total_crc: number; chunk: Uint8Array };

export function operationsEntry(batch: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 + batch.length);
  out[0] = ENTRY_VERSION;
  out[1] = EntryKind.OPERATIONS;
  out.set(batch, 2);
  return out;
}

/** The snapshot as the entries to append, in order. */
export function snapshotEntries(snapshot: Uint8Array): Uint8Array[] {
  const count = Math.max(1, Math.ceil(snapshot.length / SNAPSHOT_CHUNK_BYTES));
  const total_crc = crc32c(snapshot);
  const entries: Uint8Array[] = [];
  for (let index = 0; index < count; index++) {
    const chunk = snapshot.subarray(index * SNAPSHOT_CHUNK_BYTES, Math.min(snapshot.length, (index + 1) * SNAPSHOT_CHUNK_BYTES));
    const w = new ByteWriter(SNAPSHOT_HEADER_BYTES + chunk.length);
    w.u8(ENTRY_VERSION).u8(EntryKind.SNAPSHOT).u32(index).u32(count).u32(snapshot.length).u32(total_crc).bytes(chunk);
    entries.push(w.toBytes());
  }
  return entries;
}

export function decodeEntry(payload: Uint8Array): RegistryEntry {
  if (payload.length < 2) throw new RegistryEntryError(`registry entry of ${payload.length} bytes`);
  if (payload[0] !== ENTRY_VERSION) throw new RegistryEntryError(`registry entry version ${payload[0]}, expected ${ENTRY_VERSION}`);
  if (payload[1] === EntryKind.OPERATIONS) return { kind: EntryKind.OPERATIONS, batch: payload.subarray(2) };
  if (payload[1] !== EntryKind.SNAPSHOT) throw new RegistryEntryError(`registry entry kind ${payload[1]}`);
  if (payload.length < SNAPSHOT_HEADER_BYTES) throw new RegistryEntryError("snapshot chunk shorter than its header");
  const r = new ByteReader(payload, 2);
  const index = r.u32();
  const count = r.u32();
  const total_len = r.u32();
  const total_crc = r.u32();
  if (count === 0 || index >= count) throw new RegistryEntryError(`snapshot chunk ${index} of ${count}`);
  return { kind: EntryKind.SNAPSHOT, index, count, total_len, total_crc, chunk: payload.subarray(SNAPSHOT_HEADER_BYTES) };
}

/**
 * Reassembles a snapshot from its chunks in log order. `add` returns the whole snapshot when
 * the last chunk arrives and checks; an out-of-order chunk (a writer demoted mid-snapshot, its
 * remaining chunks never chosen) resets the assembly.
 */
export class SnapshotAssembly {
  private parts: Uint8Array[] = [];
  private expected: { count: number; total_len: number; total_crc: number } | null = null;

  add(entry: Extract<RegistryEntry, { kind: typeof EntryKind.SNAPSHOT }>): Uint8Array | null {
    if (entry.index === 0) this.start(entry);
    else if (this.expected === null || entry.index !== this.parts.length || entry.count !== this.expected.count
      || entry.total_crc !== this.expected.total_crc || entry.total_len !== this.expected.total_len) {
      this.reset();
      return null;
    }
    this.parts.push(entry.chunk);
    if (this.parts.length < this.expected!.count) return null;
    const whole = concatBytes(this.parts);
    const ok = whole.length === this.expected!.total_len && crc32c(whole) === this.expected!.total_crc;
    this.reset();
    if (!ok) throw new RegistryEntryError("a complete registry snapshot fails its checksum");
    return whole;
  }

  /** True while chunks of a snapshot have arrived and more are expected. */
  started(): boolean {
    return this.expected !== null;
  }

  reset(): void {
    this.parts = [];
    this.expected = null;
  }

  private start(entry: { count: number; total_len: number; total_crc: number }): void {
    this.reset();
    this.expected = { count: entry.count, total_len: entry.total_len, total_crc: entry.total_crc };
  }
}
