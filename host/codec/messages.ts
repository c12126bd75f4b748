// Peer messages (mirror of core/codec/messages.ts, which documents each layout).
import { ByteReader, ByteWriter, CodecError } from "./bytes.ts";
import { Kind, readFrame, writeFrame } from "./frame.ts";
import { type Action, readAction, writeAction } from "./records.ts";

export const ResponseType = { ACCEPT: 1, REJECT: 2, IGNORED: 3 } as const;

export type Message =
  | { kind: typeof Kind.PromiseRequest; round: number; proposal: number; explicit: boolean; position: number }
  | {
      kind: typeof Kind.PromiseResponse;
      round: number;
      type: number;
      proposal: number;
      hasPosition: boolean;
      position: number;
      fenceProposal: number;
      fencePosition: number;
      action?: Action;
    }
  | { kind: typeof Kind.WriteRequest; round: number; proposal: number; learned: boolean; append: boolean; actions: Action[] }
  | { kind: typeof Kind.WriteResponse; round: number; type: number; proposal: number; position: number; count: number }
  | { kind: typeof Kind.Learned; actions: Action[] }
  | { kind: typeof Kind.RecoverRequest; round: number }
  | {
      kind: typeof Kind.RecoverResponse;
      round: number;
      status: number;
      hasRange: boolean;
      begin: number;
      end: number;
      promised: number;
    }
  | { kind: typeof Kind.FenceRequest; round: number; proposal: number; position: number }
  | { kind: typeof Kind.FenceResponse; round: number; type: number; proposal: number }
  | { kind: typeof Kind.LearnedRange; proposal: number; first: number; count: number };

export function encodeMessage(m: Message): Uint8Array {
  const w = new ByteWriter();
  writeFrame(w, m.kind, (b) => writeBody(b, m));
  return w.toBytes();
}

function writeBody(b: ByteWriter, m: Message): void {
  switch (m.kind) {
    case Kind.PromiseRequest:
      b.u32(m.round).u64(m.proposal).u8(m.explicit ? 1 : 0).u64(m.position);
      return;
    case Kind.PromiseResponse:
      b.u32(m.round).u8(m.type).u64(m.proposal).u8((m.hasPosition ? 1 : 0) | (m.action ? 2 : 0)).u64(m.position);
      b.u64(m.fenceProposal).u64(m.fencePosition);
      if (m.action) writeAction(b, m.action);
      return;
    case Kind.WriteRequest:
      b.u32(m.round).u64(m.proposal).u8((m.learned ? 1 : 0) | (m.append ? 2 : 0)).u32(m.actions.length);
      for (const a of m.actions) writeAction(b, a);
      return;
    case Kind.WriteResponse:
      b.u32(m.round).u8(m.type).u64(m.proposal).u64(m.position).u32(m.count);
      return;
    case Kind.Learned:
      b.u32(m.actions.length);
      for (const a of m.actions) writeAction(b, a);
      return;
    case Kind.RecoverRequest:
      b.u32(m.round);
      return;
    case Kind.RecoverResponse:
      b.u32(m.round).u8(m.status).u8(m.hasRange ? 1 : 0).u64(m.begin).u64(m.end).u64(m.promised);
      return;
    case Kind.FenceRequest:
      b.u32(m.round).u64(m.proposal).u64(m.position);
      return;
    case Kind.FenceResponse:
      b.u32(m.round).u8(m.type).u64(m.proposal);
      return;
    case Kind.LearnedRange:
      b.u64(m.proposal).u64(m.first).u32(m.count);
      return;
  }
}

function readActions(r: ByteReader): Action[] {
  const count = r.u32();
  if (count === 0 || count > 1024) throw new CodecError("batch size");
  const actions: Action[] = [];
  for (let i = 0; i < count; i++) actions.push(readAction(r));
  return actions;
}

/** Decodes one whole message frame; throws CodecError when anything is off. */
export function decodeMessage(bytes: Uint8Array): Message {
  const frame = readFrame(bytes);
  if (frame.total !== bytes.length) throw new CodecError("trailing bytes after message");
  const r = frame.body;
  let m: Message;
  switch (frame.kind) {
    case Kind.PromiseRequest: {
      const round = r.u32(), proposal = r.u64(), flags = r.u8(), position = r.u64();
      m = { kind: Kind.PromiseRequest, round, proposal, explicit: (flags & 1) !== 0, position };
      break;
    }
    case Kind.PromiseResponse: {
      const round = r.u32(), type = r.u8(), proposal = r.u64(), flags = r.u8(), position = r.u64();
      const fenceProposal = r.u64(), fencePosition = r.u64();
      m = { kind: Kind.PromiseResponse, round, type, proposal, hasPosition: (flags & 1) !== 0, position, fenceProposal, fencePosition };
      if (flags & 2) m.action = readAction(r);
      break;
    }
    case Kind.WriteRequest: {
      const round = r.u32(), proposal = r.u64(), flags = r.u8();
      m = { kind: Kind.WriteRequest, round, proposal, learned: (flags & 1) !== 0, append: (flags & 2) !== 0, actions: readActions(r) };
      break;
    }
    case Kind.WriteResponse: {
      const round = r.u32(), type = r.u8(), proposal = r.u64(), position = r.u64(), count = r.u32();
      m = { kind: Kind.WriteResponse, round, type, proposal, position, count };
      break;
    }
    case Kind.Learned:
      m = { kind: Kind.Learned, actions: readActions(r) };
      break;
    case Kind.RecoverRequest:
      m = { kind: Kind.RecoverRequest, round: r.u32() };
      break;
    case Kind.RecoverResponse: {
      const round = r.u32(), status = r.u8(), flags = r.u8(), begin = r.u64(), end = r.u64(), promised = r.u64();
      m = { kind: Kind.RecoverResponse, round, status, hasRange: (flags & 1) !== 0, begin, end, promised };
      break;
    }
    case Kind.FenceRequest:
      m = { kind: Kind.FenceRequest, round: r.u32(), proposal: r.u64(), position: r.u64() };
      break;
    case Kind.FenceResponse: {
      const round = r.u32(), type = r.u8(), proposal = r.u64();
      m = { kind: Kind.FenceResponse, round, type, proposal };
      break;
    }
    case Kind.LearnedRange: {
      const proposal = r.u64(), first = r.u64(), count = r.u32();
      if (count === 0 || count > 1024) throw new CodecError("learned range count");
      m = { kind: Kind.LearnedRange, proposal, first, count };
      break;
    }
    default:
      throw new CodecError(`message kind ${frame.kind}`);
  }
  if (r.remaining() !== 0) throw new CodecError("trailing bytes in message body");
  return m;
}
