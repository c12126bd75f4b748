// Proves this project's Mesos v1 scheduler schemas against golden bytes made outside this code (protoc-compiled Python from Mesos's own .proto files; test/fixtures/mesos_proto_golden.json): every golden Call and Event decodes to its JSON, and encoding the JSON gives the golden bytes exactly; a malformed body is an error, not a throw.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeToJson, encodeFromJson } from "../../host/codec/protobuf.ts";

interface Vector {
  message: "mesos.v1.scheduler.Call" | "mesos.v1.scheduler.Event";
  json: Record<string, unknown>;
  hex: string;
}
const golden = JSON.parse(readFileSync(join(import.meta.dir, "..", "fixtures", "mesos_proto_golden.json"), "utf8")) as { vectors: Vector[] };

const name = (v: Vector) => `${v.message.split(".").at(-1)} ${v.json.type as string}`;

describe("golden vectors", () => {
  test("there are vectors for the calls and events the scheduler API serves", () => {
    const kinds = new Set(golden.vectors.map(name));
    for (const k of ["Call SUBSCRIBE", "Call ACCEPT", "Call DECLINE", "Call ACKNOWLEDGE", "Call KILL", "Call RECONCILE", "Call REVIVE", "Call SUPPRESS", "Call TEARDOWN",
      "Event SUBSCRIBED", "Event OFFERS", "Event UPDATE", "Event RESCIND", "Event ERROR", "Event HEARTBEAT", "Event FAILURE"]) expect(kinds.has(k)).toBe(true);
  });

  for (const [i, v] of golden.vectors.entries()) {
    test(`${i}: ${name(v)} decodes to its JSON and encodes to its bytes`, () => {
      const decoded = decodeToJson(v.message, Buffer.from(v.hex, "hex"));
      expect(decoded).toEqual({ value: v.json });
      expect(Buffer.from(encodeFromJson(v.message, v.json)).toString("hex")).toBe(v.hex);
    });
  }
});

test("a malformed body is an error naming what went wrong", () => {
  const result = decodeToJson("mesos.v1.scheduler.Call", new Uint8Array([0x1a, 0x05, 0x0a]));
  expect("error" in result && result.error.length > 0).toBe(true);
});
