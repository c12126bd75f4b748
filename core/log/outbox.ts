// The pending output batch (etcd's Ready) and message routing. Everything the core wants
// done goes here; ready() encodes it, the host carries it out in order — send the requests,
// persist (and sync when must_sync), send the responses, apply learned entries, report
// results — and calls advance(). Because every response of a batch is sent only after the
// batch's records are durable, a replica never answers a promise or write before its state
// is persisted (S5); requests vouch for nothing and may leave first (core/README.md).
//
// Batch encoding (little-endian), written by encode() into the output region:
//   version:u8 | flags:u8 (bit0 must_sync) | reserved:u16
//   persist_len:u32 | persist bytes (record frames, see codec/records.ts)
//   message_count:u32 | { to:u32 (0xFFFFFFFF = every other replica) | len:u32 | frame }*
//   learned_count:u32 | { position:u64 | type:u8 | flags:u8 (bit0 tombstone) | len:u32 | bytes }*
//                        (APPEND: the payload; TRUNCATE: to:u64; NOP: empty)
//   result_count:u32  | { request_id:u32 | kind:u8 | status:u8 | position:u64 }*
//   notice_count:u32  | { kind:u8 | a:u64 | b:u64 }*
import { Writer } from "../codec/writer";
import { Message, read_message } from "../codec/messages";
import { Action, TYPE_APPEND, TYPE_TRUNCATE } from "./action";
import { write_action_record, write_metadata_record, write_erase_record, write_learn_record } from "../codec/records";
import { config } from "./config";
import { CODEC_VERSION, LOCAL_QUEUE_MAX, OUTBOX_MAX_BYTES } from "../util/limits";

export const BROADCAST: u32 = 0xffffffff;

export const RESULT_APPEND: u8 = 1;
export const RESULT_TRUNCATE: u8 = 2;
export const RESULT_CATCHUP: u8 = 3;
export const RESULT_NONE: u8 = 0; // not elected / demoted / failed: the writer must re-elect
export const RESULT_OK: u8 = 1;
export const RESULT_INVALID: u8 = 2; // a truncate beyond its own position

export const NOTICE_STATUS: u8 = 1; // a = new replica status
export const NOTICE_ELECTED: u8 = 2; // a = last position (next write goes to a+1), b = proposal
export const NOTICE_ELECT_FAILED: u8 = 3; // a = reason (1 ignored, 2 rejected, 3 timeout), b = proposal
export const NOTICE_DEMOTED: u8 = 4; // a = proposal now known, b = number of writes answered none
export const NOTICE_INIT_NEEDED: u8 = 5; // auto-init disabled and every replica is EMPTY
// A message would have overwritten learned positions with other values; refused, nothing
// persisted. a = positions refused in that message, b = the first of them.
export const NOTICE_CONFLICT_REFUSED: u8 = 6;

class Outbox {
  persist: Writer = new Writer(1 << 12);
  must_sync: bool = false;
  messages: Writer = new Writer(1 << 12);
  message_count: u32 = 0;
  results: Writer = new Writer(256);
  result_count: u32 = 0;
  notices: Writer = new Writer(256);
  notice_count: u32 = 0;
  /** Messages addressed to ourselves, in order, drained by node.ts (never encoded twice). */
  local: Array<Message> = [];
  /** Scratch space a message is encoded into before routing. */
  scratch: Writer = new Writer(1 << 12);

  persist_metadata(status: u8, promised: u64, fence_proposal: u64, fence_position: u64, sync: bool): void {
    write_metadata_record(this.persist, status, promised, fence_proposal, fence_position);
    if (sync) this.must_sync = true;
  }

  persist_action(a: Action, sync: bool): void {
    write_action_record(this.persist, a);
    if (sync) this.must_sync = true;
  }

  /** Learned flags need no sync: a lost one is learned again by a fill. */
  persist_learn(proposal: u64, first: u64, count: u32): void {
    write_learn_record(this.persist, proposal, first, count);
  }

