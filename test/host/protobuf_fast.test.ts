// Proves the one-pass protobuf paths (every message's encoding, the Call ACKNOWLEDGE's decoding) write and read exactly what protobufjs does: the golden vectors made outside this code take the fast path and match byte for byte; thousands of generated statuses, offers and acknowledgements give protobufjs's bytes and JSON; and anything the fast path was not written for (a key the schema lacks, a value protobufjs would coerce, a map, a non-ASCII id, duplicated or malformed bytes) falls back, so the public codec still answers as protobufjs does.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeToJson, encodeFromJson, type MessageName, messageType } from "../../host/codec/protobuf.ts";
import { decodeAcknowledgeCall, encodeFast } from "../../host/codec/protobuf_fast.ts";

interface Vector { message: string; json: Record<string, unknown>; hex: string }
const golden = (JSON.parse(readFileSync(join(import.meta.dir, "..", "fixtures", "mesos_proto_golden.json"), "utf8")) as { vectors: Vector[] }).vectors;

const EVENT = messageType("mesos.v1.scheduler.Event");
const CALL = messageType("mesos.v1.scheduler.Call");
const TO_JSON = { enums: String, longs: Number, bytes: String, defaults: false, arrays: false };
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const genericEncode = (json: unknown) => hex(EVENT.encode(EVENT.fromObject(json as Record<string, unknown>)).finish());
const encodeUpdateEvent = (json: unknown) => encodeFast(EVENT, json);
const genericDecode = (bytes: Uint8Array) => CALL.toObject(CALL.decode(bytes), TO_JSON);

// A small deterministic generator (xorshift), so a failure names a reproducible case.
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x / 0x100000000;
  };
}

const STATES = ["TASK_STAGING", "TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_LOST", "TASK_UNKNOWN"];
const TEXTS = ["", "t", "task-0001", "x".repeat(127), "y".repeat(128), "z".repeat(20_000), "naïve ✓ 任务"];

function status(next: () => number): Record<string, unknown> {
  const pick = <T>(items: T[]): T => items[Math.floor(next() * items.length)]!;
  const maybe = (p = 0.5) => next() < p;
  const s: Record<string, unknown> = { task_id: { value: pick(TEXTS) }, state: pick(STATES) };
  if (maybe()) s.agent_id = maybe(0.9) ? { value: `M-S${Math.floor(next() * 1000)}` } : {};
  if (maybe()) s.message = pick(TEXTS);
  if (maybe()) s.source = pick(["SOURCE_MASTER", "SOURCE_AGENT", "SOURCE_EXECUTOR"]);
  if (maybe()) s.reason = pick(["REASON_RECONCILIATION", "REASON_COMMAND_EXECUTOR_FAILED", "REASON_AGENT_DRAINING"]);
  if (maybe()) s.timestamp = pick([0, -1.5, 1765123456.789, Number.MAX_VALUE, Number.MIN_VALUE]);
  if (maybe()) s.uuid = Buffer.from(Array.from({ length: 16 }, () => Math.floor(next() * 256))).toString("base64");
  if (maybe(0.2)) s.data = Buffer.from(pick(TEXTS)).toString("base64");
  if (maybe(0.2)) s.healthy = maybe();
  if (maybe(0.2)) s.executor_id = { value: pick(TEXTS) };
  return s;
}

