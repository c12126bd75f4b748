// Fill (Mesos consensus.cpp FillProcess, reference §3.7): learn one position by running a
// full Paxos instance — explicit promise, then write the value Paxos allows (a learned
// value short-circuits; else the highest performed value; else a NOP), then broadcast it as
// learned. A rejected or timed-out phase bumps the proposal above the highest refusal and
// retries after a random back-off drawn from the core's PRNG. FillSet runs many fills over a
// range (election catch-up, recovery catch-up, reader catch-up) within a bounded window.
import { Round, register_round, unregister_round, OUTCOME_PENDING } from "./rounds";
import { Action, TYPE_NONE, RESPONSE_ACCEPT, assert_position, assert_proposal } from "./action";
import { Message, write_promise_request, write_write_request, write_learned } from "../codec/messages";
import { KIND_PROMISE_RESPONSE, KIND_WRITE_RESPONSE } from "../codec/frame";
import { outbox, BROADCAST } from "./outbox";
import { config } from "./config";
import { replica } from "./replica";
import { prng_range } from "../util/prng";
import {
  FILL_BACKOFF_TICKS_MIN, FILL_BACKOFF_TICKS_MAX, FILL_PROMISE_TIMEOUT_TICKS, FILL_TIMEOUT_TICKS,
  RETRANSMIT_TICKS, FILLS_IN_FLIGHT_MAX, CATCHUP_SCAN_MAX, PROPOSAL_MAX,
} from "../util/limits";

const PHASE_PROMISE: u8 = 1;
const PHASE_WRITE: u8 = 2;
const PHASE_BACKOFF: u8 = 3;
const PHASE_DONE: u8 = 4;

export class Fill extends Round {
  position: u64 = 0;
  phase: u8 = PHASE_BACKOFF;
  backoff_until_ticks: i64 = 0;
  fill_started_ticks: i64 = 0;
  best: Action | null = null;
  value: Action | null = null;
  /** Highest fence at or below our position reported by the promise quorum. */
  fence: u64 = 0;

  constructor(position: u64, proposal: u64) {
    super();
    assert_position(position);
    assert_proposal(proposal);
    this.position = position;
    this.proposal = proposal;
    this.fill_started_ticks = config.now_ticks;
  }

  start_promise(): void {
    assert(this.phase != PHASE_DONE, "fill: restart after done");
    register_round(this);
    this.phase = PHASE_PROMISE;
    this.best = null;
    this.fence = 0;
    const w = outbox.scratch;
    w.reset();
    write_promise_request(w, this.id, this.proposal, true, this.position);
    outbox.route(BROADCAST);
  }

  override on_response(index: i32, m: Message): void {
    if (this.phase == PHASE_PROMISE && m.kind == KIND_PROMISE_RESPONSE) this.promise_response(index, m);
    if (this.phase == PHASE_WRITE && m.kind == KIND_WRITE_RESPONSE) this.write_response(index, m);
  }

  private promise_response(index: i32, m: Message): void {
    assert(this.phase == PHASE_PROMISE, "fill: promise reply outside the promise phase");
    if (m.has_position && m.position != this.position) return;
    if (!this.tally.record(index, m.type, m.proposal)) return;
    if (m.type == RESPONSE_ACCEPT && m.fence_position <= this.position && m.fence_proposal > this.fence) {
      this.fence = m.fence_proposal;
    }
    if (m.type == RESPONSE_ACCEPT && m.action != null) {
      const a = m.action!;
      if (a.position != this.position) return;
      if (a.learned) {
        this.finish(a); // already chosen somewhere: just make it known
        return;
      }
      if (a.type != TYPE_NONE && (this.best == null || a.performed > this.best!.performed)) this.best = a;
    }
    const outcome = this.tally.outcome();
    if (outcome == OUTCOME_PENDING) return;
    if (outcome != RESPONSE_ACCEPT) {
      this.retry(this.tally.highest_nack);
      return;
    }
    // Paxos: a value found in the promise quorum must be written again; else any (a NOP).
    // A value performed below a fence was never chosen (replica.ts): it is a ghost of a
    // demoted coordinator and must not come back, so it is replaced by a NOP.
    const live = this.best != null && this.best!.performed >= this.fence;
    const value = live ? this.best!.clone() : Action.nop(this.position, this.proposal, false);
    value.promised = this.proposal;
    value.performed = this.proposal;
    value.learned = false;
    this.value = value;
    this.start_write();
  }

  private start_write(): void {
    unregister_round(this);
    register_round(this);
    this.phase = PHASE_WRITE;
    this.send_write(BROADCAST);
  }

  private send_write(to: u32): void {
    const w = outbox.scratch;
    w.reset();
    write_write_request(w, this.id, this.proposal, false, false, [this.value!]);
    outbox.route(to);
  }

