// Mesos's protobuf wire format for the v1 scheduler API (`application/x-protobuf`), with
// protobufjs over this project's schemas (proto/*.proto, embedded in the binary as text and
// parsed once): a Call's bytes become the same JSON object a JSON body parses to (so one
// parser and one call type serve both), and an Event's JSON object becomes its bytes. The JSON
// shape is Mesos's: field names as in the .proto, enums by name, bytes as base64, 64-bit
// integers as numbers, unset fields absent.
// protobufjs was measured against @bufbuild/protobuf on this path (JSON object to bytes and
// back, OFFERS of 100 offers): 187 µs / 281 µs against 1,060 µs / 1,311 µs, same bytes.
import protobuf from "protobufjs";
import mesosSchema from "./proto/mesos_v1.proto" with { type: "text" };
import schedulerSchema from "./proto/scheduler_v1.proto" with { type: "text" };

export const PROTOBUF_CONTENT_TYPE = "application/x-protobuf";

let root: protobuf.Root | null = null;

function schema(): protobuf.Root {
  if (root === null) {
    const parsed = new protobuf.Root();
    protobuf.parse(mesosSchema, parsed, { keepCase: true });
    protobuf.parse(schedulerSchema, parsed, { keepCase: true });
    parsed.resolveAll();
    root = parsed;
  }
  return root;
}

const TO_JSON: protobuf.IConversionOptions = { enums: String, longs: Number, bytes: String, defaults: false, arrays: false };

export function messageType(name: "mesos.v1.scheduler.Call" | "mesos.v1.scheduler.Event"): protobuf.Type {
  return schema().lookupType(name);
}

/** The JSON object of a protobuf message, or the decoder's error. */
export function decodeToJson(name: "mesos.v1.scheduler.Call" | "mesos.v1.scheduler.Event", bytes: Uint8Array): { value: Record<string, unknown> } | { error: string } {
  const type = messageType(name);
  try {
    return { value: type.toObject(type.decode(bytes), TO_JSON) };
  } catch (error) {
    return { error: (error as Error).message.split("\n")[0] ?? "" };
  }
}

/** The bytes of a JSON object as `name` (fields the schema lacks are left out). */
export function encodeFromJson(name: "mesos.v1.scheduler.Call" | "mesos.v1.scheduler.Event", json: unknown): Uint8Array {
  const type = messageType(name);
  return type.encode(type.fromObject(json as Record<string, unknown>)).finish();
}
