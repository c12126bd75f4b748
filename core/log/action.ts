// The log's vocabulary, named as in Mesos (src/messages/log.proto): replica statuses,
// action types, response types, and the Action itself (one position's Paxos state).
import { POSITION_MAX, PROPOSAL_MAX, ENTRY_PAYLOAD_MAX_BYTES } from "../util/limits";

// Metadata.Status (Mesos numbering).
export const STATUS_VOTING: u8 = 1;
export const STATUS_RECOVERING: u8 = 2;
export const STATUS_STARTING: u8 = 3;
export const STATUS_EMPTY: u8 = 4;

// Action.Type; NONE means "promised only, nothing performed".
export const TYPE_NONE: u8 = 0;
export const TYPE_NOP: u8 = 1;
export const TYPE_APPEND: u8 = 2;
export const TYPE_TRUNCATE: u8 = 3;

// PromiseResponse.Type / WriteResponse.Type.
export const RESPONSE_ACCEPT: u8 = 1;
export const RESPONSE_REJECT: u8 = 2;
export const RESPONSE_IGNORED: u8 = 3;

export function assert_position(position: u64): void {
  assert(position <= POSITION_MAX, "position beyond 2^53 - 1");
}

export function assert_proposal(proposal: u64): void {
  assert(proposal <= PROPOSAL_MAX, "proposal beyond 2^53 - 1");
}

/** One position of the log: what was promised, performed (accepted) and learned (chosen). */
export class Action {
  position: u64 = 0;
  promised: u64 = 0;
  performed: u64 = 0;
  learned: bool = false;
  tombstone: bool = false;
  type: u8 = TYPE_NONE;
  truncate_to: u64 = 0;
  payload: StaticArray<u8> | null = null;

  static promise_only(position: u64, promised: u64): Action {
    assert_position(position);
    assert_proposal(promised);
    const a = new Action();
    a.position = position;
    a.promised = promised;
    return a;
  }

  static nop(position: u64, proposal: u64, tombstone: bool): Action {
    const a = Action.promise_only(position, proposal);
    a.performed = proposal;
    a.type = TYPE_NOP;
    a.tombstone = tombstone;
    return a;
  }

  clone(): Action {
    const a = new Action();
    a.position = this.position;
    a.promised = this.promised;
    a.performed = this.performed;
    a.learned = this.learned;
    a.tombstone = this.tombstone;
    a.type = this.type;
    a.truncate_to = this.truncate_to;
    a.payload = this.payload; // payloads are never mutated after decode: sharing is safe
    return a;
  }

  /** Same chosen value (type and content), regardless of proposal numbers. */
  same_value(other: Action): bool {
    if (this.type != other.type) return false;
    if (this.type == TYPE_TRUNCATE) return this.truncate_to == other.truncate_to;
    if (this.type != TYPE_APPEND) return true;
    const a = this.payload!;
    const b = other.payload!;
    if (a.length != b.length) return false;
    return memory.compare(changetype<usize>(a), changetype<usize>(b), <usize>a.length) == 0;
  }

  /** Invariants every stored or transmitted action must satisfy. */
  check(): bool {
    if (this.position > POSITION_MAX || this.promised > PROPOSAL_MAX) return false;
    if (this.performed > PROPOSAL_MAX || this.truncate_to > POSITION_MAX) return false;
    if (this.type > TYPE_TRUNCATE) return false;
    if (this.type == TYPE_NONE && (this.performed != 0 || this.learned)) return false;
    if (this.type == TYPE_APPEND) {
      const p = this.payload;
      if (p == null || p.length > ENTRY_PAYLOAD_MAX_BYTES) return false;
    }
    return true;
  }
}
