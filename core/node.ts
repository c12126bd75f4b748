// One log node: the local replica, its coordinator (when this node is the writer), and
// recovery / catch-up. This file decodes the boundary's inputs and routes them; the
// protocol lives in log/. See index.ts for the boundary itself.
//
// init config := version:u8 | node_id:u32 | quorum:u32 | flags:u32 (bit0 auto_initialize,
//                bit31 TEST-ONLY mutation: accept writes below the promise,
//                bit30 TEST-ONLY mutation: learn() overwrites learned positions) |
//                seed:u64 | replica_count:u32 | replica_id:u32 × count   (must include node_id)
//
// step event  := kind:u8 | body
//   1 TICK          ticks:u32                    time passes (TICK_MS each)
//   2 PEER_MESSAGE  from:u32 | frame             one message from a replica (codec/messages.ts)
//   3 APPEND        request_id:u32 | bytes       writer: append (answered in results)
//   4 TRUNCATE      request_id:u32 | to:u64      writer: truncate positions below `to`
//   5 ELECT         —                            writer: become coordinator (retries until
//                                                elected; then notice ELECTED)
//   6 DEMOTE        —                            writer: give up (pending writes answer none)
//   7 RESTORE       record frames                storage contents, before START, in chunks
//   8 START         —                            restore done: recover if not VOTING
//   9 CATCHUP       request_id:u32               reader catch-up of a lagging VOTING replica
import { Reader } from "./codec/reader";
import { Writer } from "./codec/writer";
import { read_frame, KIND_METADATA, KIND_ACTION, KIND_ERASE, KIND_LEARN, KIND_PROMISE_REQUEST, KIND_WRITE_REQUEST,
  KIND_LEARNED, KIND_RECOVER_REQUEST, KIND_FENCE_REQUEST, KIND_LEARNED_RANGE } from "./codec/frame";
import { read_message, Message } from "./codec/messages";
import { read_action } from "./codec/records";
import { config } from "./log/config";
import { outbox, NOTICE_STATUS } from "./log/outbox";
import { replica } from "./log/replica";
import { coordinator } from "./log/coordinator";
import { recovery } from "./log/recover";
import { find_round, seed_round_ids } from "./log/rounds";
import { STATUS_EMPTY, STATUS_VOTING } from "./log/action";
import { prng_seed, prng_next } from "./util/prng";
import {
  check_limits, CODEC_VERSION, REPLICAS_MAX, ENTRY_PAYLOAD_MAX_BYTES, OUTBOX_SOFT_MAX_BYTES, LOCAL_QUEUE_MAX, POSITION_MAX,
} from "./util/limits";

export const EVENT_TICK: u8 = 1;
export const EVENT_PEER_MESSAGE: u8 = 2;
export const EVENT_APPEND: u8 = 3;
export const EVENT_TRUNCATE: u8 = 4;
export const EVENT_ELECT: u8 = 5;
export const EVENT_DEMOTE: u8 = 6;
export const EVENT_RESTORE: u8 = 7;
export const EVENT_START: u8 = 8;
export const EVENT_CATCHUP: u8 = 9;

// Operating errors: returned to the host, never aborts.
export const E_MALFORMED: i32 = -1;
export const E_UNKNOWN_PEER: i32 = -2;
export const E_NOT_STARTED: i32 = -3;
export const E_QUEUE_FULL: i32 = -4;
export const E_BACKPRESSURE: i32 = -5;
export const E_CORRUPT: i32 = -6;
export const E_STATE: i32 = -7;

let started = false;
let corrupt = false;
const learned_out = new Writer(1 << 12);

export function node_init(ptr: usize, len: i32): i32 {
  check_limits();
  const r = new Reader(ptr, len);
  const version = r.u8();
  config.self_id = r.u32();
  config.quorum = <i32>r.u32();
  const flags = r.u32();
  const seed = r.u64();
  const count = r.u32();
  if (r.failed || version != CODEC_VERSION || count == 0 || count > <u32>REPLICAS_MAX) return E_MALFORMED;
  const ids = new Array<u32>();
  for (let i: u32 = 0; i < count; i++) ids.push(r.u32());
  if (r.failed || config.quorum < 1 || config.quorum > <i32>count) return E_MALFORMED;
  config.auto_initialize = (flags & 1) != 0;
  config.mutation_accept_low_writes = (flags & 0x80000000) != 0;
  config.mutation_overwrite_learned = (flags & 0x40000000) != 0;
  config.set_peers(ids);
  prng_seed(seed);
  seed_round_ids(<u32>(prng_next() >> 32) | 1);
  assert(config.peer_index(config.self_id) >= 0, "init: self not in replica set");
  return 0;
}

export function node_step(ptr: usize, len: i32): i32 {
  if (len < 1) return E_MALFORMED;
  if (outbox.pending_bytes() > OUTBOX_SOFT_MAX_BYTES) return E_BACKPRESSURE;
  const kind = load<u8>(ptr);
  const r = new Reader(ptr + 1, len - 1);
  if (kind == EVENT_RESTORE) return restore(r);
  if (kind == EVENT_START) return start();
  if (!started) return E_NOT_STARTED;
  let code = 0;
  if (kind == EVENT_TICK) {
    const ticks = r.u32();
    if (r.failed || ticks == 0 || ticks > 1000000) return E_MALFORMED;
    config.now_ticks += <i64>ticks;
    coordinator.tick();
    recovery.tick();
  } else if (kind == EVENT_PEER_MESSAGE) {
    const from = r.u32();
    if (r.failed) return E_MALFORMED;
    if (config.peer_index(from) < 0 || from == config.self_id) return E_UNKNOWN_PEER;
    const m = read_message(r.ptr, r.remaining());
    if (m == null) return E_MALFORMED;
    dispatch(from, m);
  } else {
    code = writer_event(kind, r);
  }
  drain();
  return code;
}

