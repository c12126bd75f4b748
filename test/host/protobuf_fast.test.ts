// Proves the hand-specialised protobuf path (Event UPDATE out, Call ACKNOWLEDGE in) writes and reads exactly what protobufjs does: the golden vectors made outside this code take the fast path and match; thousands of generated statuses and acknowledgements give the same bytes and JSON as protobufjs; and anything the fast path was not written for (an unknown field, an unknown enum name, a non-ASCII id, duplicated or malformed bytes) falls back, so the public codec still answers as protobufjs does.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeToJson, encodeFromJson, messageType } from "../../host/codec/protobuf.ts";
import { decodeAcknowledgeCall, encodeUpdateEvent } from "../../host/codec/protobuf_fast.ts";

interface Vector { message: string; json: Record<string, unknown>; hex: string }
const golden = (JSON.parse(readFileSync(join(import.meta.dir, "..", "fixtures", "mesos_proto_golden.json"), "utf8")) as { vectors: Vector[] }).vectors;

const EVENT = messageType("mesos.v1.scheduler.Event");
const CALL = messageType("mesos.v1.scheduler.Call");
const TO_JSON = { enums: String, longs: Number, bytes: String, defaults: false, arrays: false };
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const genericEncode = (json: unknown) => hex(EVENT.encode(EVENT.fromObject(json as Record<string, unknown>)).finish());
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

describe("Event UPDATE", () => {
  test("the golden UPDATE vectors give their bytes on the fast path, or take the generic one for fields it leaves alone", () => {
    const updates = golden.filter((v) => v.message === "mesos.v1.scheduler.Event" && v.json.type === "UPDATE");
    const generic = (v: Vector) => "container_status" in (v.json.update as { status: object }).status || "unreachable_time" in (v.json.update as { status: object }).status;
    expect(updates.filter((v) => !generic(v)).length).toBeGreaterThanOrEqual(3);
    for (const v of updates) {
      const fast = encodeUpdateEvent(v.json);
      if (generic(v)) expect(fast).toBeNull();
      else expect(hex(fast!)).toBe(v.hex);
      expect(hex(encodeFromJson("mesos.v1.scheduler.Event", v.json))).toBe(v.hex);
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
      { type: "HEARTBEAT" },
      { type: "UPDATE", update: { status: { ...base, labels: { labels: [{ key: "k", value: "v" }] } } } },
      { type: "UPDATE", update: { status: { ...base, state: "TASK_NOT_A_STATE" } } },
      { type: "UPDATE", update: { status: { ...base, state: 1 } } },
      { type: "UPDATE", update: { status: { ...base, uuid: "q83vEjRWeJA" } } },
      { type: "UPDATE", update: { status: { ...base, task_id: { value: "t1", extra: 1 } } } },
      { type: "UPDATE", update: { status: base }, extra: true },
    ];
    for (const event of others) {
      expect(encodeUpdateEvent(event)).toBeNull();
      expect(hex(encodeFromJson("mesos.v1.scheduler.Event", event))).toBe(genericEncode(event));
    }
  });

  test("absent and null fields are left out, as protobufjs leaves them", () => {
    const event = { type: "UPDATE", update: { status: { task_id: { value: "t1" }, state: "TASK_RUNNING", message: null, agent_id: undefined } } };
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
