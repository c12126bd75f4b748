// The coordinator (Mesos coordinator.cpp, reference §3.7): the proposer used by the local
// writer. Election runs an implicit promise (Multi-Paxos: one promise covers every position
// above the reported ends), then fills every position up to the highest end that the local
// replica has not learned, then writes appends and truncations at index+1, index+2, ...
//
// Beyond Mesos, a fence round sits between the fills and the first append: a quorum must
// record "proposal P appends from index+1; anything above performed below P is a ghost".
// A value a demoted coordinator wrote to a minority (a ghost) is otherwise legal Paxos
// input to a later fill, which could choose it after our appends — an op from a superseded
// writer applied after its successor's (S7). Fills replace such ghosts with NOPs (fill.ts),
// and a fence is refused where a filler already holds a higher promise (replica.ts).
//
// Beyond Mesos, without weakening a rule: up to WRITE_ROUNDS_MAX write rounds are in flight
// at once (a window of positions), and each round carries up to BATCH_ENTRIES_MAX entries
// at consecutive positions, all under the one implicit promise. Every position is still its
// own Paxos instance, judged by the replicas exactly as a single write would be. Any rejected
// or quorum-ignored round demotes the coordinator: every queued or in-flight write answers
// "none" and the writer must elect again (a higher proposal has taken over, S7).
import { Round, register_round, unregister_round, OUTCOME_PENDING } from "./rounds";
import {
  Action, TYPE_APPEND, TYPE_TRUNCATE, RESPONSE_ACCEPT, RESPONSE_REJECT, assert_position, assert_proposal,
} from "./action";
import {
  Message, write_promise_request, write_write_request, write_learned_range, write_fence_request,
} from "../codec/messages";
import { KIND_PROMISE_RESPONSE, KIND_WRITE_REQUEST, KIND_WRITE_RESPONSE, KIND_FENCE_RESPONSE } from "../codec/frame";
import {
  outbox, BROADCAST, RESULT_APPEND, RESULT_TRUNCATE, RESULT_NONE, RESULT_OK, RESULT_INVALID,
  NOTICE_ELECTED, NOTICE_ELECT_FAILED, NOTICE_DEMOTED,
} from "./outbox";
import { config } from "./config";
import { replica } from "./replica";
import { FillSet } from "./fill";
import { prng_range } from "../util/prng";
import {
  APPEND_QUEUE_MAX, BATCH_BYTES_MAX, ENTRY_PAYLOAD_MAX_BYTES, BATCH_ENTRIES_MAX, WRITE_ROUNDS_MAX, PROMISE_TIMEOUT_TICKS,
  ELECT_BACKOFF_TICKS_MIN, ELECT_BACKOFF_TICKS_MAX, RETRANSMIT_TICKS, POSITION_MAX, PROPOSAL_MAX,
  APPEND_ARENA_CHUNK_BYTES,
} from "../util/limits";

export const STATE_INITIAL: u8 = 0;
export const STATE_ELECTING: u8 = 1;
export const STATE_FILLING: u8 = 2;
export const STATE_FENCING: u8 = 3;
export const STATE_ELECTED: u8 = 4;

const FAILED_IGNORED: u64 = 1;
const FAILED_REJECTED: u64 = 2;
const FAILED_TIMEOUT: u64 = 3;

/** The result kind of a queued or written action: an append or a truncate. */
function result_kind(a: Action): u8 {
  return a.type == TYPE_APPEND ? RESULT_APPEND : RESULT_TRUNCATE;
}

class ElectRound extends Round {
  end_max: u64 = 0;
  override on_response(index: i32, m: Message): void {
    if (m.kind == KIND_PROMISE_RESPONSE) coordinator.promise_response(this, index, m);
  }
}

class FenceRound extends Round {
  override on_response(index: i32, m: Message): void {
    if (m.kind == KIND_FENCE_RESPONSE) coordinator.fence_response(this, index, m);
  }
}

