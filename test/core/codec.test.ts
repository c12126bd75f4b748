// Proves the binary format is one format on both sides: the TS codec round-trips every
// message and record (property test), matches the golden vectors byte for byte, and the
// WASM core emits exactly those bytes; corrupted frames are refused, never applied.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import vectors from "../fixtures/codec-vectors.json";
import {
  ActionType, Kind, crc32c, decodeMessage, decodeRecords, encodeMessage, encodeRecord,
  type Action, type Message, type StoredRecord,
} from "../../host/codec/index.ts";
import { MESSAGE_VECTORS, RECORD_VECTORS } from "./vectors.ts";
import { LoneReplica, VOTING } from "./harness.ts";
import { MemoryStore } from "../../host/storage/memory.ts";
import { StepError } from "../../host/core.ts";

const golden = vectors as Record<string, string>;
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const u53 = fc.maxSafeNat();
const u32 = fc.nat({ max: 0xffffffff });

const action: fc.Arbitrary<Action> = fc
  .record({
    position: u53, promised: u53, performed: u53, learned: fc.boolean(), tombstone: fc.boolean(),
    type: fc.constantFrom(ActionType.NONE, ActionType.NOP, ActionType.APPEND, ActionType.TRUNCATE),
    payload: fc.uint8Array({ maxLength: 64 }), truncateTo: u53,
  })
  .map(({ payload, truncateTo, ...a }) => ({
    ...a,
    ...(a.type === ActionType.APPEND ? { payload } : {}),
    ...(a.type === ActionType.TRUNCATE ? { truncateTo } : {}),
  }));

const message: fc.Arbitrary<Message> = fc.oneof(
  fc.record({ kind: fc.constant(Kind.PromiseRequest), round: u32, proposal: u53, explicit: fc.boolean(), position: u53 }),
  fc.record(
    { kind: fc.constant(Kind.PromiseResponse), round: u32, type: fc.integer({ min: 1, max: 3 }), proposal: u53, hasPosition: fc.boolean(), position: u53, fenceProposal: u53, fencePosition: u53, action },
    { requiredKeys: ["kind", "round", "type", "proposal", "hasPosition", "position", "fenceProposal", "fencePosition"] },
  ),
  fc.record({ kind: fc.constant(Kind.WriteRequest), round: u32, proposal: u53, learned: fc.boolean(), append: fc.boolean(), actions: fc.array(action, { minLength: 1, maxLength: 5 }) }),
  fc.record({ kind: fc.constant(Kind.WriteResponse), round: u32, type: fc.integer({ min: 1, max: 3 }), proposal: u53, position: u53, count: fc.integer({ min: 0, max: 1024 }) }),
  fc.record({ kind: fc.constant(Kind.Learned), actions: fc.array(action, { minLength: 1, maxLength: 5 }) }),
  fc.record({ kind: fc.constant(Kind.RecoverRequest), round: u32 }),
  fc.record({ kind: fc.constant(Kind.LearnedRange), proposal: u53, first: u53, count: fc.integer({ min: 1, max: 1024 }) }),
  fc.record({ kind: fc.constant(Kind.FenceRequest), round: u32, proposal: u53, position: u53 }),
  fc.record({ kind: fc.constant(Kind.FenceResponse), round: u32, type: fc.integer({ min: 1, max: 3 }), proposal: u53 }),
  fc.record({ kind: fc.constant(Kind.RecoverResponse), round: u32, status: fc.integer({ min: 1, max: 4 }), hasRange: fc.boolean(), begin: u53, end: u53, promised: u53 }),
) as fc.Arbitrary<Message>;

const record: fc.Arbitrary<StoredRecord> = fc.oneof(
  fc.record({ kind: fc.constant(Kind.Metadata), status: fc.integer({ min: 1, max: 4 }), promised: u53, fenceProposal: u53, fencePosition: u53 }),
  fc.record({ kind: fc.constant(Kind.Action), action }),
  fc.record({ kind: fc.constant(Kind.Erase), to: u53 }),
  fc.record({ kind: fc.constant(Kind.Learn), proposal: u53, first: u53, count: fc.integer({ min: 1, max: 1024 }) }),
) as fc.Arbitrary<StoredRecord>;

