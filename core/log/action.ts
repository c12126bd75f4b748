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
  /**
   * APPEND: the value is `payload_len` bytes at `payload_at` in `payload`, a buffer that may
   * hold other actions' values too (the decoded message they came in, or a chunk of the
   * coordinator's append arena): one allocation per message instead of one per entry. The
   * bytes are never mutated after they are written, so sharing is safe.
   */
  payload: StaticArray<u8> | null = null;
  payload_at: i32 = 0;
  payload_len: i32 = 0;
  /**
   * Set by a checked WRITE_REQUEST (messages.ts): this action's encoding is the `wire_len`
   * bytes at `wire_at` in `payload`'s buffer, and `wire_crc` is their CRC term
   * (crc32c_update(0, bytes)), valid only when `wire_checked`. Its ACTION record reuses the
   * term when the record body is byte-for-byte those bytes (records.ts compares them).
   */
  wire_at: i32 = 0;
  wire_len: i32 = 0;
  wire_crc: u32 = 0;
  wire_checked: bool = false;

  /** Address of the value's first byte (APPEND only). */
  @inline payload_ptr(): usize {
    return changetype<usize>(this.payload) + <usize>this.payload_at;
  }

  /** Sets the value to n bytes at `at` in `buffer` (which the action then keeps alive). */
  set_payload(buffer: StaticArray<u8>, at: i32, n: i32): void {
    assert(at >= 0 && n >= 0 && at + n <= buffer.length, "set_payload: outside the buffer");
    this.payload = buffer;
    this.payload_at = at;
    this.payload_len = n;
  }

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
    a.payload_at = this.payload_at;
    a.payload_len = this.payload_len;
    a.wire_at = this.wire_at;
    a.wire_len = this.wire_len;
    a.wire_crc = this.wire_crc;
    a.wire_checked = this.wire_checked;
    return a;
  }

  /** Same chosen value (type and content), regardless of proposal numbers. */
  same_value(other: Action): bool {
    if (this.type != other.type) return false;
    if (this.type == TYPE_TRUNCATE) return this.truncate_to == other.truncate_to;
    if (this.type != TYPE_APPEND) return true;
    if (this.payload_len != other.payload_len) return false;
    return memory.compare(this.payload_ptr(), other.payload_ptr(), <usize>this.payload_len) == 0;
  }

  /** Invariants every stored or transmitted action must satisfy. */
  check(): bool {
    if (this.position > POSITION_MAX || this.promised > PROPOSAL_MAX) return false;
    if (this.performed > PROPOSAL_MAX || this.truncate_to > POSITION_MAX) return false;
    if (this.type > TYPE_TRUNCATE) return false;
    if (this.type == TYPE_NONE && (this.performed != 0 || this.learned)) return false;
    if (this.type == TYPE_APPEND) {
      const p = this.payload;
      if (p == null || this.payload_len < 0 || this.payload_len > ENTRY_PAYLOAD_MAX_BYTES) return false;
      if (this.payload_at < 0 || this.payload_at > p.length - this.payload_len) return false;
    }
    return true;
  }
}
