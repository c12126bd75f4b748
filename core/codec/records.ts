// Stored records (what the host persists) and the Action body shared with messages.
//
//   METADATA (kind 1) body := status:u8 | promised:u64 | fence_proposal:u64 | fence_position:u64
//   ACTION   (kind 2) body := action
//   ERASE    (kind 3) body := to:u64          -- delete stored actions with position < to
//   LEARN    (kind 4) body := proposal:u64 | first:u64 | count:u32
//                     -- mark learned the stored actions of [first, first+count) whose
//                        performed == proposal (one small record instead of rewriting each
//                        action with its payload; SQL: UPDATE … SET learned = 1 WHERE …)
//
//   action := position:u64 | promised:u64 | performed:u64 | flags:u8 | type:u8 | value
//     flags: bit0 learned, bit1 tombstone (a NOP standing for a truncated position)
//     value: APPEND -> len:u32 | bytes;  TRUNCATE -> to:u64;  NOP, NONE -> nothing
//
// A persist batch is a concatenation of frames; the storage keeps the last METADATA and,
// per position, the last ACTION, and applies ERASE and LEARN in order.
import { Writer } from "./writer";
import { Reader } from "./reader";
import { begin_frame, end_frame, end_frame_with_body_crc, FRAME_HEADER_BYTES, KIND_METADATA, KIND_ACTION, KIND_ERASE, KIND_LEARN } from "./frame";
import { Action, TYPE_APPEND, TYPE_TRUNCATE, assert_position } from "../log/action";
import { ENTRY_PAYLOAD_MAX_BYTES } from "../util/limits";

const FLAG_LEARNED: u8 = 1;
const FLAG_TOMBSTONE: u8 = 2;

/** Bytes of an action's fixed part (position, promised, performed, flags, type). */
const ACTION_FIXED_BYTES: i32 = 26;

export function write_action(w: Writer, a: Action): void {
  assert(a.check(), "write_action: invalid action");
  // One reservation for the whole action, then plain stores (the hot path of every entry).
  const value = a.type == TYPE_APPEND ? 4 + a.payload_len : a.type == TYPE_TRUNCATE ? 8 : 0;
  w.reserve(ACTION_FIXED_BYTES + value);
  const p = w.ptr + <usize>w.length;
  store<u64>(p, a.position);
  store<u64>(p, a.promised, 8);
  store<u64>(p, a.performed, 16);
  store<u8>(p, (a.learned ? FLAG_LEARNED : 0) | (a.tombstone ? FLAG_TOMBSTONE : 0), 24);
  store<u8>(p, a.type, 25);
  if (a.type == TYPE_APPEND) {
    store<u32>(p, <u32>a.payload_len, 26);
    memory.copy(p + 30, a.payload_ptr(), <usize>a.payload_len);
  } else if (a.type == TYPE_TRUNCATE) {
    store<u64>(p, a.truncate_to, 26);
  }
  w.length += ACTION_FIXED_BYTES + value;
}

/**
 * Decodes an action; null when malformed or out of bounds (the caller drops the input). With
 * `owner` (a buffer the reader reads from, kept by no one else) an APPEND's value stays in
 * place and the action references it; without, the value is copied out.
 */
export function read_action(r: Reader, owner: StaticArray<u8> | null = null): Action | null {
  const a = new Action();
  const begin = r.ptr;
  a.position = r.u64();
  a.promised = r.u64();
  a.performed = r.u64();
  const flags = r.u8();
  a.learned = (flags & FLAG_LEARNED) != 0;
  a.tombstone = (flags & FLAG_TOMBSTONE) != 0;
  a.type = r.u8();
  if (a.type == TYPE_APPEND) {
    const len = r.u32();
    if (len > <u32>ENTRY_PAYLOAD_MAX_BYTES) return null;
    if (owner != null) {
      const at = r.skip(<i32>len);
      if (at == 0) return null;
      a.set_payload(owner, <i32>(at - changetype<usize>(owner)), <i32>len);
    } else {
      const bytes = r.bytes(<i32>len);
      a.set_payload(bytes, 0, bytes.length);
    }
  } else if (a.type == TYPE_TRUNCATE) {
    a.truncate_to = r.u64();
  }
  if (r.failed || (flags & ~(FLAG_LEARNED | FLAG_TOMBSTONE)) != 0) return null;
  if (owner != null) {
    // Where its encoding sits in the owner (messages.ts may check it and keep its CRC term).
    a.wire_at = <i32>(begin - changetype<usize>(owner));
    a.wire_len = <i32>(r.ptr - begin);
  }
  return a.check() ? a : null;
}

export function write_metadata_record(w: Writer, status: u8, promised: u64, fence_proposal: u64, fence_position: u64): void {
  assert(status >= 1 && status <= 4, "metadata: bad status");
  assert_position(fence_position);
  const start = begin_frame(w, KIND_METADATA);
  w.u8(status);
  w.u64(promised);
  w.u64(fence_proposal);
  w.u64(fence_position);
  end_frame(w, start);
}

/** n bytes at a equal n bytes at b (eight at a time; WASM loads need no alignment). */
function same_bytes(a: usize, b: usize, n: i32): bool {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    if (load<u64>(a + <usize>i) != load<u64>(b + <usize>i)) return false;
  }
  for (; i < n; i++) {
    if (load<u8>(a + <usize>i) != load<u8>(b + <usize>i)) return false;
  }
  return true;
}

export function write_action_record(w: Writer, a: Action): void {
  const start = begin_frame(w, KIND_ACTION);
  write_action(w, a);
  if (a.wire_checked) {
    // Received in a checked batch: when the body is exactly the bytes received, their CRC
    // term is known (the batch's check computed it) and is not computed again.
    const p = a.payload!;
    assert(a.wire_at >= 0 && a.wire_at <= p.length - a.wire_len, "write_action_record: wire bytes outside the buffer");
    const body = w.ptr + <usize>(start + FRAME_HEADER_BYTES);
    const n = w.length - start - FRAME_HEADER_BYTES;
    if (n == a.wire_len && same_bytes(body, changetype<usize>(p) + <usize>a.wire_at, n)) {
      end_frame_with_body_crc(w, start, a.wire_crc);
      return;
    }
  }
  end_frame(w, start);
}

export function write_learn_record(w: Writer, proposal: u64, first: u64, count: u32): void {
  assert_position(first);
  assert(count > 0, "learn record: empty range");
  const start = begin_frame(w, KIND_LEARN);
  w.u64(proposal);
  w.u64(first);
  w.u32(count);
  end_frame(w, start);
}

export function write_erase_record(w: Writer, to: u64): void {
  assert_position(to);
  const start = begin_frame(w, KIND_ERASE);
  w.u64(to);
  end_frame(w, start);
}
