// Reading a v1 scheduler Call from JSON (include/mesos/v1/scheduler/scheduler.proto) with the
// texts of Mesos's protobuf parser ("Missing required fields: kill.task_id", "Failed to find
// enum for 'X'") and of validation::scheduler::call::validate ("Expecting 'kill' to be present").
import type { Id, JsonObject, TaskInfo } from "../../agent/task_protocol.ts";
import {
  arrayField, boolField, messageField, numberField, objectOf, requireFields, ShapeError, stringField,
} from "../registry_requests.ts";
import type { FrameworkInfo } from "./framework_info.ts";

export const SCHEDULER_CALL_TYPES = [
  "UNKNOWN", "SUBSCRIBE", "TEARDOWN", "ACCEPT", "DECLINE", "ACCEPT_INVERSE_OFFERS", "DECLINE_INVERSE_OFFERS", "REVIVE", "KILL",
  "SHUTDOWN", "ACKNOWLEDGE", "ACKNOWLEDGE_OPERATION_STATUS", "RECONCILE", "RECONCILE_OPERATIONS", "MESSAGE", "REQUEST", "SUPPRESS",
  "UPDATE_FRAMEWORK",
] as const;
export type SchedulerCallType = (typeof SCHEDULER_CALL_TYPES)[number];

const CAPABILITIES = new Set([
  "UNKNOWN", "REVOCABLE_RESOURCES", "TASK_KILLING_STATE", "GPU_RESOURCES", "SHARED_RESOURCES", "PARTITION_AWARE", "MULTI_ROLE",
  "RESERVATION_REFINEMENT", "REGION_AWARE",
]);

/** Calls whose sub-message validate() requires (REVIVE, SUPPRESS and TEARDOWN need none). */
const NEEDS_MESSAGE = new Set<string>([
  "SUBSCRIBE", "ACCEPT", "DECLINE", "ACCEPT_INVERSE_OFFERS", "DECLINE_INVERSE_OFFERS", "KILL", "SHUTDOWN", "ACKNOWLEDGE",
  "ACKNOWLEDGE_OPERATION_STATUS", "RECONCILE", "RECONCILE_OPERATIONS", "MESSAGE", "REQUEST", "UPDATE_FRAMEWORK",
]);

/** The arguments of the calls this build acts on. */
export interface CallArguments {
  framework_info?: FrameworkInfo;
  suppressed_roles?: string[];
  offer_ids?: string[];
  operations?: JsonObject[];
  filters?: JsonObject;
  roles?: string[];
  task_id?: string;
  agent_id?: string;
  executor_id?: string;
  kill_policy?: TaskInfo["kill_policy"];
  uuid?: string;
  tasks?: { task_id: Id; agent_id?: Id }[];
}

export interface SchedulerCall {
  type: SchedulerCallType;
  framework_id?: string;
  arguments: CallArguments;
}

const field = (type: string) => type.toLowerCase();

/** `{value: "..."}` (value required). */
function idOf(object: JsonObject, key: string, path: string, required = false): string | undefined {
  if (required) requireFields(object, path, [key]);
  const id = messageField(object, key);
  if (id === undefined) return undefined;
  requireFields(id, `${path}${key}.`, ["value"]);
  return stringField(id, "value")!;
}

function stringsOf(object: JsonObject, key: string): string[] {
  return arrayField(object, key).map((item) => {
    if (typeof item !== "string") throw new ShapeError(`Not expecting a JSON ${Array.isArray(item) ? "array" : typeof item} in field '${key}'`);
    return item;
  });
}

function objectsOf(object: JsonObject, key: string): JsonObject[] {
  return arrayField(object, key).map((item) => objectOf(item));
}

function frameworkInfoOf(message: JsonObject, path: string): FrameworkInfo {
  requireFields(message, path, ["framework_info"]);
  const info = messageField(message, "framework_info")!;
  const at = `${path}framework_info.`;
  requireFields(info, at, ["user", "name"]);
  for (const key of ["user", "name", "role", "hostname", "webui_url", "principal"]) stringField(info, key);
  idOf(info, "id", at);
  numberField(info, "failover_timeout");
  boolField(info, "checkpoint");
  stringsOf(info, "roles");
  for (const capability of objectsOf(info, "capabilities")) {
    const type = stringField(capability, "type");
    if (type !== undefined && !CAPABILITIES.has(type)) throw new ShapeError(`Failed to find enum for '${type}'`);
  }
  const out = { ...info } as FrameworkInfo;
  if (typeof info.failover_timeout === "string") out.failover_timeout = Number(info.failover_timeout);
  return out;
}

