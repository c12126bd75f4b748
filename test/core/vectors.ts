// The golden codec vectors: each named value, its bytes live in test/fixtures/codec-vectors.json.
// The scenario in codec.test.ts makes the WASM core emit exactly these bytes.
import { ActionType, Kind, ResponseType, Status, type Message, type StoredRecord } from "../../host/codec/index.ts";

const hello = new TextEncoder().encode("hello");

export const MESSAGE_VECTORS: Record<string, Message> = {
  "message.promise_request.implicit": { kind: Kind.PromiseRequest, round: 7, proposal: 3, explicit: false, position: 0 },
  "message.promise_response.accept": { kind: Kind.PromiseResponse, round: 7, type: ResponseType.ACCEPT, proposal: 3, hasPosition: true, position: 0, fenceProposal: 0, fencePosition: 0 },
  "message.write_request.batch": {
    kind: Kind.WriteRequest,
    round: 8,
    proposal: 3,
    learned: false,
    append: true,
    actions: [
      { position: 1, promised: 3, performed: 3, learned: false, tombstone: false, type: ActionType.APPEND, payload: hello },
      { position: 2, promised: 3, performed: 3, learned: false, tombstone: false, type: ActionType.TRUNCATE, truncateTo: 1 },
    ],
  },
  "message.write_response.accept": { kind: Kind.WriteResponse, round: 8, type: ResponseType.ACCEPT, proposal: 3, position: 1, count: 2 },
  "message.learned.truncate": {
    kind: Kind.Learned,
    actions: [{ position: 2, promised: 3, performed: 3, learned: true, tombstone: false, type: ActionType.TRUNCATE, truncateTo: 1 }],
  },
  "message.recover_request": { kind: Kind.RecoverRequest, round: 9 },
  "message.learned_range": { kind: Kind.LearnedRange, proposal: 3, first: 1, count: 1 },
  "message.fence_request": { kind: Kind.FenceRequest, round: 11, proposal: 3, position: 3 },
  "message.fence_response.accept": { kind: Kind.FenceResponse, round: 11, type: ResponseType.ACCEPT, proposal: 3 },
  "message.recover_response.voting": { kind: Kind.RecoverResponse, round: 9, status: Status.VOTING, hasRange: true, begin: 1, end: 2, promised: 3 },
  "message.promise_request.explicit": { kind: Kind.PromiseRequest, round: 10, proposal: 4, explicit: true, position: 0 },
  "message.promise_response.tombstone": {
    kind: Kind.PromiseResponse,
    round: 10,
    type: ResponseType.ACCEPT,
    proposal: 4,
    hasPosition: true,
    position: 0,
    fenceProposal: 3,
    fencePosition: 1,
    action: { position: 0, promised: 3, performed: 3, learned: true, tombstone: true, type: ActionType.NOP },
  },
};

export const RECORD_VECTORS: Record<string, StoredRecord> = {
  "record.metadata.voting": { kind: Kind.Metadata, status: Status.VOTING, promised: 3, fenceProposal: 0, fencePosition: 0 },
  "record.metadata.fenced": { kind: Kind.Metadata, status: Status.VOTING, promised: 3, fenceProposal: 3, fencePosition: 1 },
  "record.action.append": {
    kind: Kind.Action,
    action: { position: 1, promised: 3, performed: 3, learned: false, tombstone: false, type: ActionType.APPEND, payload: hello },
  },
  "record.action.truncate": {
    kind: Kind.Action,
    action: { position: 2, promised: 3, performed: 3, learned: false, tombstone: false, type: ActionType.TRUNCATE, truncateTo: 1 },
  },
  "record.action.truncate_learned": {
    kind: Kind.Action,
    action: { position: 2, promised: 3, performed: 3, learned: true, tombstone: false, type: ActionType.TRUNCATE, truncateTo: 1 },
  },
  "record.erase": { kind: Kind.Erase, to: 1 },
  "record.learn": { kind: Kind.Learn, proposal: 3, first: 1, count: 1 },
  "record.action.large_position": {
    kind: Kind.Action,
    action: { position: 2 ** 53 - 1, promised: 2 ** 40, performed: 0, learned: false, tombstone: false, type: ActionType.NONE },
  },
};
