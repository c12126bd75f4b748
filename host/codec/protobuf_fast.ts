// Hand-specialised codecs for the two messages a running framework's traffic is mostly made of:
// the scheduler Event UPDATE the master sends (about 2.5 per task) and the Call ACKNOWLEDGE it
// reads back. protobufjs's generic fromObject/toObject cost the live master 68 µs and 86 µs per
// message (measured over a 2,000-task run; 3 µs and 2 µs in a warm loop of one type), enough to
// make protobuf costlier than JSON for the leader. These functions write and read the same bytes
// and JSON as protobufjs (a test compares them on every golden vector and on generated ones),
// and return null for anything they were not written for (an unknown field, a non-ASCII id,
// unusual encodings, malformed bytes): the caller then takes the generic path, so error texts
// and edge cases stay protobufjs's. Field numbers and enum values come from the parsed schema
// (protobuf_schema.ts), never from constants here.
import type protobuf from "protobufjs";
import { schemaRoot } from "./protobuf_schema.ts";
import { ScratchWriter, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT, WireReader } from "./protobuf_wire.ts";

type Kind = "id" | "enum" | "bytes" | "string" | "double" | "bool";

interface FieldPlan {
  name: string;
  id: number;
  kind: Kind;
  /** Enum names to numbers (kind "enum"). */
  values: Record<string, number>;
}

interface Layout {
  event_type: number;
  event_update: number;
  event_type_update: number;
  update_status: number;
  /** TaskStatus's fields this codec writes, in field-number order (protobufjs's order). */
  status: FieldPlan[];
  status_names: Set<string>;
  call_framework_id: number;
  call_type: number;
  call_acknowledge: number;
  call_type_names: Map<number, string>;
  ack_agent_id: number;
  ack_task_id: number;
  ack_uuid: number;
  id_value: number;
}

const ID_TYPES = new Set(["mesos.v1.TaskID", "mesos.v1.AgentID", "mesos.v1.ExecutorID", "mesos.v1.FrameworkID"]);
const STATUS_FIELDS = ["task_id", "state", "data", "message", "agent_id", "timestamp", "executor_id", "healthy", "source", "reason", "uuid"];

let layout: Layout | null = null;

function field(type: protobuf.Type, name: string, kind: Kind): FieldPlan {
  const f = type.fields[name];
  if (f === undefined || f.repeated || f.map) throw new Error(`protobuf_fast: ${type.fullName}.${name} is not a singular field`);
  f.resolve();
  const resolved = f.resolvedType;
  const actual: Kind | null = resolved === null ? (["bytes", "string", "double", "bool"].includes(f.type) ? f.type as Kind : null)
    : "values" in resolved ? "enum" : ID_TYPES.has(resolved.fullName.slice(1)) ? "id" : null;
  if (actual !== kind) throw new Error(`protobuf_fast: ${type.fullName}.${name} is ${f.type}, not ${kind}`);
  const values = resolved !== null && "values" in resolved ? (resolved as protobuf.Enum).values : {};
  return { name, id: f.id, kind, values };
}

function buildLayout(): Layout {
  const root = schemaRoot();
  const event = root.lookupType("mesos.v1.scheduler.Event");
  const call = root.lookupType("mesos.v1.scheduler.Call");
  const status = root.lookupType("mesos.v1.TaskStatus");
  const ack = root.lookupType("mesos.v1.scheduler.Call.Acknowledge");
  const kinds: Record<string, Kind> = { task_id: "id", agent_id: "id", executor_id: "id", state: "enum", source: "enum", reason: "enum",
    data: "bytes", uuid: "bytes", message: "string", timestamp: "double", healthy: "bool" };
  const plans = STATUS_FIELDS.map((name) => field(status, name, kinds[name]!)).sort((a, b) => a.id - b.id);
  const eventType = field(event, "type", "enum");
  const callType = field(call, "type", "enum");
  const update = event.fields.update!;
  if (update.resolve().resolvedType?.fullName !== ".mesos.v1.scheduler.Event.Update") throw new Error("protobuf_fast: Event.update is not an Update");
  const acknowledge = call.fields.acknowledge!;
  if (acknowledge.resolve().resolvedType?.fullName !== ".mesos.v1.scheduler.Call.Acknowledge") throw new Error("protobuf_fast: Call.acknowledge is not an Acknowledge");
  const frameworkId = field(call, "framework_id", "id");
  const value = root.lookupType("mesos.v1.TaskID").fields.value!;
  return {
    event_type: eventType.id, event_update: update.id, event_type_update: eventType.values.UPDATE!,
    update_status: root.lookupType("mesos.v1.scheduler.Event.Update").fields.status!.id,
    status: plans, status_names: new Set(STATUS_FIELDS),
    call_framework_id: frameworkId.id, call_type: callType.id, call_acknowledge: acknowledge.id,
    call_type_names: new Map(Object.entries(callType.values).map(([name, number]) => [number, name])),
    ack_agent_id: field(ack, "agent_id", "id").id, ack_task_id: field(ack, "task_id", "id").id, ack_uuid: field(ack, "uuid", "bytes").id,
    id_value: value.id,
  };
}

function plan(): Layout {
  layout ??= buildLayout();
  return layout;
}