function readArguments(type: string, message: JsonObject): CallArguments {
  const path = `${field(type)}.`;
  switch (type) {
    case "SUBSCRIBE":
    case "UPDATE_FRAMEWORK":
      return { framework_info: frameworkInfoOf(message, path), suppressed_roles: stringsOf(message, "suppressed_roles") };
    case "ACCEPT":
    case "DECLINE": {
      const offer_ids = objectsOf(message, "offer_ids").map((id, i) => {
        requireFields(id, `${path}offer_ids[${i}].`, ["value"]);
        return stringField(id, "value")!;
      });
      const operations = type === "ACCEPT" ? objectsOf(message, "operations") : [];
      const filters = messageField(message, "filters");
      if (filters !== undefined) numberField(filters, "refuse_seconds");
      return { offer_ids, operations, ...(filters !== undefined ? { filters } : {}) };
    }
    case "REVIVE":
    case "SUPPRESS":
      return { roles: stringsOf(message, "roles") };
    case "KILL": {
      const kill_policy = messageField(message, "kill_policy") as TaskInfo["kill_policy"] | undefined;
      const agent_id = idOf(message, "agent_id", path);
      return { task_id: idOf(message, "task_id", path, true)!, ...(agent_id !== undefined ? { agent_id } : {}), ...(kill_policy ? { kill_policy } : {}) };
    }
    case "SHUTDOWN":
      requireFields(message, path, ["executor_id", "agent_id"]);
      return { executor_id: idOf(message, "executor_id", path)!, agent_id: idOf(message, "agent_id", path)! };
    case "ACKNOWLEDGE":
      requireFields(message, path, ["agent_id", "task_id", "uuid"]);
      return { agent_id: idOf(message, "agent_id", path)!, task_id: idOf(message, "task_id", path)!, uuid: stringField(message, "uuid")! };
    case "RECONCILE":
      return {
        tasks: objectsOf(message, "tasks").map((task, i) => {
          const at = `${path}tasks[${i}].`;
          const task_id = idOf(task, "task_id", at, true)!;
          const agent_id = idOf(task, "agent_id", at);
          return { task_id: { value: task_id }, ...(agent_id !== undefined ? { agent_id: { value: agent_id } } : {}) };
        }),
      };
    case "MESSAGE":
      requireFields(message, path, ["agent_id", "executor_id", "data"]);
      return { agent_id: idOf(message, "agent_id", path)! };
    default:
      return {};
  }
}

/** A UUID as v1 JSON renders bytes: base64 of exactly 16 bytes. */
export function validUuid(uuid: string): boolean {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(uuid)) return false;
  return Buffer.from(uuid, "base64").length === 16;
}

/** The parsed call, or the 400 text ("Failed to convert JSON into Call protobuf: ..." or "Failed to validate scheduler::Call: ..."). */
export function readSchedulerCall(json: unknown): { call: SchedulerCall } | { error: string } {
  let parsed: { type: string | undefined; framework_id: string | undefined; message: JsonObject | undefined; arguments: CallArguments };
  try {
    const object = objectOf(json);
    const type = stringField(object, "type");
    if (type !== undefined && !(SCHEDULER_CALL_TYPES as readonly string[]).includes(type)) throw new ShapeError(`Failed to find enum for '${type}'`);
    const framework_id = idOf(object, "framework_id", "");
    const message = type === undefined ? undefined : messageField(object, field(type));
    parsed = { type, framework_id, message, arguments: type !== undefined && message !== undefined ? readArguments(type, message) : {} };
  } catch (error) {
    if (error instanceof ShapeError) return { error: `Failed to convert JSON into Call protobuf: ${error.message}` };
    throw error;
  }
  const invalid = (reason: string) => ({ error: `Failed to validate scheduler::Call: ${reason}` });
  const { type, framework_id, message } = parsed;
  if (type === undefined) return invalid("Expecting 'type' to be present");
  if (type !== "SUBSCRIBE" && framework_id === undefined) return invalid("Expecting 'framework_id' to be present");
  if (NEEDS_MESSAGE.has(type) && message === undefined) return invalid(`Expecting '${field(type)}' to be present`);
  if (type === "SUBSCRIBE" && (parsed.arguments.framework_info?.id?.value ?? "") !== (framework_id ?? "")) {
    return invalid("'framework_id' differs from 'subscribe.framework_info.id'");
  }
  if (type === "UPDATE_FRAMEWORK" && parsed.arguments.framework_info?.id?.value !== framework_id) {
    return invalid("'framework_id' differs from 'update_framework.framework_info.id'");
  }
  if (type === "ACKNOWLEDGE" && !validUuid(parsed.arguments.uuid!)) return invalid("Not a valid UUID");
  return { call: { type: type as SchedulerCallType, ...(framework_id !== undefined ? { framework_id } : {}), arguments: parsed.arguments } };
}