describe("codec", () => {
  test("CRC-32C matches the standard check value", () => {
    expect(crc32c(new TextEncoder().encode("123456789"))).toBe(0xe3069283);
  });

  test("messages round-trip through the TS codec", () => {
    fc.assert(fc.property(message, (m) => expect(decodeMessage(encodeMessage(m))).toEqual(m)), { numRuns: 500 });
  });

  test("records round-trip through the TS codec, one blob of many", () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 8 }), (records) => {
        const blob = Buffer.concat(records.map(encodeRecord));
        expect(decodeRecords(new Uint8Array(blob))).toEqual(records);
      }),
      { numRuns: 300 },
    );
  });

  test("the TS codec matches every golden vector", () => {
    const names = [...Object.keys(MESSAGE_VECTORS), ...Object.keys(RECORD_VECTORS)].sort();
    expect(Object.keys(golden).sort()).toEqual(names);
    for (const [name, m] of Object.entries(MESSAGE_VECTORS)) {
      expect(hex(encodeMessage(m))).toBe(golden[name]!);
      expect(decodeMessage(Buffer.from(golden[name]!, "hex"))).toEqual(m);
    }
    for (const [name, r] of Object.entries(RECORD_VECTORS)) {
      expect(hex(encodeRecord(r))).toBe(golden[name]!);
      expect(decodeRecords(Buffer.from(golden[name]!, "hex"))).toEqual([r]);
    }
  });

  test("the WASM core reads the golden requests and answers with the golden bytes", () => {
    const r = new LoneReplica(undefined, VOTING);
    const persisted: string[] = [];
    const persist = r.store.persist.bind(r.store);
    r.store.persist = (blob, sync) => {
      for (const record of decodeRecords(blob)) persisted.push(hex(encodeRecord(record)));
      persisted.push(hex(blob));
      persist(blob, sync);
    };
    const ask = (name: string) => r.send(decodeMessage(Buffer.from(golden[name]!, "hex"))).map((m) => hex(encodeMessage(m)));
    expect(ask("message.promise_request.implicit")).toEqual([golden["message.promise_response.accept"]!]);
    expect(persisted).toContain(golden["record.metadata.voting"]!);
    expect(ask("message.write_request.batch")).toEqual([golden["message.write_response.accept"]!]);
    expect(persisted).toContain(golden["record.action.append"]! + golden["record.action.truncate"]! + golden["record.metadata.fenced"]!);
    expect(ask("message.learned.truncate")).toEqual([]);
    expect(persisted).toContain(golden["record.action.truncate_learned"]! + golden["record.erase"]!);
    expect(ask("message.recover_request")).toEqual([golden["message.recover_response.voting"]!]);
    expect(ask("message.learned_range")).toEqual([]);
    expect(persisted).toContain(golden["record.learn"]!);
    expect(ask("message.promise_request.explicit")).toEqual([golden["message.promise_response.tombstone"]!]);
    expect(ask("message.fence_request")).toEqual([golden["message.fence_response.accept"]!]);
  });

  test("the WASM core restores the golden records", () => {
    const r = new LoneReplica();
    const blob = Buffer.from(golden["record.metadata.voting"]! + golden["record.action.large_position"]!, "hex");
    r.store.persist(new Uint8Array(blob), true);
    r.restart();
    const reply = r.send({ kind: Kind.PromiseRequest, round: 1, proposal: 3, explicit: false, position: 0 });
    expect(reply[0]).toMatchObject({ type: 2, proposal: 3 }); // promised 3 was restored
    const higher = r.send({ kind: Kind.PromiseRequest, round: 1, proposal: 4, explicit: false, position: 0 });
    expect(higher[0]).toMatchObject({ type: 1, position: 2 ** 53 - 1 }); // end restored
  });

  test("the core's CRC-32C agrees with the TS codec at every payload length (every tail of the 8-byte loop)", () => {
    for (let len = 0; len < 72; len++) {
      const store = new MemoryStore({ track: true });
      const r = new LoneReplica(store, VOTING);
      const persisted: StoredRecord[] = [];
      const persist = store.persist.bind(store);
      store.persist = (b, sync) => {
        persisted.push(...decodeRecords(b)); // checks every frame's CRC-32C the TS way
        persist(b, sync);
      };
      const payload = Uint8Array.from({ length: len }, (_, i) => (i * 37 + len) & 0xff);
      const write: Message = {
        kind: Kind.WriteRequest, round: 9, proposal: 1, learned: false, append: false,
        actions: [{ position: 1, promised: 1, performed: 1, learned: false, tombstone: false, type: ActionType.APPEND, payload }],
      };
      expect(r.send(write)[0]).toMatchObject({ kind: Kind.WriteResponse, type: 1 }); // the core verified our CRC
      const stored = persisted.find((x) => x.kind === Kind.Action);
      expect(stored?.kind === Kind.Action && Array.from(stored.action.payload!)).toEqual(Array.from(payload));
    }
  });

  test("a corrupted frame is refused by the core without harm (never an abort)", () => {
    fc.assert(
      fc.property(message, fc.nat(), fc.integer({ min: 1, max: 255 }), (m, at, flip) => {
        const r = new LoneReplica(undefined, VOTING);
        const bytes = encodeMessage(m);
        bytes[at % bytes.length]! ^= flip;
        expect(r.core.receive(2, bytes)).toBe(StepError.Malformed); // a CoreAbort would throw
        expect(r.store.view!.promised).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  test("a corrupted stored record makes the replica drop to EMPTY instead of serving it", () => {
    const store = new MemoryStore();
    const r = new LoneReplica(store, VOTING);
    r.send(decodeMessage(Buffer.from(golden["message.promise_request.implicit"]!, "hex")));
    const blob = new Uint8Array(Buffer.from(golden["record.action.append"]!, "hex"));
    blob[20]! ^= 0x40;
    store.persist(blob, true);
    const written: StoredRecord[] = [];
    const persist = store.persist.bind(store);
    store.persist = (b, sync) => {
      written.push(...decodeRecords(b));
      persist(b, sync);
    };
    r.restart();
    expect(written).toEqual([
      { kind: Kind.Erase, to: 2 ** 53 - 1 },
      { kind: Kind.Metadata, status: 4, promised: 0, fenceProposal: 0, fencePosition: 0 },
    ]);
    const reply = r.send({ kind: Kind.PromiseRequest, round: 1, proposal: 9, explicit: false, position: 0 });
    expect(reply[0]).toMatchObject({ type: 3 }); // IGNORED: not VOTING any more
  });
});