class WriteRound extends Round {
  first: u64 = 0;
  actions: Array<Action> = [];
  /** The host's request id of each action, in the same order. */
  request_ids: Array<u32> = [];
  override on_response(index: i32, m: Message): void {
    if (m.kind == KIND_WRITE_RESPONSE) coordinator.write_response(this, index, m);
  }
}

/**
 * Appended values are copied into shared chunks of APPEND_ARENA_CHUNK_BYTES; each action
 * references its bytes there (a chunk lives while any of its actions does: the log drops
 * positions in order, so chunks go as the log is truncated). A value larger than a quarter
 * of a chunk gets a buffer of its own, so a chunk wastes at most a quarter of itself.
 */
class AppendArena {
  chunk: StaticArray<u8> | null = null;
  used: i32 = 0;

  copy_in(a: Action, ptr: usize, n: i32): void {
    let buffer: StaticArray<u8>;
    let at = 0;
    if (n > APPEND_ARENA_CHUNK_BYTES / 4) {
      buffer = new StaticArray<u8>(n);
    } else {
      if (this.chunk == null || this.used + n > APPEND_ARENA_CHUNK_BYTES) {
        this.chunk = new StaticArray<u8>(APPEND_ARENA_CHUNK_BYTES);
        this.used = 0;
      }
      buffer = this.chunk!;
      at = this.used;
      this.used += n;
    }
    memory.copy(changetype<usize>(buffer) + <usize>at, ptr, <usize>n);
    a.set_payload(buffer, at, n);
  }
}

export class Coordinator {
  state: u8 = STATE_INITIAL;
  /** The writer asked to lead; failed elections are retried after a back-off until demoted. */
  wanted: bool = false;
  proposal: u64 = 0;
  /** Last position known (election) or written; the next write goes to index + 1. */
  index: u64 = 0;
  next_position: u64 = 0;
  retry_at_ticks: i64 = 0;
  electing: ElectRound | null = null;
  fencing: FenceRound | null = null;
  fills: FillSet = new FillSet();
  /**
   * Appends and truncates waiting for a position: each an Action of its type and value
   * (position and proposals are set when a round takes it), with the host's request id.
   */
  queue: Array<Action> = [];
  queue_ids: Array<u32> = [];
  queue_head: i32 = 0;
  inflight: Array<WriteRound> = [];
  /** Where appended values are copied to (one allocation per chunk, not per append). */
  arena: AppendArena = new AppendArena();

  // ---- election --------------------------------------------------------------------------

  elect(): void {
    this.wanted = true;
    if (this.state == STATE_INITIAL) this.attempt();
  }

  private attempt(): void {
    assert(this.state == STATE_INITIAL, "elect: not initial");
    const base = this.proposal > replica.promised ? this.proposal : replica.promised;
    assert(base < PROPOSAL_MAX, "elect: proposal space exhausted");
    this.proposal = base + 1;
    assert(this.proposal > replica.promised, "elect: proposal not above our own promise");
    this.state = STATE_ELECTING;
    const r = new ElectRound();
    r.proposal = this.proposal;
    register_round(r);
    this.electing = r;
    const w = outbox.scratch;
    w.reset();
    write_promise_request(w, r.id, this.proposal, false, 0);
    outbox.route(BROADCAST);
  }

  promise_response(r: ElectRound, index: i32, m: Message): void {
    if (this.electing !== r || this.state != STATE_ELECTING) return;
    if (!r.tally.record(index, m.type, m.proposal)) return;
    if (m.type == RESPONSE_ACCEPT && m.has_position && m.position > r.end_max) r.end_max = m.position;
    const outcome = r.tally.outcome();
    if (outcome == OUTCOME_PENDING) return;
    unregister_round(r);
    this.electing = null;
    if (outcome == RESPONSE_ACCEPT) {
      assert_position(r.end_max);
      this.index = r.end_max;
      this.state = STATE_FILLING;
      // Catch the local replica up over [begin, index] so it can serve reads (Mesos). The
      // fills start one above our implicit promise: a hole is implicitly promised to us at
      // `proposal`, and an explicit promise must be strictly higher to be granted.
      this.fills.start(replica.begin, this.index, this.proposal + 1);
      this.poll();
    } else if (outcome == RESPONSE_REJECT) {
      assert(r.tally.highest_nack >= this.proposal, "elect: rejected by a lower proposal");
      this.proposal = r.tally.highest_nack;
      this.failed(FAILED_REJECTED);
    } else {
      this.failed(FAILED_IGNORED);
    }
  }

