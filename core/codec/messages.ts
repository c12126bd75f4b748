// Peer messages (Mesos names, package mesos.internal.log), each one frame (frame.ts):
//
//   PROMISE_REQUEST  (16) := round:u32 | proposal:u64 | flags:u8 (bit0 explicit) | position:u64
//   PROMISE_RESPONSE (17) := round:u32 | type:u8 | proposal:u64 | flags:u8 (bit0 position,
//                            bit1 action) | position:u64 | fence_proposal:u64 |
//                            fence_position:u64 | [action]
//   WRITE_REQUEST    (18) := round:u32 | proposal:u64 | flags:u8 (bit0 learned, bit1 append:
//                            a coordinator's steady-state write, which sets the fence) |
//                            count:u32 | action × count  -- a batch: many positions, one round
//   WRITE_RESPONSE   (19) := round:u32 | type:u8 | proposal:u64 | position:u64 | count:u32
//   LEARNED          (20) := count:u32 | action × count (each learned)
//   RECOVER_REQUEST  (21) := round:u32
//   RECOVER_RESPONSE (22) := round:u32 | status:u8 | flags:u8 (bit0 begin/end present) |
//                            begin:u64 | end:u64 | promised:u64
//   FENCE_REQUEST    (23) := round:u32 | proposal:u64 | position:u64
//   FENCE_RESPONSE   (24) := round:u32 | type:u8 | proposal:u64
//   LEARNED_RANGE    (25) := proposal:u64 | first:u64 | count:u32
//                            -- "the values written at [first, first+count) by `proposal` are
//                            chosen": the coordinator's learned broadcast without payloads.
//                            A (proposal, position) pair names one value: each proposal is
//                            promised once per replica (strictly), so one writer holds it.
//
// `round` is the sender's round id, echoed so a reply is matched to the exact round that
// asked (stale replies of older rounds are dropped). `type` is ACCEPT=1, REJECT=2, IGNORED=3.
// RECOVER_RESPONSE carries `promised`, which Mesos does not: a recovering replica adopts the
// highest promise of the VOTING quorum so that a wiped disk cannot forget an implicit promise.
// PROMISE_RESPONSE carries the replica's fence (replica.ts): a fill that finds a value
// performed below a fence at or below its position writes a NOP instead (no ghost entries).
import { Writer } from "./writer";
import { Reader } from "./reader";
import {
  begin_frame, end_frame, read_frame, FRAME_HEADER_BYTES, KIND_PROMISE_REQUEST, KIND_PROMISE_RESPONSE,
  KIND_WRITE_REQUEST, KIND_WRITE_RESPONSE, KIND_LEARNED, KIND_RECOVER_REQUEST,
  KIND_RECOVER_RESPONSE, KIND_FENCE_REQUEST, KIND_FENCE_RESPONSE, KIND_LEARNED_RANGE,
} from "./frame";
import { write_action, read_action } from "./records";
import { Action, RESPONSE_ACCEPT, RESPONSE_IGNORED, TYPE_APPEND } from "../log/action";
import { crc32c_update, crc32c_shift, crc32c_shift_ready } from "./crc32";
import { BATCH_ENTRIES_MAX, POSITION_MAX, PROPOSAL_MAX } from "../util/limits";

/** A decoded peer message; fields not used by its kind stay zero. */
export class Message {
  kind: u8 = 0;
  round: u32 = 0;
  proposal: u64 = 0;
  position: u64 = 0;
  explicit: bool = false;
  learned: bool = false;
  append: bool = false;
  type: u8 = 0;
  fence_proposal: u64 = 0;
  fence_position: u64 = 0;
  count: u32 = 0;
  has_position: bool = false;
  action: Action | null = null;
  actions: Array<Action> = [];
  status: u8 = 0;
  has_range: bool = false;
  begin: u64 = 0;
  end: u64 = 0;
  promised: u64 = 0;
}

export function write_promise_request(w: Writer, round: u32, proposal: u64, explicit: bool, position: u64): void {
  const s = begin_frame(w, KIND_PROMISE_REQUEST);
  w.u32(round);
  w.u64(proposal);
  w.u8(explicit ? 1 : 0);
  w.u64(position);
  end_frame(w, s);
}

export function write_promise_response(
  w: Writer, round: u32, type: u8, proposal: u64, has_position: bool, position: u64, action: Action | null,
  fence_proposal: u64, fence_position: u64,
): void {
  assert(type >= RESPONSE_ACCEPT && type <= RESPONSE_IGNORED, "promise response: bad type");
  const s = begin_frame(w, KIND_PROMISE_RESPONSE);
  w.u32(round);
  w.u8(type);
  w.u64(proposal);
  w.u8((has_position ? 1 : 0) | (action != null ? 2 : 0));
  w.u64(position);
  w.u64(fence_proposal);
  w.u64(fence_position);
  if (action != null) write_action(w, action);
  end_frame(w, s);
}

