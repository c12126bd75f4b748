// Proves this project's Mesos v1 schemas (scheduler API, and the master's and agent's operator APIs) against golden bytes made outside this code (protoc-compiled Python from Mesos's own .proto files, scripts/proto_golden.py; test/fixtures/mesos_proto_golden.json): every golden Call, Response and Event decodes to its JSON, and encoding the JSON gives the golden bytes exactly; a malformed body is an error, not a throw; and the events this master builds (MasterInfo, offers of parsed resources, statuses) come back from protobuf unchanged.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeToJson, encodeFromJson, type MessageName } from "../../host/codec/protobuf.ts";
import { parseResources } from "../../host/agent/resources.ts";
import { errorEvent, heartbeatEvent, subscribedEvent } from "../../host/master/frameworks/event_stream.ts";
import { makeMasterInfo } from "../../host/master/info.ts";
import { offerJson } from "../../host/master/offers.ts";

interface Vector {
  message: MessageName;
  json: Record<string, unknown>;
  hex: string;
  /** 64-bit integers in the JSON are exact decimal strings (decoded with exact=true). */
  exact?: boolean;
}
const golden = JSON.parse(readFileSync(join(import.meta.dir, "..", "fixtures", "mesos_proto_golden.json"), "utf8")) as { vectors: Vector[] };

const name = (v: Vector) => `${v.message.split(".").slice(2).join(".")} ${v.json.type as string}`;

describe("golden vectors", () => {
  test("there are vectors for the calls, answers and events the v1 APIs serve", () => {
    const kinds = new Set(golden.vectors.map(name));
    const scheduler = ["Call SUBSCRIBE", "Call ACCEPT", "Call DECLINE", "Call ACKNOWLEDGE", "Call KILL", "Call RECONCILE", "Call REVIVE", "Call SUPPRESS", "Call TEARDOWN",
      "Event SUBSCRIBED", "Event OFFERS", "Event UPDATE", "Event RESCIND", "Event ERROR", "Event HEARTBEAT", "Event FAILURE"].map((k) => `scheduler.${k}`);
    const master = ["Call UPDATE_WEIGHTS", "Call UPDATE_MAINTENANCE_SCHEDULE", "Call START_MAINTENANCE", "Call STOP_MAINTENANCE", "Call DRAIN_AGENT",
      "Call DEACTIVATE_AGENT", "Call REACTIVATE_AGENT", "Call MARK_AGENT_GONE", "Call UPDATE_QUOTA", "Call TEARDOWN", "Call SUBSCRIBE",
      ...["HEALTH", "FLAGS", "VERSION", "MASTER", "STATE", "AGENTS", "FRAMEWORKS", "EXECUTORS", "TASKS", "ROLES", "WEIGHTS", "MAINTENANCE_STATUS",
        "MAINTENANCE_SCHEDULE", "QUOTA"].map((r) => `Response GET_${r}`),
      ...["SUBSCRIBED", "TASK_ADDED", "TASK_UPDATED", "AGENT_ADDED", "AGENT_REMOVED", "FRAMEWORK_ADDED", "FRAMEWORK_UPDATED", "FRAMEWORK_REMOVED", "HEARTBEAT"]
        .map((e) => `Event ${e}`)].map((k) => `master.${k}`);
    const agent = ["Call LIST_FILES", "Call READ_FILE", "Call GET_CONTAINERS", ...["AGENT", "STATE", "CONTAINERS", "LIST_FILES", "READ_FILE", "GET_OPERATIONS"]
      .map((r) => `Response ${r.startsWith("GET_") || r.includes("FILE") ? r : `GET_${r}`}`)].map((k) => `agent.${k}`);
    expect([...scheduler, ...master, ...agent].filter((k) => !kinds.has(k))).toEqual([]);
  });

  for (const [i, v] of golden.vectors.entries()) {
    test(`${i}: ${name(v)} decodes to its JSON and encodes to its bytes`, () => {
      const decoded = decodeToJson(v.message, Buffer.from(v.hex, "hex"), v.exact ?? false);
      expect(decoded).toEqual({ value: v.json });
      expect(Buffer.from(encodeFromJson(v.message, v.json)).toString("hex")).toBe(v.hex);
    });
  }
});

test("a malformed body is an error naming what went wrong", () => {
  const result = decodeToJson("mesos.v1.scheduler.Call", new Uint8Array([0x1a, 0x05, 0x0a]));
  expect("error" in result && result.error.length > 0).toBe(true);
});

describe("what this master sends survives protobuf unchanged (no field the schema lacks)", () => {
  const roundTrip = (event: unknown) => {
    const decoded = decodeToJson("mesos.v1.scheduler.Event", encodeFromJson("mesos.v1.scheduler.Event", event));
    return "value" in decoded ? decoded.value : decoded;
  };

  test("SUBSCRIBED with this master's MasterInfo (domain included), HEARTBEAT, ERROR", () => {
    const info = makeMasterInfo("10.0.0.5", 5050, "m1.example.com", { fault_domain: { region: { name: "r1" }, zone: { name: "z1" } } });
    for (const event of [subscribedEvent("M-0000", 15, info), heartbeatEvent(), errorEvent("Framework failed over")]) {
      expect(roundTrip(JSON.parse(JSON.stringify(event)))).toEqual(JSON.parse(JSON.stringify(event)));
    }
  });

  test("OFFERS of an agent's parsed resources (roles, ranges, sets) with an unavailability", () => {
    const resources = parseResources("cpus:4;mem:1024;disk(analytics):100;ports:[31000-32000];gpus_types:{a,b}");
    const offer = offerJson({ id: "M-O1", framework_id: "M-0000", agent_id: "M-S1", hostname: "a1", resources, role: "*",
      unavailability: { start: { nanoseconds: 1_900_000_000_000_000_000 } } } as never);
    const event = JSON.parse(JSON.stringify({ type: "OFFERS", offers: { offers: [offer] } }));
    expect(roundTrip(event)).toEqual(event);
  });

  test("UPDATE with the statuses agents and the master make", () => {
    const status = { task_id: { value: "t1" }, state: "TASK_LOST", source: "SOURCE_MASTER", reason: "REASON_AGENT_REMOVED", message: "Agent removed",
      agent_id: { value: "M-S1" }, timestamp: 1765123456.5, uuid: "q83vEjRWeJASNFZ4kBI0Vg==", unreachable_time: { nanoseconds: 1765123456000000000 } };
    expect(roundTrip({ type: "UPDATE", update: { status } })).toEqual({ type: "UPDATE", update: { status } });
  });
});
