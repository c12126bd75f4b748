// The replica: Paxos acceptor and learner (Mesos src/log/replica.cpp, reference §3.5).
// It holds the metadata (status, highest implicit promise) and one Action per position,
// answers promise/write/recover requests, and persists every change through the outbox
// before its reply can leave (the reply is in the same batch, sent after the sync).
import {
  Action, STATUS_EMPTY, STATUS_VOTING, TYPE_NONE, TYPE_NOP, TYPE_TRUNCATE,
  RESPONSE_ACCEPT, RESPONSE_REJECT, RESPONSE_IGNORED, assert_position, assert_proposal,
} from "./action";
import {
  Message, write_promise_response, write_write_response, write_recover_response, write_fence_response,
} from "../codec/messages";
import { outbox, write_learned_entry, NOTICE_STATUS, NOTICE_CONFLICT_REFUSED } from "./outbox";
import { Writer } from "../codec/writer";
import { ActionStore } from "./action_store";
import { config } from "./config";
import { POSITION_MAX, EARLY_LEARNED_MAX } from "../util/limits";

export class Replica {
  status: u8 = STATUS_EMPTY;
  /** Metadata.promised: the highest implicit promise given. */
  promised: u64 = 0;
  actions: ActionStore = new ActionStore();
  /** First position not truncated, and the highest position with a record (Mesos begin/end). */
  begin: u64 = 0;
  end: u64 = 0;
  /** Next position whose learned entry is handed to the host (entries go out in order). */
  learn_cursor: u64 = 0;
  /** Count of learned actions held, for the state digest and the simulator. */
  learned_count: i32 = 0;
  /**
   * Positions a write or Learned message would have overwritten, learned here, with another
   * value: refused and never persisted. A chosen value cannot change (Paxos), so each one is
   * a forged or corrupted message, or a bug; the host counts them from NOTICE_CONFLICT_REFUSED.
   */
  conflicts_refused: u64 = 0;
  /**
   * The fence (beyond Mesos): the highest proposal whose coordinator APPEND we accepted, and
   * the lowest position it appended at. That coordinator was elected with every position
   * below this one known, so a value at or above fence_position performed by a lower
   * proposal was never chosen and never can be: a fill must not bring it back (S7).
   */
  fence_proposal: u64 = 0;
  fence_position: u64 = 0;
  /**
   * Learned ranges that arrived before their writes (the network reorders): position ->
   * proposal. When the write of that proposal arrives, the position is learned at once.
   * Bounded; an entry dropped here is learned later by a fill.
   */
  early_learned: Map<u64, u64> = new Map();
  /** Scratch: the records a write batch found, reused across batches. */
  private found: Array<Action | null> = [];

  // ---- restore ---------------------------------------------------------------------------

  restore_metadata(status: u8, promised: u64, fence_proposal: u64, fence_position: u64): void {
    assert(status >= 1 && status <= 4, "restore: bad status");
    assert_proposal(promised);
    this.status = status;
    this.promised = promised;
    this.fence_proposal = fence_proposal;
    this.fence_position = fence_position;
  }

  persist_metadata(): void {
    outbox.persist_metadata(this.status, this.promised, this.fence_proposal, this.fence_position, true);
  }

  restore_action(a: Action): void {
    assert(a.check(), "restore: invalid action");
    this.put(a, this.get(a.position));
  }

  restore_erase(to: u64): void {
    this.erase_below(to);
  }

  restore_learn(proposal: u64, first: u64, count: u32): void {
    for (let p = first; p < first + <u64>count; p++) {
      const a = this.get(p);
      if (a == null || a.learned || a.performed != proposal || a.type == TYPE_NONE) continue;
      a.learned = true;
      this.learned_count++;
    }
  }

  /** Recomputes begin (Mesos: max learned TRUNCATE to, learned tombstone + 1) after restore. */
  finish_restore(): void {
    const values = this.actions.values();
    let begin: u64 = 0;
    for (let i = 0; i < values.length; i++) {
      const a = unchecked(values[i]);
      if (!a.learned) continue;
      if (a.type == TYPE_TRUNCATE && a.truncate_to > begin) begin = a.truncate_to;
      if (a.type == TYPE_NOP && a.tombstone && a.position + 1 > begin) begin = a.position + 1;
    }
    this.begin = begin;
    this.erase_below(begin);
    this.learn_cursor = begin;
    assert(this.begin <= this.end + 1, "restore: begin beyond end");
  }

  // ---- state helpers ---------------------------------------------------------------------

  /** Stores `a` in place of `old` (what get() returned for its position: callers have it). */
  private put(a: Action, old: Action | null): void {
    if (old != null && old.learned) this.learned_count--;
    if (a.learned) this.learned_count++;
    this.actions.set(a.position, a);
    if (a.position > this.end) this.end = a.position;
    assert(this.learned_count >= 0 && this.learned_count <= this.actions.size, "learned_count out of range");
  }