function isPlain(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

const writer = new ScratchWriter();
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** An id message ({value}); false means "not for this codec". */
function writeId(w: ScratchWriter, value: unknown, id_value: number): boolean {
  if (!isPlain(value)) return false;
  for (const key in value) if (key !== "value") return false;
  const start = w.open();
  if (value.value != null) {
    if (typeof value.value !== "string" || !w.reserve(5)) return false;
    w.tag(id_value, WIRE_LEN);
    if (!w.string(value.value)) return false;
  }
  return w.close(start);
}

function writeField(w: ScratchWriter, f: FieldPlan, value: unknown, id_value: number): boolean {
  if (!w.reserve(10)) return false;
  switch (f.kind) {
    case "id":
      w.tag(f.id, WIRE_LEN);
      return writeId(w, value, id_value);
    case "enum": {
      const number = typeof value === "string" ? f.values[value] : undefined;
      if (number === undefined || number < 0) return false;
      w.tag(f.id, WIRE_VARINT);
      w.varint(number);
      return true;
    }
    case "bytes": {
      const bytes = typeof value === "string" && BASE64.test(value) ? Buffer.from(value, "base64") : value instanceof Uint8Array ? value : null;
      if (bytes === null) return false;
      w.tag(f.id, WIRE_LEN);
      return w.bytes(bytes);
    }
    case "string":
      if (typeof value !== "string") return false;
      w.tag(f.id, WIRE_LEN);
      return w.string(value);
    case "double":
      if (typeof value !== "number") return false;
      w.tag(f.id, WIRE_FIXED64);
      w.double(value);
      return true;
    case "bool":
      if (typeof value !== "boolean") return false;
      w.tag(f.id, WIRE_VARINT);
      w.varint(value ? 1 : 0);
      return true;
  }
}

function writeStatus(w: ScratchWriter, status: Record<string, unknown>, l: Layout): boolean {
  for (const key in status) if (!l.status_names.has(key)) return false;
  for (const f of l.status) {
    const value = status[f.name];
    if (value != null && !writeField(w, f, value, l.id_value)) return false;
  }
  return true;
}

/** The bytes of `{type: "UPDATE", update: {status}}`, or null to take the generic path. */
export function encodeUpdateEvent(event: unknown): Uint8Array | null {
  if (!isPlain(event) || event.type !== "UPDATE" || !isPlain(event.update)) return null;
  for (const key in event) if (key !== "type" && key !== "update") return null;
  const update = event.update;
  for (const key in update) if (key !== "status") return null;
  if (!isPlain(update.status)) return null;
  const l = plan();
  const w = writer;
  w.reset();
  if (!w.reserve(32)) return null;
  w.tag(l.event_type, WIRE_VARINT);
  w.varint(l.event_type_update);
  w.tag(l.event_update, WIRE_LEN);
  const updateStart = w.open();
  w.tag(l.update_status, WIRE_LEN);
  const statusStart = w.open();
  if (!writeStatus(w, update.status, l) || !w.close(statusStart) || !w.close(updateStart)) return null;
  return w.finish();
}

/** A `{value}` id read from its payload, or null. */
function readId(r: WireReader, l: Layout): { value?: string } | null {
  const span = r.payload();
  if (span === null) return null;
  const inner = new WireReader(r.bytes, span.start, span.end);
  const id: { value?: string } = {};
  while (!inner.done()) {
    if (inner.varint() !== l.id_value * 8 + WIRE_LEN || id.value !== undefined) return null;
    const value = inner.ascii();
    if (value === null) return null;
    id.value = value;
  }
  return id;
}

function readAcknowledge(r: WireReader, l: Layout): Record<string, unknown> | null {
  const span = r.payload();
  if (span === null) return null;
  const inner = new WireReader(r.bytes, span.start, span.end);
  let agent_id: unknown, task_id: unknown, uuid: string | null | undefined;
  while (!inner.done()) {
    const tag = inner.varint();
    if (tag === l.ack_agent_id * 8 + WIRE_LEN && agent_id === undefined) agent_id = readId(inner, l);
    else if (tag === l.ack_task_id * 8 + WIRE_LEN && task_id === undefined) task_id = readId(inner, l);
    else if (tag === l.ack_uuid * 8 + WIRE_LEN && uuid === undefined) uuid = inner.base64();
    else return null;
    if (agent_id === null || task_id === null || uuid === null) return null;
  }
  const ack: Record<string, unknown> = {};
  if (agent_id !== undefined) ack.agent_id = agent_id;
  if (task_id !== undefined) ack.task_id = task_id;
  if (uuid !== undefined) ack.uuid = uuid;
  return ack;
}

/** The JSON of a Call ACKNOWLEDGE's bytes, or null to take the generic path. */
export function decodeAcknowledgeCall(bytes: Uint8Array): Record<string, unknown> | null {
  const l = plan();
  const r = new WireReader(bytes);
  let framework_id: unknown, type: string | undefined, acknowledge: Record<string, unknown> | undefined;
  while (!r.done()) {
    const tag = r.varint();
    if (tag === l.call_framework_id * 8 + WIRE_LEN && framework_id === undefined) {
      const id = readId(r, l);
      if (id === null) return null;
      framework_id = id;
    } else if (tag === l.call_type * 8 + WIRE_VARINT && type === undefined) {
      type = l.call_type_names.get(r.varint());
      if (type === undefined) return null;
    } else if (tag === l.call_acknowledge * 8 + WIRE_LEN && acknowledge === undefined) {
      const ack = readAcknowledge(r, l);
      if (ack === null) return null;
      acknowledge = ack;
    } else return null;
  }
  if (type !== "ACKNOWLEDGE") return null;
  const call: Record<string, unknown> = {};
  if (framework_id !== undefined) call.framework_id = framework_id;
  call.type = type;
  if (acknowledge !== undefined) call.acknowledge = acknowledge;
  return call;
}
