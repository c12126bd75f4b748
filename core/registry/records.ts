// The registry's records: the same frame layout as core/codec/frame.ts
//
//   record := version:u8 (=1) | kind:u8 | body_len:u32 | body | crc32c:u32
//
// (CRC-32C over version, kind, body_len and body), with kinds of their own and a larger bound
// (a 100,000-agent snapshot section is tens of MB, beyond the log's MESSAGE_MAX_BYTES).
import { Reader } from "../codec/reader";
import { Writer } from "../codec/writer";
import { crc32c } from "../codec/crc32";
import { REGISTRY_INPUT_MAX_BYTES, REGISTRY_VERSION } from "../util/limits";

export const KIND_HEADER: u8 = 0x40;
/** Section records are KIND_SECTION + the section's bit index (MASTER = bit 0 … CAPABILITIES = bit 8). */
export const KIND_SECTION: u8 = 0x41;
export const KIND_BATCH: u8 = 0x50;

const HEADER: i32 = 6;
const TRAILER: i32 = 4;

export function begin_record(w: Writer, kind: u8): i32 {
  const start = w.length;
  w.u8(REGISTRY_VERSION);
  w.u8(kind);
  w.u32(0);
  return start;
}

export function end_record(w: Writer, start: i32): void {
  const body_len = w.length - start - HEADER;
  assert(body_len >= 0, "end_record: record not begun");
  assert(body_len <= REGISTRY_INPUT_MAX_BYTES, "registry record beyond REGISTRY_INPUT_MAX_BYTES");
  w.patch_u32(start + 2, <u32>body_len);
  w.u32(crc32c(w.ptr + <usize>start, HEADER + body_len));
}

/** One checked record: its kind, a reader over its body, and the bytes it spans. */
export class Record {
  kind: u8 = 0;
  body: Reader = new Reader(0, 0);
  total: i32 = 0;
}

/** Parses the record at ptr (len bytes available); null when short, of another version, or corrupt. */
export function read_record(ptr: usize, len: i32): Record | null {
  assert(len >= 0, "read_record: negative length");
  if (len < HEADER + TRAILER) return null;
  if (load<u8>(ptr) != REGISTRY_VERSION) return null;
  const body_len = load<u32>(ptr + 2);
  if (<i64>body_len > <i64>(len - HEADER - TRAILER)) return null;
  const expected = load<u32>(ptr + <usize>(HEADER + <i32>body_len));
  if (crc32c(ptr, HEADER + <i32>body_len) != expected) return null;
  const rec = new Record();
  rec.kind = load<u8>(ptr + 1);
  rec.body = new Reader(ptr + <usize>HEADER, <i32>body_len);
  rec.total = HEADER + <i32>body_len + TRAILER;
  return rec;
}