  private failed(reason: u64): void {
    this.state = STATE_INITIAL;
    outbox.notice(NOTICE_ELECT_FAILED, reason, this.proposal);
    this.retry_at_ticks = config.now_ticks + prng_range(ELECT_BACKOFF_TICKS_MIN, ELECT_BACKOFF_TICKS_MAX);
  }

  /** Advances an election whose fills may have finished: then the fence round. */
  poll(): void {
    if (this.state != STATE_FILLING || !this.fills.done()) return;
    this.fills.stop();
    this.state = STATE_FENCING;
    const r = new FenceRound();
    r.proposal = this.proposal;
    register_round(r);
    this.fencing = r;
    this.send_fence(r, BROADCAST);
  }

  private send_fence(r: FenceRound, to: u32): void {
    const w = outbox.scratch;
    w.reset();
    write_fence_request(w, r.id, this.proposal, this.index + 1);
    outbox.route(to);
  }

  fence_response(r: FenceRound, index: i32, m: Message): void {
    if (this.fencing !== r || this.state != STATE_FENCING) return;
    assert(r.proposal == this.proposal, "fence round of another proposal");
    if (!r.tally.record(index, m.type, m.proposal)) return;
    const outcome = r.tally.outcome();
    if (outcome == OUTCOME_PENDING) return;
    unregister_round(r);
    this.fencing = null;
    if (outcome == RESPONSE_ACCEPT) {
      this.state = STATE_ELECTED;
      this.next_position = this.index + 1;
      outbox.notice(NOTICE_ELECTED, this.index, this.proposal);
    } else if (outcome == RESPONSE_REJECT) {
      assert(r.tally.highest_nack >= this.proposal, "fence: rejected by a lower proposal");
      this.proposal = r.tally.highest_nack;
      this.failed(FAILED_REJECTED);
    } else {
      this.failed(FAILED_IGNORED);
    }
  }

  // ---- writes ----------------------------------------------------------------------------

  /**
   * Queues an append of the n bytes at ptr (the input region: copied here); false when the
   * queue is full (the host retries after draining).
   */
  append(id: u32, ptr: usize, n: i32): bool {
    assert(n >= 0 && n <= ENTRY_PAYLOAD_MAX_BYTES, "append: payload beyond limit");
    if (this.state != STATE_ELECTED) {
      outbox.result(id, RESULT_APPEND, RESULT_NONE, 0);
      return true;
    }
    if (this.queue.length - this.queue_head >= APPEND_QUEUE_MAX) return false;
    const a = new Action();
    a.type = TYPE_APPEND;
    this.arena.copy_in(a, ptr, n);
    this.queue.push(a);
    this.queue_ids.push(id);
    return true;
  }

  truncate(id: u32, to: u64): bool {
    assert_position(to);
    if (this.state != STATE_ELECTED) {
      outbox.result(id, RESULT_TRUNCATE, RESULT_NONE, 0);
      return true;
    }
    if (this.queue.length - this.queue_head >= APPEND_QUEUE_MAX) return false;
    const a = new Action();
    a.type = TYPE_TRUNCATE;
    a.truncate_to = to;
    this.queue.push(a);
    this.queue_ids.push(id);
    return true;
  }

  /** Packs queued requests into write rounds while the window has room. */
  flush(): void {
    while (this.state == STATE_ELECTED && this.queue_head < this.queue.length && this.inflight.length < WRITE_ROUNDS_MAX) {
      this.send_round();
    }
    if (this.queue_head == this.queue.length && this.queue_head > 0) {
      // Emptied: reuse the arrays (their capacity stays; no regrowth per refill).
      this.queue.length = 0;
      this.queue_ids.length = 0;
      this.queue_head = 0;
    }
  }