  /** Deletes every stored action below `to` (truncation); the records go in one ERASE. */
  private erase_below(to: u64): void {
    this.learned_count -= this.actions.delete_below(to);
  }

  get(position: u64): Action | null {
    return this.actions.get(position);
  }

  is_learned(position: u64): bool {
    if (position < this.begin) return true;
    const a = this.get(position);
    return a != null && a.learned;
  }

  set_status(status: u8): void {
    assert(status >= 1 && status <= 4, "set_status: bad status");
    this.status = status;
    this.persist_metadata();
    outbox.notice(NOTICE_STATUS, status, 0);
  }

  /** Raises the implicit promise (recovery adopts the VOTING quorum's highest). */
  raise_promised(promised: u64): void {
    assert_proposal(promised);
    if (promised <= this.promised) return;
    this.promised = promised;
    this.persist_metadata();
  }

  // ---- requests --------------------------------------------------------------------------

  private promise_reply(w: Writer, round: u32, type: u8, proposal: u64, has_position: bool, position: u64, action: Action | null): void {
    write_promise_response(w, round, type, proposal, has_position, position, action, this.fence_proposal, this.fence_position);
  }

  /** PromiseRequest: implicit (all unpromised positions) or explicit (one position). */
  on_promise(from: u32, m: Message): void {
    const w = outbox.scratch;
    w.reset();
    if (this.status != STATUS_VOTING) {
      this.promise_reply(w, m.round, RESPONSE_IGNORED, m.proposal, m.explicit, m.position, null);
    } else if (!m.explicit) {
      this.implicit_promise(w, m);
    } else {
      this.explicit_promise(w, m);
    }
    outbox.route(from);
  }

  private implicit_promise(w: Writer, m: Message): void {
    assert(this.status == STATUS_VOTING, "implicit promise while not VOTING");
    if (m.proposal <= this.promised) {
      this.promise_reply(w, m.round, RESPONSE_REJECT, this.promised, false, 0, null);
      return;
    }
    this.promised = m.proposal;
    this.persist_metadata();
    this.promise_reply(w, m.round, RESPONSE_ACCEPT, m.proposal, true, this.end, null);
    assert(this.promised == m.proposal, "implicit promise not recorded");
  }

  private explicit_promise(w: Writer, m: Message): void {
    const p = m.position;
    assert_position(p);
    assert(this.status == STATUS_VOTING, "explicit promise while not VOTING");
    if (p < this.begin) {
      // Truncated: answer with a learned tombstone NOP so the filler learns "gone".
      const tomb = Action.nop(p, this.promised, true);
      tomb.learned = true;
      this.promise_reply(w, m.round, RESPONSE_ACCEPT, m.proposal, true, p, tomb);
      return;
    }
    const existing = this.get(p);
    if (existing == null) {
      if (m.proposal <= this.promised) {
        this.promise_reply(w, m.round, RESPONSE_REJECT, this.promised, true, p, null);
        return;
      }
      const a = Action.promise_only(p, m.proposal);
      this.put(a, null);
      outbox.persist_action(a, true);
      this.promise_reply(w, m.round, RESPONSE_ACCEPT, m.proposal, true, p, null);
      return;
    }
    if (m.proposal <= existing.promised) {
      this.promise_reply(w, m.round, RESPONSE_REJECT, existing.promised, true, p, null);
      return;
    }
    const previous = existing.clone();
    const updated = existing.clone();
    updated.promised = m.proposal;
    assert(updated.promised > existing.promised, "explicit promise did not rise");
    this.put(updated, existing);
    outbox.persist_action(updated, true);
    this.promise_reply(w, m.round, RESPONSE_ACCEPT, m.proposal, true, p, previous.type == TYPE_NONE && !previous.learned ? null : previous);
  }