  private write_response(index: i32, m: Message): void {
    assert(this.phase == PHASE_WRITE && this.value != null, "fill: write reply outside the write phase");
    if (m.position != this.position) return;
    if (!this.tally.record(index, m.type, m.proposal)) return;
    const outcome = this.tally.outcome();
    if (outcome == OUTCOME_PENDING) return;
    if (outcome != RESPONSE_ACCEPT) {
      this.retry(this.tally.highest_nack);
      return;
    }
    const chosen = this.value!.clone();
    chosen.learned = true;
    this.finish(chosen);
  }

  /** Broadcasts the chosen value as learned (to ourselves too) and ends the fill. */
  private finish(a: Action): void {
    assert(a.learned && a.position == this.position, "fill: finishing with a wrong action");
    unregister_round(this);
    const learned = a.clone();
    const w = outbox.scratch;
    w.reset();
    write_learned(w, [learned]);
    outbox.route(BROADCAST);
    this.phase = PHASE_DONE;
  }

  private retry(nack: u64): void {
    unregister_round(this);
    const base = nack > this.proposal ? nack : this.proposal;
    assert(base < PROPOSAL_MAX, "fill: proposal space exhausted");
    this.proposal = base + 1;
    assert(this.proposal > nack, "fill: retry not above the refusal");
    this.phase = PHASE_BACKOFF;
    this.backoff_until_ticks = config.now_ticks + prng_range(FILL_BACKOFF_TICKS_MIN, FILL_BACKOFF_TICKS_MAX);
  }

  tick(): void {
    const now = config.now_ticks;
    if (this.phase == PHASE_BACKOFF && now >= this.backoff_until_ticks) {
      this.start_promise();
    } else if (this.phase == PHASE_PROMISE && now - this.started_ticks >= FILL_PROMISE_TIMEOUT_TICKS) {
      this.retry(this.proposal);
    } else if (this.phase == PHASE_WRITE) {
      if (now - this.started_ticks >= FILL_TIMEOUT_TICKS) {
        this.retry(this.proposal);
      } else if (now - this.last_sent_ticks >= RETRANSMIT_TICKS) {
        this.last_sent_ticks = now;
        this.resend_write();
      }
    }
  }

  /** Writes are idempotent: re-send to the replicas that have not answered yet. */
  private resend_write(): void {
    for (let i = 0; i < config.peers.length; i++) {
      if ((this.tally.responded & (<u32>1 << <u32>i)) != 0) continue;
      this.send_write(unchecked(config.peers[i]));
    }
  }

  done(): bool {
    return this.phase == PHASE_DONE;
  }

  stop(): void {
    unregister_round(this);
    this.phase = PHASE_DONE;
  }
}

/** Fills every position of [from, to] the local replica has not learned, a window at a time. */
export class FillSet {
  active: Array<Fill> = [];
  running: bool = false;
  cursor: u64 = 0;
  to: u64 = 0;
  proposal: u64 = 0;
  empty_range: bool = false;

  start(from: u64, to: u64, proposal: u64): void {
    assert(!this.running, "FillSet: already running");
    assert_position(from);
    this.running = true;
    this.cursor = from;
    this.to = to;
    this.empty_range = from > to;
    this.proposal = proposal;
    this.active = [];
    this.pump();
  }

  /** Drops finished fills and launches new ones for unlearned positions, bounded per call. */
  pump(): void {
    if (!this.running) return;
    const still = new Array<Fill>();
    for (let i = 0; i < this.active.length; i++) {
      const f = unchecked(this.active[i]);
      if (f.proposal > this.proposal) this.proposal = f.proposal;
      if (!f.done()) still.push(f);
    }
    this.active = still;
    let scanned = 0;
    while (!this.empty_range && this.cursor <= this.to && this.active.length < FILLS_IN_FLIGHT_MAX && scanned < CATCHUP_SCAN_MAX) {
      scanned++;
      const p = this.cursor;
      this.cursor++;
      if (replica.is_learned(p)) continue;
      const f = new Fill(p, this.proposal);
      this.active.push(f);
      f.start_promise();
    }
    assert(this.active.length <= FILLS_IN_FLIGHT_MAX, "FillSet: window beyond FILLS_IN_FLIGHT_MAX");
  }

  tick(): void {
    if (!this.running) return;
    for (let i = 0; i < this.active.length; i++) unchecked(this.active[i]).tick();
    this.pump();
  }

  done(): bool {
    if (!this.running) return false;
    this.pump();
    return (this.empty_range || this.cursor > this.to) && this.active.length == 0;
  }

  stop(): void {
    for (let i = 0; i < this.active.length; i++) unchecked(this.active[i]).stop();
    this.active = [];
    this.running = false;
  }
}