  persist_erase(to: u64): void {
    write_erase_record(this.persist, to);
  }

  /** Routes the frame in `scratch` to one replica, to ourselves, or to every replica. */
  route(to: u32): void {
    const s = this.scratch;
    assert(s.length > 0, "route: empty message");
    if (to == config.self_id || to == BROADCAST) {
      // We encoded this frame a moment ago: decode without re-checking its checksum.
      const m = read_message(s.ptr, s.length, false);
      assert(m != null, "route: own frame failed to decode");
      this.deliver_local(m!);
    }
    if (to != config.self_id) this.route_remote(to);
  }

  /** Sends the frame in `scratch` to one other replica, or to every other replica. */
  route_remote(to: u32): void {
    const s = this.scratch;
    assert(to != config.self_id, "route_remote: that is us");
    assert(to == BROADCAST || config.peer_index(to) >= 0, "route: unknown replica");
    if (to == BROADCAST && config.peers.length == 1) return;
    this.messages.u32(to);
    this.messages.u32(<u32>s.length);
    this.messages.raw(s.ptr, s.length);
    this.message_count++;
  }

  /** Queues a message for our own replica (or coordinator), handled after the current one. */
  deliver_local(m: Message): void {
    assert(this.local.length < LOCAL_QUEUE_MAX, "local queue beyond LOCAL_QUEUE_MAX");
    this.local.push(m);
  }

  result(request_id: u32, kind: u8, status: u8, position: u64): void {
    this.results.u32(request_id);
    this.results.u8(kind);
    this.results.u8(status);
    this.results.u64(position);
    this.result_count++;
  }

  notice(kind: u8, a: u64, b: u64): void {
    this.notices.u8(kind);
    this.notices.u64(a);
    this.notices.u64(b);
    this.notice_count++;
  }

  pending_bytes(): i32 {
    return this.persist.length + this.messages.length + this.results.length + this.notices.length;
  }

  is_empty(): bool {
    return this.persist.length == 0 && this.message_count == 0 && this.result_count == 0 && this.notice_count == 0;
  }

  /** Encodes the batch (with the learned entries in `learned`) into `out`; clears the outbox. */
  encode(out: Writer, learned: Writer, learned_count: u32): void {
    out.reset();
    out.u8(CODEC_VERSION);
    out.u8(this.must_sync ? 1 : 0);
    out.u8(0);
    out.u8(0);
    out.u32(<u32>this.persist.length);
    out.raw(this.persist.ptr, this.persist.length);
    out.u32(this.message_count);
    out.raw(this.messages.ptr, this.messages.length);
    out.u32(learned_count);
    out.raw(learned.ptr, learned.length);
    out.u32(this.result_count);
    out.raw(this.results.ptr, this.results.length);
    out.u32(this.notice_count);
    out.raw(this.notices.ptr, this.notices.length);
    assert(out.length <= OUTBOX_MAX_BYTES, "output batch beyond OUTBOX_MAX_BYTES");
    this.persist.reset();
    this.must_sync = false;
    this.messages.reset();
    this.message_count = 0;
    this.results.reset();
    this.result_count = 0;
    this.notices.reset();
    this.notice_count = 0;
  }
}

export const outbox = new Outbox();

/** Appends one learned entry in the batch's learned section format. */
export function write_learned_entry(w: Writer, a: Action): void {
  assert(a.learned, "learned entry: action not learned");
  w.u64(a.position);
  w.u8(a.type);
  w.u8(a.tombstone ? 1 : 0);
  if (a.type == TYPE_APPEND) {
    w.u32(<u32>a.payload_len);
    w.raw(a.payload_ptr(), a.payload_len);
  } else if (a.type == TYPE_TRUNCATE) {
    w.u32(8);
    w.u64(a.truncate_to);
  } else {
    w.u32(0);
  }
}