  private send_round(): void {
    const round = new WriteRound();
    round.proposal = this.proposal;
    round.first = this.next_position;
    let bytes = 0;
    while (this.queue_head < this.queue.length && round.actions.length < BATCH_ENTRIES_MAX) {
      const a = unchecked(this.queue[this.queue_head]);
      const id = unchecked(this.queue_ids[this.queue_head]);
      const size = a.payload != null ? a.payload_len : 8;
      if (round.actions.length > 0 && bytes + size > BATCH_BYTES_MAX) break;
      this.queue_head++;
      const position = this.next_position;
      assert(position < POSITION_MAX, "coordinator: position space exhausted");
      if (a.type == TYPE_TRUNCATE && a.truncate_to > position) {
        outbox.result(id, RESULT_TRUNCATE, RESULT_INVALID, position);
        continue;
      }
      assert_position(position);
      assert_proposal(this.proposal);
      a.position = position;
      a.promised = this.proposal;
      a.performed = this.proposal;
      round.actions.push(a);
      round.request_ids.push(id);
      bytes += size;
      this.next_position++;
    }
    if (round.actions.length == 0) return;
    assert(round.actions.length == round.request_ids.length, "write round: requests and actions differ");
    assert(this.inflight.length < WRITE_ROUNDS_MAX, "write rounds beyond WRITE_ROUNDS_MAX");
    register_round(round);
    this.inflight.push(round);
    this.send_write(round, BROADCAST);
  }

  private send_write(round: WriteRound, to: u32): void {
    if (to == BROADCAST || to == config.self_id) this.write_local(round);
    if (to == config.self_id) return;
    const w = outbox.scratch;
    w.reset();
    write_write_request(w, round.id, round.proposal, false, true, round.actions);
    outbox.route_remote(to);
  }

  /**
   * Our own replica gets the round as objects, not bytes (the hot path of every append).
   * It keeps the very actions of the round (no copy per entry): accepting sets promised and
   * performed to the round's proposal and learned to false, which they already are, and the
   * only later in-place change, learned = true, comes from this round's LEARNED_RANGE, sent
   * after the round left `inflight` (nothing re-encodes it then). The TEST ONLY mutation
   * may raise `promised` on accept, so it gets copies, as before.
   */
  private write_local(round: WriteRound): void {
    const m = new Message();
    m.kind = KIND_WRITE_REQUEST;
    m.round = round.id;
    m.proposal = round.proposal;
    m.append = true;
    m.count = <u32>round.actions.length;
    if (config.mutation_accept_low_writes) {
      const actions = new Array<Action>(round.actions.length);
      for (let i = 0; i < round.actions.length; i++) unchecked((actions[i] = unchecked(round.actions[i]).clone()));
      m.actions = actions;
    } else {
      for (let i = 0; i < round.actions.length; i++) {
        const a = unchecked(round.actions[i]);
        assert(a.promised == round.proposal && a.performed == round.proposal && !a.learned, "write_local: action changed in flight");
      }
      m.actions = round.actions; // read only by the replica (on_write), never resized
    }
    outbox.deliver_local(m);
  }

  write_response(round: WriteRound, index: i32, m: Message): void {
    if (this.state != STATE_ELECTED || m.position != round.first) return;
    if (!round.tally.record(index, m.type, m.proposal)) return;
    const outcome = round.tally.outcome();
    if (outcome == OUTCOME_PENDING) return;
    if (outcome == RESPONSE_ACCEPT) {
      this.chosen(round);
    } else {
      // A higher proposal holds the replicas (or too few vote): we lost exclusive access.
      this.demote(outcome == RESPONSE_REJECT ? round.tally.highest_nack : this.proposal);
    }
  }