describe("encoding", () => {
  test("every golden vector takes the fast path and gives its bytes, but for map fields and exact int64 strings", () => {
    const fallbacks: string[] = [];
    for (const v of golden) {
      const fast = encodeFast(messageType(v.message as MessageName), v.json);
      if (fast === null) fallbacks.push(`${v.message} ${v.json.type as string}`);
      else expect(`${v.message} ${v.json.type as string} ${hex(fast)}`).toBe(`${v.message} ${v.json.type as string} ${v.hex}`);
    }
    expect(fallbacks).toEqual(["mesos.v1.master.Call UPDATE_MAINTENANCE_SCHEDULE", "mesos.v1.master.Call UPDATE_QUOTA", "mesos.v1.master.Response GET_QUOTA"]);
  });

  test("2,000 generated offers (scalars, ranges, sets, reservations, unavailability) give protobufjs's bytes", () => {
    const next = random(2);
    const pick = <T>(items: T[]): T => items[Math.floor(next() * items.length)]!;
    const NUMBERS = [0, -0, 1, 31000, 2 ** 32 - 1, 2 ** 32, 2 ** 53 + 2, 1_765_123_456_000_000_000, 2 ** 63 - 2048];
    for (let i = 0; i < 2000; i++) {
      const resource = () => {
        const kind = pick(["SCALAR", "RANGES", "SET"]);
        const r: Record<string, unknown> = { name: pick(["cpus", "mem", "ports", "disk", "gpus"]), type: kind, allocation_info: { role: pick(["*", "dev"]) } };
        if (kind === "SCALAR") r.scalar = { value: pick([0, 0.1, 4, 4096.5, -0, Number.NaN, Number.POSITIVE_INFINITY]) };
        if (kind === "RANGES") r.ranges = { range: Array.from({ length: Math.floor(next() * 3) }, () => ({ begin: pick(NUMBERS), end: pick(NUMBERS) })) };
        if (kind === "SET") r.set = { item: Array.from({ length: Math.floor(next() * 3) }, () => pick(TEXTS)) };
        if (next() < 0.2) r.reservations = [{ type: "DYNAMIC", role: "dev", principal: "op" }];
        return r;
      };
      const offer: Record<string, unknown> = { id: { value: `M-O${i}` }, framework_id: { value: "M-0001" }, agent_id: { value: "M-S0" }, hostname: pick(TEXTS),
        resources: Array.from({ length: Math.floor(next() * 6) }, resource), allocation_info: { role: "*" } };
      if (next() < 0.3) offer.unavailability = { start: { nanoseconds: pick(NUMBERS) }, duration: { nanoseconds: pick(NUMBERS) } };
      const event = { type: "OFFERS", offers: { offers: [offer] } };
      const fast = encodeFast(EVENT, event);
      expect(fast).not.toBeNull();
      expect(hex(fast!)).toBe(genericEncode(event));
    }
  });

  test("3,000 generated statuses give protobufjs's bytes, long strings and UTF-8 included", () => {
    const next = random(16);
    for (let i = 0; i < 3000; i++) {
      const event = { type: "UPDATE", update: { status: status(next) } };
      const fast = encodeUpdateEvent(event);
      expect(fast).not.toBeNull();
      expect(hex(fast!)).toBe(genericEncode(event));
    }
  });

  test("what the fast path was not written for falls back to protobufjs with the same result", () => {
    const base = { task_id: { value: "t1" }, state: "TASK_RUNNING" };
    const others: unknown[] = [
      { type: "UPDATE", update: { status: { ...base, message: 42 } } },
      { type: "UPDATE", update: { status: { ...base, message: "lone \ud800 surrogate" } } },
      { type: "UPDATE", update: { status: { ...base, unreachable_time: { nanoseconds: "1765123456000000001" } } } },
      { type: "UPDATE", update: { status: { ...base, unreachable_time: { nanoseconds: -1 } } } },
      { type: "UPDATE", update: { status: { ...base, unreachable_time: { nanoseconds: 1.5 } } } },
      { type: "OFFERS", offers: { offers: [{ resources: [{ name: "ports", ranges: { range: [{ begin: 2 ** 64 }] } }] }] } },
      { type: "UPDATE", update: { status: { ...base, labels: { labels: [{ key: "k", value: 7 }] } } } },
      { type: "UPDATE", update: { status: { ...base, state: "TASK_NOT_A_STATE" } } },
      { type: "UPDATE", update: { status: { ...base, state: 99 } } },
      { type: "UPDATE", update: { status: { ...base, uuid: "q83vEjRWeJA" } } },
      { type: "UPDATE", update: { status: { ...base, task_id: { value: "t1", extra: 1 } } } },
      { type: "UPDATE", update: { status: base }, extra: true },
    ];
    for (const event of others) {
      expect([JSON.stringify(event), encodeUpdateEvent(event)]).toEqual([JSON.stringify(event), null]);
      expect(hex(encodeFromJson("mesos.v1.scheduler.Event", event))).toBe(genericEncode(event));
    }
  });

  test("each result is its own copy: the next encoding does not change it", () => {
    const first = encodeFast(EVENT, { type: "UPDATE", update: { status: { task_id: { value: "first" }, state: "TASK_RUNNING" } } })!;
    const before = hex(first);
    encodeFast(EVENT, { type: "UPDATE", update: { status: { task_id: { value: "later" }, state: "TASK_FAILED" } } });
    expect(hex(first)).toBe(before);
  });

  test("absent and null fields are left out and enums may be numbers, as protobufjs takes them", () => {
    const event = { type: "UPDATE", update: { status: { task_id: { value: "t1" }, state: 1, message: null, agent_id: undefined } } };
    expect(hex(encodeUpdateEvent(event)!)).toBe(genericEncode(event));
  });
});