export function write_write_request(w: Writer, round: u32, proposal: u64, learned: bool, append: bool, actions: Array<Action>): void {
  assert(actions.length > 0 && actions.length <= BATCH_ENTRIES_MAX, "write request: batch size");
  const s = begin_frame(w, KIND_WRITE_REQUEST);
  w.u32(round);
  w.u64(proposal);
  w.u8((learned ? 1 : 0) | (append ? 2 : 0));
  w.u32(<u32>actions.length);
  for (let i = 0; i < actions.length; i++) write_action(w, unchecked(actions[i]));
  end_frame(w, s);
}

export function write_write_response(w: Writer, round: u32, type: u8, proposal: u64, position: u64, count: u32): void {
  assert(type >= RESPONSE_ACCEPT && type <= RESPONSE_IGNORED, "write response: bad type");
  const s = begin_frame(w, KIND_WRITE_RESPONSE);
  w.u32(round);
  w.u8(type);
  w.u64(proposal);
  w.u64(position);
  w.u32(count);
  end_frame(w, s);
}

export function write_learned(w: Writer, actions: Array<Action>): void {
  assert(actions.length > 0 && actions.length <= BATCH_ENTRIES_MAX, "learned: batch size");
  const s = begin_frame(w, KIND_LEARNED);
  w.u32(<u32>actions.length);
  for (let i = 0; i < actions.length; i++) {
    assert(unchecked(actions[i]).learned, "learned: action not learned");
    write_action(w, unchecked(actions[i]));
  }
  end_frame(w, s);
}

export function write_recover_request(w: Writer, round: u32): void {
  const s = begin_frame(w, KIND_RECOVER_REQUEST);
  w.u32(round);
  end_frame(w, s);
}

export function write_recover_response(
  w: Writer, round: u32, status: u8, has_range: bool, begin: u64, end: u64, promised: u64,
): void {
  const s = begin_frame(w, KIND_RECOVER_RESPONSE);
  w.u32(round);
  w.u8(status);
  w.u8(has_range ? 1 : 0);
  w.u64(begin);
  w.u64(end);
  w.u64(promised);
  end_frame(w, s);
}

export function write_fence_request(w: Writer, round: u32, proposal: u64, position: u64): void {
  const s = begin_frame(w, KIND_FENCE_REQUEST);
  w.u32(round);
  w.u64(proposal);
  w.u64(position);
  end_frame(w, s);
}

export function write_fence_response(w: Writer, round: u32, type: u8, proposal: u64): void {
  assert(type >= RESPONSE_ACCEPT && type <= RESPONSE_IGNORED, "fence response: bad type");
  const s = begin_frame(w, KIND_FENCE_RESPONSE);
  w.u32(round);
  w.u8(type);
  w.u64(proposal);
  end_frame(w, s);
}

export function write_learned_range(w: Writer, proposal: u64, first: u64, count: u32): void {
  assert(count > 0 && count <= <u32>BATCH_ENTRIES_MAX, "learned range: count");
  const s = begin_frame(w, KIND_LEARNED_RANGE);
  w.u64(proposal);
  w.u64(first);
  w.u32(count);
  end_frame(w, s);
}

function read_actions(r: Reader, m: Message, owner: StaticArray<u8> | null): bool {
  m.count = r.u32();
  if (m.count == 0 || m.count > <u32>BATCH_ENTRIES_MAX) return false;
  // Sized once (a batch is up to BATCH_ENTRIES_MAX): every slot is set before it is read,
  // or the message is dropped whole.
  const actions = new Array<Action>(<i32>m.count);
  for (let i: u32 = 0; i < m.count; i++) {
    const a = read_action(r, owner);
    if (a == null) return false;
    unchecked((actions[<i32>i] = a));
  }
  m.actions = actions;
  return true;
}