  /**
   * WriteRequest for a batch of positions, each judged by Mesos's rule: REJECT iff the
   * proposal is below the position's promise (or the implicit promise when no record).
   * The batch is all-or-nothing: one rejected position rejects the round.
   */
  on_write(from: u32, m: Message): void {
    const w = outbox.scratch;
    const first = m.actions.length > 0 ? unchecked(m.actions[0]).position : 0;
    const count = <u32>m.actions.length;
    if (this.status != STATUS_VOTING) {
      w.reset();
      write_write_response(w, m.round, RESPONSE_IGNORED, m.proposal, first, count);
      outbox.route(from);
      return;
    }
    let nack: u64 = 0;
    let rejected = false;
    let conflicts: u32 = 0;
    let first_conflict: u64 = 0;
    const found = this.found;
    found.length = 0;
    for (let i = 0; i < m.actions.length; i++) {
      const a = unchecked(m.actions[i]);
      const existing = this.get(a.position);
      found.push(existing);
      const promise = existing != null ? existing.promised : this.promised;
      if (a.position < this.begin) {
        rejected = true; // truncated: the writer is behind; make it re-elect
        nack = max(nack, max(this.promised, m.proposal));
      } else if (m.proposal < promise && !config.mutation_accept_low_writes) {
        rejected = true;
        nack = max(nack, promise);
      } else if (existing != null && existing.learned && !existing.same_value(a)) {
        if (conflicts == 0) first_conflict = a.position;
        conflicts++;
      }
    }
    w.reset();
    assert(found.length == m.actions.length, "on_write: a position was not judged");
    if (rejected) {
      assert(nack >= m.proposal, "on_write: rejected by a lower proposal");
      write_write_response(w, m.round, RESPONSE_REJECT, nack, first, count);
    } else if (conflicts > 0) {
      this.refused_conflicts(conflicts, first_conflict);
      return; // Mesos: a write to a learned position is ignored without a reply
    } else {
      this.accept_writes(m);
      if (m.append) this.raise_fence(m.proposal, first);
      write_write_response(w, m.round, RESPONSE_ACCEPT, m.proposal, first, count);
    }
    outbox.route(from);
  }

  /** Accepts every write of the batch; `found` holds each position's record, as judged. */
  private accept_writes(m: Message): void {
    const found = this.found;
    assert(found.length == m.actions.length, "accept_writes: records not looked up");
    for (let i = 0; i < m.actions.length; i++) {
      const a = unchecked(m.actions[i]);
      const existing = unchecked(found[i]);
      if (existing != null && existing.learned) {
        // Same value, already chosen. Our ACCEPT vouches for it: the learned record (maybe
        // persisted without sync) must be durable before the reply leaves.
        outbox.must_sync = true;
        continue;
      }
      const stored = a; // freshly decoded from the request: ours to keep
      // Accepting (b, v) is also a promise not to accept below b at this position.
      const promise = existing != null ? existing.promised : this.promised;
      stored.promised = max(promise, m.proposal);
      stored.performed = m.proposal;
      stored.learned = m.learned;
      assert(stored.type != TYPE_NONE, "write without a value");
      assert(stored.performed <= stored.promised, "accepted a write above its own promise record");
      if (this.early_learned.size > 0 && this.early_learned.has(a.position)) {
        if (this.early_learned.get(a.position) == m.proposal) stored.learned = true;
        this.early_learned.delete(a.position);
      }
      this.put(stored, existing);
      outbox.persist_action(stored, true);
      if (stored.learned) this.after_learned(stored);
    }
  }

  /** A coordinator's appends at `position` and above: lower-proposal values there are dead. */
  private raise_fence(proposal: u64, position: u64): void {
    assert_proposal(proposal);
    assert_position(position);
    if (proposal < this.fence_proposal) return;
    if (proposal == this.fence_proposal && position >= this.fence_position) return;
    this.fence_proposal = proposal;
    this.fence_position = position;
    this.persist_metadata();
  }

  /**
   * FenceRequest: a coordinator elected with every position below m.position chosen asks
   * the replicas to hold that fence before it appends. Refused when a higher proposal holds
   * us (implicitly, or explicitly at a position at or above the fence): then a filler may
   * already be re-writing an old value up there, and this coordinator must not append.
   */
  on_fence(from: u32, m: Message): void {
    const w = outbox.scratch;
    w.reset();
    let type = RESPONSE_ACCEPT;
    let nack = m.proposal;
    if (this.status != STATUS_VOTING) {
      type = RESPONSE_IGNORED;
    } else {
      nack = this.fence_conflict(m.proposal, m.position);
      if (nack > m.proposal) type = RESPONSE_REJECT;
      else this.raise_fence(m.proposal, m.position);
      assert(type != RESPONSE_ACCEPT || this.fence_proposal == m.proposal, "fence accepted but not held");
    }
    write_fence_response(w, m.round, type, type == RESPONSE_REJECT ? nack : m.proposal);
    outbox.route(from);
  }

  /** The highest proposal that outranks a fence (proposal, position), or proposal itself. */
  private fence_conflict(proposal: u64, position: u64): u64 {
    let highest = max(proposal, max(this.promised, this.fence_proposal));
    const values = this.actions.values();
    for (let i = 0; i < values.length; i++) {
      const a = unchecked(values[i]);
      if (a.position >= position && a.promised > highest) highest = a.promised;
    }
    return highest;
  }

