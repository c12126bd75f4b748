// Framing shared by every stored record and every peer message:
//
//   frame := version:u8 (=1) | kind:u8 | body_len:u32 | body | crc32c:u32
//
// little-endian; the CRC-32C covers version, kind, body_len and body. Kinds 1–15 are stored
// records (records.ts), 16–31 are peer messages (messages.ts). A frame that fails any check
// (version, kind, length, checksum) is refused whole: never half-applied, never served.
import { Writer } from "./writer";
import { Reader } from "./reader";
import { crc32c, crc32c_update, crc32c_shift, crc32c_shift_ready } from "./crc32";
import { CODEC_VERSION, MESSAGE_MAX_BYTES } from "../util/limits";

export const FRAME_HEADER_BYTES: i32 = 6;
export const FRAME_TRAILER_BYTES: i32 = 4;

export const KIND_METADATA: u8 = 1;
export const KIND_ACTION: u8 = 2;
export const KIND_ERASE: u8 = 3;
export const KIND_LEARN: u8 = 4;

export const KIND_PROMISE_REQUEST: u8 = 16;
export const KIND_PROMISE_RESPONSE: u8 = 17;
export const KIND_WRITE_REQUEST: u8 = 18;
export const KIND_WRITE_RESPONSE: u8 = 19;
export const KIND_LEARNED: u8 = 20;
export const KIND_RECOVER_REQUEST: u8 = 21;
export const KIND_RECOVER_RESPONSE: u8 = 22;
export const KIND_FENCE_REQUEST: u8 = 23;
export const KIND_FENCE_RESPONSE: u8 = 24;
export const KIND_LEARNED_RANGE: u8 = 25;

/** Starts a frame; returns its offset for end_frame. */
export function begin_frame(w: Writer, kind: u8): i32 {
  const start = w.length;
  w.u8(CODEC_VERSION);
  w.u8(kind);
  w.u32(0);
  return start;
}

/** Patches the body length and appends the checksum. */
export function end_frame(w: Writer, start: i32): void {
  const body_len = w.length - start - FRAME_HEADER_BYTES;
  assert(body_len >= 0, "end_frame: frame not begun");
  assert(body_len + FRAME_HEADER_BYTES + FRAME_TRAILER_BYTES <= MESSAGE_MAX_BYTES, "frame beyond MESSAGE_MAX_BYTES");
  w.patch_u32(start + 2, <u32>body_len);
  w.u32(crc32c(w.ptr + <usize>start, FRAME_HEADER_BYTES + body_len));
}

/**
 * end_frame for a body whose CRC term (crc32c_update(0, body)) is known: the checksum is the
 * header's register shifted over the body, xor the term. Falls back to end_frame when no
 * shift table is cached for the body's length.
 */
export function end_frame_with_body_crc(w: Writer, start: i32, body_crc: u32): void {
  const body_len = w.length - start - FRAME_HEADER_BYTES;
  if (!crc32c_shift_ready(body_len)) {
    end_frame(w, start);
    return;
  }
  assert(body_len >= 0, "end_frame: frame not begun");
  assert(body_len + FRAME_HEADER_BYTES + FRAME_TRAILER_BYTES <= MESSAGE_MAX_BYTES, "frame beyond MESSAGE_MAX_BYTES");
  w.patch_u32(start + 2, <u32>body_len);
  const head = crc32c_update(0xffffffff, w.ptr + <usize>start, FRAME_HEADER_BYTES);
  w.u32((crc32c_shift(head, body_len) ^ body_crc) ^ 0xffffffff);
}

/** A checked view of one frame: kind and a reader over its body. */
export class Frame {
  kind: u8 = 0;
  body: Reader = new Reader(0, 0);
  total: i32 = 0;
}

/**
 * Parses the frame at ptr (at most len bytes available). Returns null when the frame is
 * short, of another version, too long, or its checksum does not match.
 */
export function read_frame(ptr: usize, len: i32, verify: bool = true): Frame | null {
  assert(len >= 0, "read_frame: negative length");
  if (len < FRAME_HEADER_BYTES + FRAME_TRAILER_BYTES) return null;
  if (load<u8>(ptr) != CODEC_VERSION) return null;
  const body_len = load<u32>(ptr + 2);
  if (body_len > <u32>(MESSAGE_MAX_BYTES - FRAME_HEADER_BYTES - FRAME_TRAILER_BYTES)) return null;
  const total = FRAME_HEADER_BYTES + <i32>body_len + FRAME_TRAILER_BYTES;
  if (total > len) return null;
  const expected = load<u32>(ptr + <usize>(FRAME_HEADER_BYTES + <i32>body_len));
  if (verify && crc32c(ptr, FRAME_HEADER_BYTES + <i32>body_len) != expected) return null;
  const frame = new Frame();
  frame.kind = load<u8>(ptr + 1);
  frame.body = new Reader(ptr + <usize>FRAME_HEADER_BYTES, <i32>body_len);
  frame.total = total;
  return frame;
}