function read_body(kind: u8, r: Reader, m: Message, owner: StaticArray<u8> | null): bool {
  if (kind == KIND_PROMISE_REQUEST) {
    m.round = r.u32(); m.proposal = r.u64();
    const flags = r.u8();
    m.explicit = (flags & 1) != 0;
    m.position = r.u64();
    return flags <= 1;
  }
  if (kind == KIND_PROMISE_RESPONSE) {
    m.round = r.u32(); m.type = r.u8(); m.proposal = r.u64();
    const flags = r.u8();
    m.has_position = (flags & 1) != 0;
    m.position = r.u64();
    m.fence_proposal = r.u64();
    m.fence_position = r.u64();
    if ((flags & 2) != 0) m.action = read_action(r, owner);
    return flags <= 3 && ((flags & 2) == 0 || m.action != null);
  }
  if (kind == KIND_WRITE_REQUEST) {
    m.round = r.u32(); m.proposal = r.u64();
    const flags = r.u8();
    m.learned = (flags & 1) != 0;
    m.append = (flags & 2) != 0;
    return flags <= 3 && read_actions(r, m, owner);
  }
  if (kind == KIND_WRITE_RESPONSE) {
    m.round = r.u32(); m.type = r.u8(); m.proposal = r.u64(); m.position = r.u64(); m.count = r.u32();
    return m.count <= <u32>BATCH_ENTRIES_MAX;
  }
  if (kind == KIND_LEARNED) return read_actions(r, m, owner);
  if (kind == KIND_LEARNED_RANGE) {
    m.proposal = r.u64(); m.position = r.u64(); m.count = r.u32();
    return m.count > 0 && m.count <= <u32>BATCH_ENTRIES_MAX;
  }
  if (kind == KIND_FENCE_REQUEST) {
    m.round = r.u32(); m.proposal = r.u64(); m.position = r.u64();
    return true;
  }
  if (kind == KIND_FENCE_RESPONSE) {
    m.round = r.u32(); m.type = r.u8(); m.proposal = r.u64();
    return m.type >= RESPONSE_ACCEPT;
  }
  if (kind == KIND_RECOVER_REQUEST) {
    m.round = r.u32();
    return true;
  }
  if (kind == KIND_RECOVER_RESPONSE) {
    m.round = r.u32(); m.status = r.u8();
    const flags = r.u8();
    m.has_range = (flags & 1) != 0;
    m.begin = r.u64(); m.end = r.u64(); m.promised = r.u64();
    return flags <= 1 && m.status >= 1 && m.status <= 4;
  }
  return false;
}

/**
 * The checksum of a WRITE_REQUEST frame (header at ptr, body copied to `body`, actions
 * decoded from it), computed in one pass that also yields each APPEND's own CRC term: the
 * replica persists every accepted action as a record whose body is those same bytes, and
 * records.ts reuses the term instead of running the bytes through the CRC again.
 */
function check_write_batch(ptr: usize, body: StaticArray<u8>, m: Message): bool {
  const b = changetype<usize>(body);
  const body_len = body.length;
  let s = crc32c_update(0xffffffff, ptr, FRAME_HEADER_BYTES);
  let at = 0;
  for (let i = 0; i < m.actions.length; i++) {
    const a = unchecked(m.actions[i]);
    const start = a.wire_at;
    const n = a.wire_len;
    assert(start >= at && start + n <= body_len, "check_write_batch: actions out of order");
    s = crc32c_update(s, b + <usize>at, start - at);
    if (a.type == TYPE_APPEND && crc32c_shift_ready(n)) {
      const term = crc32c_update(0, b + <usize>start, n);
      s = crc32c_shift(s, n) ^ term;
      a.wire_crc = term;
      a.wire_checked = true;
    } else {
      s = crc32c_update(s, b + <usize>start, n);
    }
    at = start + n;
  }
  s = crc32c_update(s, b + <usize>at, body_len - at);
  if ((s ^ 0xffffffff) == load<u32>(ptr + <usize>(FRAME_HEADER_BYTES + body_len))) return true;
  for (let i = 0; i < m.actions.length; i++) unchecked(m.actions[i]).wire_checked = false;
  return false;
}

/** Decodes one peer message; null if the frame or its body is malformed or out of bounds. */
export function read_message(ptr: usize, len: i32, verify: bool = true): Message | null {
  // A write batch is checked after decoding, in one pass with its entries' CRC terms.
  const batch = verify && len >= 2 && load<u8>(ptr + 1) == KIND_WRITE_REQUEST;
  const frame = read_frame(ptr, len, verify && !batch);
  if (frame == null || frame.total != len) return null;
  const m = new Message();
  m.kind = frame.kind;
  let r = frame.body;
  // Actions keep their values: copy the body once (the input region is reused by the next
  // step) and let each APPEND reference its bytes there, instead of one copy per entry.
  let owner: StaticArray<u8> | null = null;
  if (frame.kind == KIND_WRITE_REQUEST || frame.kind == KIND_LEARNED || frame.kind == KIND_PROMISE_RESPONSE) {
    const n = r.remaining();
    const body = new StaticArray<u8>(n);
    memory.copy(changetype<usize>(body), r.ptr, <usize>n);
    owner = body;
    r = new Reader(changetype<usize>(body), n);
  }
  if (!read_body(frame.kind, r, m, owner) || r.failed || r.remaining() != 0) return null;
  if (batch && !check_write_batch(ptr, owner!, m)) return null;
  if (m.proposal > PROPOSAL_MAX || m.position > POSITION_MAX || m.promised > PROPOSAL_MAX) return null;
  if (m.begin > POSITION_MAX || m.end > POSITION_MAX || m.fence_position > POSITION_MAX) return null;
  if (m.type > RESPONSE_IGNORED) return null;
  return m;
}