describe("Call ACKNOWLEDGE", () => {
  test("the golden ACKNOWLEDGE vector takes the fast path and gives its JSON", () => {
    const acks = golden.filter((v) => v.message === "mesos.v1.scheduler.Call" && v.json.type === "ACKNOWLEDGE");
    expect(acks.length).toBeGreaterThanOrEqual(2);
    for (const v of acks) expect(decodeAcknowledgeCall(Buffer.from(v.hex, "hex"))).toEqual(v.json);
  });

  test("3,000 generated acknowledgements read as protobufjs reads them", () => {
    const next = random(8);
    for (let i = 0; i < 3000; i++) {
      const s = status(next);
      const ack: Record<string, unknown> = {};
      if (next() < 0.9) ack.agent_id = { value: `M-S${i}` };
      if (next() < 0.9) ack.task_id = { value: (s.task_id as { value: string }).value.replace(/[^\x00-\x7f]/g, "?") };
      if (next() < 0.9) ack.uuid = s.uuid ?? "";
      const call = { ...(next() < 0.9 ? { framework_id: { value: "M-0001" } } : {}), type: "ACKNOWLEDGE", acknowledge: ack };
      const bytes = CALL.encode(CALL.fromObject(call)).finish();
      const fast = decodeAcknowledgeCall(bytes);
      expect(fast).not.toBeNull();
      expect(fast).toEqual(genericDecode(bytes));
      expect(decodeToJson("mesos.v1.scheduler.Call", bytes)).toEqual({ value: genericDecode(bytes) });
    }
  });

  test("other calls, non-ASCII ids, duplicated fields and malformed bytes fall back", () => {
    const encode = (call: Record<string, unknown>) => CALL.encode(CALL.fromObject(call)).finish();
    const ack = { type: "ACKNOWLEDGE", framework_id: { value: "M-0001" }, acknowledge: { agent_id: { value: "M-S0" }, task_id: { value: "t1" }, uuid: "q83vEjRWeJA=" } };
    const good = encode(ack);
    const cases: Uint8Array[] = [
      encode({ type: "DECLINE", framework_id: { value: "M-0001" }, decline: { offer_ids: [{ value: "M-O1" }] } }),
      encode({ ...ack, acknowledge: { task_id: { value: "tâche" } } }),
      Buffer.concat([good, encode({ framework_id: { value: "M-0002" } })]),
      good.subarray(0, good.length - 3),
      new Uint8Array([0x1a, 0x05, 0x0a]),
    ];
    for (const bytes of cases) {
      expect(decodeAcknowledgeCall(bytes)).toBeNull();
      let generic: unknown;
      try {
        generic = { value: genericDecode(bytes) };
      } catch (error) {
        generic = { error: (error as Error).message.split("\n")[0] };
      }
      expect(decodeToJson("mesos.v1.scheduler.Call", bytes)).toEqual(generic as never);
    }
  });
});