function writer_event(kind: u8, r: Reader): i32 {
  if (kind == EVENT_APPEND) {
    const id = r.u32();
    const n = r.remaining();
    if (r.failed || n > ENTRY_PAYLOAD_MAX_BYTES) return E_MALFORMED;
    return coordinator.append(id, r.ptr, n) ? 0 : E_QUEUE_FULL;
  }
  if (kind == EVENT_TRUNCATE) {
    const id = r.u32();
    const to = r.u64();
    if (r.failed || r.remaining() != 0 || to > POSITION_MAX) return E_MALFORMED;
    return coordinator.truncate(id, to) ? 0 : E_QUEUE_FULL;
  }
  if (kind == EVENT_ELECT) {
    coordinator.elect();
    return 0;
  }
  if (kind == EVENT_DEMOTE) {
    coordinator.demote(0);
    return 0;
  }
  if (kind == EVENT_CATCHUP) {
    const id = r.u32();
    if (r.failed) return E_MALFORMED;
    recovery.start_catchup(id);
    return 0;
  }
  return E_MALFORMED;
}

/** Restored records, in the order the host stored them (later ones win). */
function restore(r: Reader): i32 {
  if (started) return E_STATE;
  while (r.remaining() > 0) {
    const frame = read_frame(r.ptr, r.remaining());
    if (frame == null) {
      corrupt = true; // never serve or vote on data we cannot verify (S13)
      return E_CORRUPT;
    }
    r.skip(frame.total);
    const body = frame.body;
    if (frame.kind == KIND_METADATA) {
      const status = body.u8();
      const promised = body.u64();
      const fence_proposal = body.u64();
      const fence_position = body.u64();
      if (body.failed || status < 1 || status > 4 || fence_position > POSITION_MAX) { corrupt = true; return E_CORRUPT; }
      replica.restore_metadata(status, promised, fence_proposal, fence_position);
    } else if (frame.kind == KIND_ACTION) {
      const a = read_action(body);
      if (a == null) { corrupt = true; return E_CORRUPT; }
      replica.restore_action(a);
    } else if (frame.kind == KIND_ERASE) {
      replica.restore_erase(body.u64());
    } else if (frame.kind == KIND_LEARN) {
      const proposal = body.u64();
      const first = body.u64();
      const count = body.u32();
      if (body.failed || first > POSITION_MAX || count == 0) { corrupt = true; return E_CORRUPT; }
      replica.restore_learn(proposal, first, count);
    } else {
      corrupt = true;
      return E_CORRUPT;
    }
  }
  return 0;
}

function start(): i32 {
  if (started) return E_STATE;
  started = true;
  if (corrupt) {
    // Drop everything and come back EMPTY: the quorum re-teaches us (recovery, §3.8).
    replica.actions.clear();
    replica.learned_count = 0;
    replica.end = 0;
    replica.promised = 0;
    replica.fence_proposal = 0;
    replica.fence_position = 0;
    replica.status = STATUS_EMPTY;
    outbox.persist_erase(POSITION_MAX);
    replica.persist_metadata();
  }
  replica.finish_restore();
  outbox.notice(NOTICE_STATUS, replica.status, 0);
  if (replica.status != STATUS_VOTING) recovery.start_recover();
  drain();
  return corrupt ? E_CORRUPT : 0;
}

function dispatch(from: u32, m: Message): void {
  const kind = m.kind;
  if (kind == KIND_PROMISE_REQUEST) replica.on_promise(from, m);
  else if (kind == KIND_WRITE_REQUEST) replica.on_write(from, m);
  else if (kind == KIND_LEARNED) replica.on_learned(m);
  else if (kind == KIND_LEARNED_RANGE) replica.on_learned_range(m);
  else if (kind == KIND_RECOVER_REQUEST) replica.on_recover(from, m);
  else if (kind == KIND_FENCE_REQUEST) replica.on_fence(from, m);
  else {
    const round = find_round(m.round);
    if (round != null) round.on_response(config.peer_index(from), m);
  }
}

/** Delivers self-addressed messages (our coordinator talking to our replica), in order. */
function drain(): void {
  let guard = 0;
  for (;;) {
    const local = outbox.local;
    for (let i = 0; i < local.length; i++) {
      assert(++guard <= LOCAL_QUEUE_MAX, "local queue beyond LOCAL_QUEUE_MAX");
      dispatch(config.self_id, unchecked(local[i]));
    }
    local.length = 0;
    coordinator.poll();
    recovery.poll();
    if (outbox.local.length == 0) break;
  }
}

/** Flushes the coordinator's queue into rounds and encodes the batch into `out`. */
export function node_ready(out: Writer): i32 {
  if (!started) return 0;
  for (let i = 0; i < 64; i++) {
    const before = outbox.local.length + coordinator.inflight.length;
    coordinator.flush();
    drain();
    if (coordinator.queue_head >= coordinator.queue.length || before == 0) break;
  }
  learned_out.reset();
  const learned_count = replica.emit_learned(learned_out);
  if (outbox.is_empty() && learned_count == 0) return 0;
  outbox.encode(out, learned_out, learned_count);
  return out.length;
}

/** A digest of the replica's durable-relevant state, for simulation checks. */
export function node_hash(): i32 {
  let h: u64 = 0xcbf29ce484222325;
  h = (h ^ <u64>replica.status) * 0x100000001b3;
  h = (h ^ replica.promised) * 0x100000001b3;
  h = (h ^ replica.begin) * 0x100000001b3;
  h = (h ^ replica.end) * 0x100000001b3;
  h = (h ^ <u64>replica.learned_count) * 0x100000001b3;
  return <i32>(h ^ (h >> 32));
}
