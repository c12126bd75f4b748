// Quorum rounds (reference §3.6): a request broadcast to every replica and the count of
// their replies. Each round has an id echoed by the replies, so a reply reaches exactly the
// round that asked; one reply per replica is counted (duplicates are dropped).
import { Message } from "../codec/messages";
import { RESPONSE_ACCEPT, RESPONSE_REJECT, RESPONSE_IGNORED } from "./action";
import { config } from "./config";

export const OUTCOME_PENDING: u8 = 0;

/** Counts one round's replies with Mesos's rule. */
export class Tally {
  responded: u32 = 0;
  ignores: i32 = 0;
  responses: i32 = 0;
  rejected: bool = false;
  highest_nack: u64 = 0;

  /** Records a reply from replica `index`; false if that replica already answered. */
  record(index: i32, type: u8, proposal: u64): bool {
    assert(index >= 0 && index < 32, "tally: replica index out of range");
    const bit = <u32>1 << <u32>index;
    if ((this.responded & bit) != 0) return false;
    this.responded |= bit;
    if (type == RESPONSE_IGNORED) {
      this.ignores++;
    } else {
      this.responses++;
      if (type == RESPONSE_REJECT) {
        this.rejected = true;
        if (proposal > this.highest_nack) this.highest_nack = proposal;
      }
    }
    return true;
  }

  /** IGNORED once a quorum ignored; else after a quorum of answers REJECT if any, else ACCEPT. */
  outcome(): u8 {
    if (this.ignores >= config.quorum) return RESPONSE_IGNORED;
    if (this.responses < config.quorum) return OUTCOME_PENDING;
    return this.rejected ? RESPONSE_REJECT : RESPONSE_ACCEPT;
  }

  /** Every replica has answered (used by recovery to decide "no decision possible"). */
  all_in(): bool {
    return this.responded == config.all_mask();
  }
}

/** A round in flight; subclasses handle their replies. */
export class Round {
  id: u32 = 0;
  proposal: u64 = 0;
  started_ticks: i64 = 0;
  last_sent_ticks: i64 = 0;
  tally: Tally = new Tally();

  on_response(index: i32, m: Message): void {
    assert(false, "Round.on_response not overridden");
  }
}

let next_round_id: u32 = 1;
const rounds = new Map<u32, Round>();

/** Gives a round a fresh id and makes it reachable by replies. */
export function register_round(r: Round): void {
  assert(rounds.size < 1 << 16, "too many rounds in flight");
  r.id = next_round_id;
  next_round_id = next_round_id == 0xffffffff ? 1 : next_round_id + 1;
  r.tally = new Tally();
  r.started_ticks = config.now_ticks;
  r.last_sent_ticks = config.now_ticks;
  rounds.set(r.id, r);
}

export function unregister_round(r: Round): void {
  if (rounds.has(r.id) && rounds.get(r.id) == r) rounds.delete(r.id);
}

export function find_round(id: u32): Round | null {
  return rounds.has(id) ? rounds.get(id) : null;
}

/** Seeds the id sequence so a restarted node does not reuse its previous ids. */
export function seed_round_ids(seed: u32): void {
  next_round_id = seed == 0 ? 1 : seed;
}

export function rounds_in_flight(): i32 {
  return rounds.size;
}