  /**
   * LearnedMessage: persist each action as given (Mesos does no more), except over a position
   * learned here with another value: that is refused and counted (one notice per message).
   */
  on_learned(m: Message): void {
    let conflicts: u32 = 0;
    let first: u64 = 0;
    for (let i = 0; i < m.actions.length; i++) {
      const a = unchecked(m.actions[i]);
      if (this.learn(a)) continue;
      if (conflicts == 0) first = a.position;
      conflicts++;
    }
    if (conflicts > 0) this.refused_conflicts(conflicts, first);
  }

  private refused_conflicts(count: u32, first: u64): void {
    assert(count > 0, "refused_conflicts: nothing refused");
    this.conflicts_refused += <u64>count;
    outbox.notice(NOTICE_CONFLICT_REFUSED, <u64>count, first);
  }

  /**
   * LearnedRange: the values `m.proposal` wrote at [position, position + count) are chosen.
   * We learn those we hold with exactly that proposal; any other we will learn by a fill.
   */
  on_learned_range(m: Message): void {
    assert(m.count > 0, "learned range: empty");
    assert_position(m.position);
    let marked = 0;
    for (let p = m.position; p < m.position + <u64>m.count; p++) {
      const a = this.get(p);
      if (a == null || a.performed < m.proposal) {
        if (p >= this.begin && this.early_learned.size < EARLY_LEARNED_MAX) this.early_learned.set(p, m.proposal);
        continue;
      }
      if (a.learned || a.performed != m.proposal || a.type == TYPE_NONE) continue;
      a.learned = true; // the stored action is ours alone: mark it in place
      this.learned_count++;
      marked++;
      if (a.type == TYPE_TRUNCATE) {
        // Keep the order of records: the learn record must precede the ERASE it causes.
        outbox.persist_learn(m.proposal, m.position, m.count);
        marked = 0;
      }
      this.after_learned(a);
    }
    if (marked > 0) outbox.persist_learn(m.proposal, m.position, m.count);
  }

  /**
   * Records a chosen value for a position (from a learned message or our own coordinator).
   * False when the position is learned here with another value: a chosen value never
   * changes, so the message is forged or corrupt and nothing of it is kept.
   */
  learn(a: Action): bool {
    assert(a.learned && a.type != TYPE_NONE, "learn: action must be learned with a value");
    if (a.position < this.begin) return true; // already truncated away
    const existing = this.get(a.position);
    if (existing != null && existing.learned) {
      // The same value again is a harmless no-op (fills re-send what they learned). A
      // tombstone says "truncated elsewhere", not another value: the truncate will follow.
      if (existing.same_value(a) || a.tombstone) return true;
      if (!config.mutation_overwrite_learned) return false;
    }
    const stored = a; // freshly decoded from a learned message: ours to keep
    if (existing != null && existing.promised > stored.promised) stored.promised = existing.promised;
    this.put(stored, existing);
    // A lost learned flag is harmless (fill re-learns it), so learned records need no sync.
    outbox.persist_action(stored, false);
    this.after_learned(stored);
    return true;
  }

  private after_learned(a: Action): void {
    assert(a.learned, "after_learned: action not learned");
    if (a.type == TYPE_TRUNCATE) this.truncate(a.truncate_to);
    if (a.type == TYPE_NOP && a.tombstone) this.truncate(a.position); // keep the tombstone
    if (a.type == TYPE_NOP && a.tombstone && a.position + 1 > this.begin) this.begin = a.position + 1;
  }

  private truncate(to: u64): void {
    assert_position(to);
    if (to > this.begin) this.begin = to;
    this.erase_below(to);
    assert(this.begin >= to, "truncate: begin below the truncation point");
    if (this.early_learned.size > 0) this.early_learned.clear(); // stale hints: fills will do
    outbox.persist_erase(to);
  }

  on_recover(from: u32, m: Message): void {
    const w = outbox.scratch;
    w.reset();
    const voting = this.status == STATUS_VOTING;
    assert(!voting || this.begin <= this.end + 1, "recover: begin beyond end");
    write_recover_response(w, m.round, this.status, voting, voting ? this.begin : 0, voting ? this.end : 0, this.promised);
    outbox.route(from);
  }

  // ---- output ----------------------------------------------------------------------------

  /** Appends learned entries from the cursor onwards, in position order, to `w`. */
  emit_learned(w: Writer): u32 {
    if (this.learn_cursor < this.begin) this.learn_cursor = this.begin;
    let count: u32 = 0;
    while (this.learn_cursor <= POSITION_MAX) {
      const a = this.get(this.learn_cursor);
      if (a == null || !a.learned) break;
      write_learned_entry(w, a);
      count++;
      this.learn_cursor++;
    }
    assert(this.learn_cursor >= this.begin, "learned cursor behind begin");
    return count;
  }
}

export const replica = new Replica();