  /** A quorum accepted the round: every position in it is chosen. */
  private chosen(round: WriteRound): void {
    assert(this.state == STATE_ELECTED, "chosen while not elected");
    assert(round.proposal == this.proposal, "chosen round of another proposal");
    unregister_round(round);
    const at = this.inflight.indexOf(round);
    assert(at >= 0, "chosen: round not in flight");
    this.inflight.splice(at, 1);
    for (let i = 0; i < round.actions.length; i++) {
      const a = unchecked(round.actions[i]);
      outbox.result(unchecked(round.request_ids[i]), result_kind(a), RESULT_OK, a.position);
    }
    const w = outbox.scratch;
    w.reset();
    write_learned_range(w, round.proposal, round.first, <u32>round.actions.length);
    outbox.route(BROADCAST); // includes our own replica, which learns before results go out
  }

  /** Lost exclusive access (or the writer gave up): all writes answer none. */
  demote(nack: u64): void {
    assert_proposal(nack);
    if (nack > this.proposal) this.proposal = nack;
    let answered: u64 = 0;
    for (let i = 0; i < this.inflight.length; i++) {
      const round = unchecked(this.inflight[i]);
      unregister_round(round);
      for (let j = 0; j < round.actions.length; j++) {
        outbox.result(unchecked(round.request_ids[j]), result_kind(unchecked(round.actions[j])), RESULT_NONE, 0);
        answered++;
      }
    }
    for (let i = this.queue_head; i < this.queue.length; i++) {
      outbox.result(unchecked(this.queue_ids[i]), result_kind(unchecked(this.queue[i])), RESULT_NONE, 0);
      answered++;
    }
    this.inflight = [];
    this.queue = [];
    this.queue_ids = [];
    this.queue_head = 0;
    const was = this.state;
    this.stop_election();
    this.state = STATE_INITIAL;
    this.wanted = false;
    assert(this.inflight.length == 0 && this.queue.length == 0, "demote: writes left behind");
    if (was != STATE_INITIAL || answered > 0) outbox.notice(NOTICE_DEMOTED, this.proposal, answered);
  }

  private stop_election(): void {
    if (this.electing != null) unregister_round(this.electing!);
    this.electing = null;
    if (this.fencing != null) unregister_round(this.fencing!);
    this.fencing = null;
    if (this.fills.running) this.fills.stop();
  }

  // ---- time ------------------------------------------------------------------------------

  tick(): void {
    const now = config.now_ticks;
    if (this.state == STATE_ELECTING) {
      const r = this.electing!;
      if (now - r.started_ticks >= PROMISE_TIMEOUT_TICKS) {
        unregister_round(r);
        this.electing = null;
        this.failed(FAILED_TIMEOUT);
      }
    } else if (this.state == STATE_INITIAL) {
      if (this.wanted && now >= this.retry_at_ticks) this.attempt();
    } else if (this.state == STATE_FILLING) {
      this.fills.tick();
      this.poll();
    } else if (this.state == STATE_FENCING) {
      this.fence_tick(now);
    } else {
      this.retransmit(now);
    }
  }

  /** Fence requests are idempotent: re-send to silent replicas; give up after a while. */
  private fence_tick(now: i64): void {
    const r = this.fencing!;
    if (now - r.started_ticks >= PROMISE_TIMEOUT_TICKS) {
      unregister_round(r);
      this.fencing = null;
      this.failed(FAILED_TIMEOUT);
      return;
    }
    if (now - r.last_sent_ticks < RETRANSMIT_TICKS) return;
    r.last_sent_ticks = now;
    for (let j = 0; j < config.peers.length; j++) {
      if ((r.tally.responded & (<u32>1 << <u32>j)) == 0) this.send_fence(r, unchecked(config.peers[j]));
    }
  }

  private retransmit(now: i64): void {
    for (let i = 0; i < this.inflight.length; i++) {
      const round = unchecked(this.inflight[i]);
      if (now - round.last_sent_ticks < RETRANSMIT_TICKS) continue;
      round.last_sent_ticks = now;
      for (let j = 0; j < config.peers.length; j++) {
        if ((round.tally.responded & (<u32>1 << <u32>j)) != 0) continue;
        this.send_write(round, unchecked(config.peers[j]));
      }
    }
  }
}

export const coordinator = new Coordinator();
