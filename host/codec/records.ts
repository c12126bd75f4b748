// Stored records and the Action body (mirror of core/codec/records.ts):
//   METADATA (1) := status:u8 | promised:u64 | fence_proposal:u64 | fence_position:u64
//   ACTION   (2) := action
//   ERASE    (3) := to:u64
//   LEARN    (4) := proposal:u64 | first:u64 | count:u32  -- mark learned the actions of
//                   [first, first+count) whose performed == proposal
//   action := position:u64 | promised:u64 | performed:u64 | flags:u8 (bit0 learned,
//             bit1 tombstone) | type:u8 | APPEND: len:u32 bytes | TRUNCATE: to:u64
import { ByteReader, ByteWriter, CodecError } from "./bytes.ts";
import { Kind, readFrame, writeFrame } from "./frame.ts";

export const Status = { VOTING: 1, RECOVERING: 2, STARTING: 3, EMPTY: 4 } as const;
export const ActionType = { NONE: 0, NOP: 1, APPEND: 2, TRUNCATE: 3 } as const;
export const ENTRY_PAYLOAD_MAX_BYTES = 1 << 20;

export interface Action {
  position: number;
  promised: number;
  performed: number;
  learned: boolean;
  tombstone: boolean;
  type: number;
  /** APPEND only. */
  payload?: Uint8Array;
  /** TRUNCATE only. */
  truncateTo?: number;
}

export type StoredRecord =
  | { kind: typeof Kind.Metadata; status: number; promised: number; fenceProposal: number; fencePosition: number }
  | { kind: typeof Kind.Action; action: Action }
  | { kind: typeof Kind.Erase; to: number }
  | { kind: typeof Kind.Learn; proposal: number; first: number; count: number };

export function writeAction(w: ByteWriter, a: Action): void {
  w.u64(a.position).u64(a.promised).u64(a.performed);
  w.u8((a.learned ? 1 : 0) | (a.tombstone ? 2 : 0)).u8(a.type);
  if (a.type === ActionType.APPEND) {
    const p = a.payload ?? new Uint8Array(0);
    w.u32(p.length).bytes(p);
  } else if (a.type === ActionType.TRUNCATE) {
    w.u64(a.truncateTo ?? 0);
  }
}

export function readAction(r: ByteReader): Action {
  const a: Action = {
    position: r.u64(),
    promised: r.u64(),
    performed: r.u64(),
    learned: false,
    tombstone: false,
    type: 0,
  };
  const flags = r.u8();
  if (flags > 3) throw new CodecError("action flags");
  a.learned = (flags & 1) !== 0;
  a.tombstone = (flags & 2) !== 0;
  a.type = r.u8();
  if (a.type > ActionType.TRUNCATE) throw new CodecError("action type");
  if (a.type === ActionType.APPEND) {
    const len = r.u32();
    if (len > ENTRY_PAYLOAD_MAX_BYTES) throw new CodecError("payload too long");
    a.payload = r.bytes(len);
  } else if (a.type === ActionType.TRUNCATE) {
    a.truncateTo = r.u64();
  }
  return a;
}

export function writeRecord(w: ByteWriter, record: StoredRecord): void {
  writeFrame(w, record.kind, (b) => {
    if (record.kind === Kind.Metadata) b.u8(record.status).u64(record.promised).u64(record.fenceProposal).u64(record.fencePosition);
    else if (record.kind === Kind.Action) writeAction(b, record.action);
    else if (record.kind === Kind.Learn) b.u64(record.proposal).u64(record.first).u32(record.count);
    else b.u64(record.to);
  });
}

export function encodeRecord(record: StoredRecord): Uint8Array {
  const w = new ByteWriter();
  writeRecord(w, record);
  return w.toBytes();
}

/** Decodes every record of a persist blob (concatenated frames). */
export function decodeRecords(blob: Uint8Array): StoredRecord[] {
  const out: StoredRecord[] = [];
  let offset = 0;
  while (offset < blob.length) {
    const frame = readFrame(blob, offset);
    offset += frame.total;
    const r = frame.body;
    let record: StoredRecord;
    if (frame.kind === Kind.Metadata) {
      const status = r.u8();
      if (status < 1 || status > 4) throw new CodecError("metadata status");
      record = { kind: Kind.Metadata, status, promised: r.u64(), fenceProposal: r.u64(), fencePosition: r.u64() };
    } else if (frame.kind === Kind.Action) {
      record = { kind: Kind.Action, action: readAction(r) };
    } else if (frame.kind === Kind.Erase) {
      record = { kind: Kind.Erase, to: r.u64() };
    } else if (frame.kind === Kind.Learn) {
      const proposal = r.u64(), first = r.u64(), count = r.u32();
      if (count === 0) throw new CodecError("learn record: empty range");
      record = { kind: Kind.Learn, proposal, first, count };
    } else {
      throw new CodecError(`record kind ${frame.kind}`);
    }
    if (r.remaining() !== 0) throw new CodecError("trailing bytes in record");
    out.push(record);
  }
  return out;
}

/** Mesos Position.identity(): the position as 8 big-endian bytes (sortable bytewise). */
export function positionIdentity(position: number): Uint8Array {
  if (!Number.isSafeInteger(position) || position < 0) throw new RangeError(`position beyond 2^53: ${position}`);
  const out = new Uint8Array(8);
  const v = new DataView(out.buffer);
  v.setUint32(0, Math.floor(position / 0x100000000));
  v.setUint32(4, position % 0x100000000);
  return out;
}
