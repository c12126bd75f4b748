// The v1 operator API (`POST /api/v1`, mesos-spec §6.4) for the calls this build serves, and
// the registry services of one master. A call is JSON `{"type": X, "<lower_snake_of_X>": {...}}`;
// a sync answer is `{"type": X, "<lower_snake_of_X>": {...}}`, a change answers 200 with an
// empty body. Texts of refusals follow master/http.cpp and master/validation.cpp.
import type { ExactNanoseconds, MachineID, Nanoseconds, QuotaConfig, Schedule, WeightInfo } from "../registry/types.ts";
import { deactivateAgent, drainAgent, machinesDown, markAgentGone, reactivateAgent } from "./agent_operator.ts";
import { getRolesJson, getTasksJson } from "./task_views.ts";
import { getStateJson, visibleAgentsJson } from "./state.ts";
import { versionJson } from "../version.ts";
import { MaintenanceService, parseMachineIds, parseSchedule, scheduleJson, statusJson } from "./maintenance.ts";
import type { Master } from "./master.ts";
import { parseQuotaConfig, QuotaService, quotaStatusJson, visibleQuotaStatus } from "./quota.ts";
import {
  arrayField, boolField, INT64_MAX, INT64_MIN, int64Field, messageField, numberField, objectOf, ok, readShape, type Reply, refuse, RegistryWriter, requireFields,
  ShapeError, stringField,
} from "./registry_requests.ts";
import { parseWeightInfos, weightsJson, WeightsService } from "./weights.ts";
import { getFrameworksJson } from "./frameworks/views.ts";
import { forbidden } from "./authorization.ts";
import { operatorTeardown } from "./teardown.ts";
import { exactInteger } from "../registry/codec.ts";
import { callForbidden } from "./operator_authorization.ts";

export interface RegistryServices {
  writer: RegistryWriter;
  maintenance: MaintenanceService;
  quota: QuotaService;
  weights: WeightsService;
}

const services = new WeakMap<Master, RegistryServices>();

/** One set of services per master, so that every request of that master goes through one writer. */
export function servicesOf(master: Master): RegistryServices {
  let found = services.get(master);
  if (found === undefined) {
    const writer = new RegistryWriter(() => master.registrar);
    found = {
      writer,
      maintenance: new MaintenanceService(writer, (ids) => machinesDown(master.agents, ids), () => master.tasks.maintenanceChanged()),
      quota: new QuotaService(writer),
      weights: new WeightsService(writer, () => master.flags.weights),
    };
    services.set(master, found);
  }
  return found;
}

// ---- Calls ----

/** Every call type of mesos.v1.master.Call; the ones not in HANDLERS answer 501. */
const CALL_TYPES = [
  "UNKNOWN", "GET_HEALTH", "GET_FLAGS", "GET_VERSION", "GET_METRICS", "GET_LOGGING_LEVEL", "SET_LOGGING_LEVEL", "LIST_FILES",
  "READ_FILE", "GET_STATE", "GET_AGENTS", "GET_FRAMEWORKS", "GET_EXECUTORS", "GET_OPERATIONS", "GET_TASKS", "GET_ROLES",
  "GET_WEIGHTS", "UPDATE_WEIGHTS", "GET_MASTER", "SUBSCRIBE", "RESERVE_RESOURCES", "UNRESERVE_RESOURCES", "CREATE_VOLUMES",
  "DESTROY_VOLUMES", "GROW_VOLUME", "SHRINK_VOLUME", "GET_MAINTENANCE_STATUS", "GET_MAINTENANCE_SCHEDULE",
  "UPDATE_MAINTENANCE_SCHEDULE", "START_MAINTENANCE", "STOP_MAINTENANCE", "DRAIN_AGENT", "DEACTIVATE_AGENT",
  "REACTIVATE_AGENT", "GET_QUOTA", "UPDATE_QUOTA", "SET_QUOTA", "REMOVE_QUOTA", "TEARDOWN", "MARK_AGENT_GONE",
] as const;

/** Calls whose sub-message Mesos requires (validation.cpp), among those served here. */
const NEEDS_MESSAGE = new Set(["UPDATE_WEIGHTS", "UPDATE_MAINTENANCE_SCHEDULE", "START_MAINTENANCE", "STOP_MAINTENANCE", "UPDATE_QUOTA",
  "MARK_AGENT_GONE", "DRAIN_AGENT", "DEACTIVATE_AGENT", "REACTIVATE_AGENT", "TEARDOWN"]);

/** The arguments read from a call's sub-message (readArguments). */
interface CallArguments {
  schedule?: Schedule;
  machines?: MachineID[];
  force?: boolean;
  quota_configs?: QuotaConfig[];
  weight_infos?: WeightInfo[];
  slave_id?: string;
  max_grace_period?: ExactNanoseconds;
  mark_gone?: boolean;
  framework_id?: string;
}

/** `principal`: the authenticated caller (null when the readwrite realm is off); reads show what its ACLs allow. */
type Handler = (master: Master, call: CallArguments, principal: string | null) => Reply | Promise<Reply>;

const field = (type: string) => type.toLowerCase();
const answer = (type: string, body: unknown): Reply => ok({ type, [field(type)]: body });

const HANDLERS: Record<string, Handler> = {
  GET_HEALTH: () => answer("GET_HEALTH", { healthy: true }),
  GET_FLAGS: (master, _call, principal) => (master.authorization.allowed("view_flags", principal)
    ? answer("GET_FLAGS", { flags: Object.entries(master.flagsJson()).map(([name, value]) => ({ name, value })) })
    : forbidden()),
  GET_VERSION: () => answer("GET_VERSION", { version_info: versionJson() }),
  GET_MASTER: (master) => {
    const elected_ms = master.electedTimeMs();
    const body = { master_info: master.info, start_time: master.start_time_ms / 1000 };
    return answer("GET_MASTER", elected_ms === null ? body : { ...body, elected_time: elected_ms / 1000 });
  },
  GET_MAINTENANCE_STATUS: (master, _call, principal) => answer("GET_MAINTENANCE_STATUS", {
    status: master.authorization.allowed("get_maintenance_statuses", principal) ? statusJson(servicesOf(master).writer.current()) : {},
  }),
  GET_MAINTENANCE_SCHEDULE: (master, _call, principal) => answer("GET_MAINTENANCE_SCHEDULE", {
    schedule: master.authorization.allowed("get_maintenance_schedules", principal) ? scheduleJson(servicesOf(master).writer.current()) : {},
  }),
  UPDATE_MAINTENANCE_SCHEDULE: (master, call) => servicesOf(master).maintenance.updateSchedule(call.schedule!),
  START_MAINTENANCE: (master, call) => servicesOf(master).maintenance.startMaintenance(call.machines!),
  STOP_MAINTENANCE: (master, call) => servicesOf(master).maintenance.stopMaintenance(call.machines!),
  GET_QUOTA: (master, _call, principal) => answer("GET_QUOTA", {
    status: visibleQuotaStatus(quotaStatusJson(servicesOf(master).writer.current()), (role) => master.authorization.allowed("get_quotas", principal, role)),
  }),
  UPDATE_QUOTA: (master, call) => servicesOf(master).quota.update(call.quota_configs!, call.force ?? false),
  GET_WEIGHTS: (master, _call, principal) => {
    const infos = weightsJson(servicesOf(master).writer.current(), master.flags.weights)
      .filter((w) => master.authorization.weightVisible(principal, w.role));
    return answer("GET_WEIGHTS", infos.length > 0 ? { weight_infos: infos } : {});
  },
  UPDATE_WEIGHTS: (master, call) => servicesOf(master).weights.update(call.weight_infos!),
  GET_AGENTS: (master, _call, principal) => answer("GET_AGENTS", visibleAgentsJson(master, master.authorization.viewer(principal))),
  GET_TASKS: (master, _call, principal) => answer("GET_TASKS", getTasksJson(master.tasks, master.authorization.viewer(principal))),
  GET_ROLES: (master, _call, principal) => answer("GET_ROLES", getRolesJson(master.tasks, master.authorization.viewer(principal))),
  GET_EXECUTORS: () => answer("GET_EXECUTORS", {}),
  GET_STATE: (master, _call, principal) => answer("GET_STATE", getStateJson(master, master.authorization.viewer(principal))),
  MARK_AGENT_GONE: (master, call) => markAgentGone(master.agents, call.slave_id!),
  DRAIN_AGENT: (master, call) => drainAgent(master.agents, call.slave_id!, call.max_grace_period, call.mark_gone ?? false),
  DEACTIVATE_AGENT: (master, call) => deactivateAgent(master.agents, call.slave_id!),
  REACTIVATE_AGENT: (master, call) => reactivateAgent(master.agents, call.slave_id!),
  GET_FRAMEWORKS: (master, _call, principal) => answer("GET_FRAMEWORKS", getFrameworksJson(master.frameworks, master.authorization.viewer(principal))),
  TEARDOWN: (master, call, principal) => operatorTeardown(master, principal, call.framework_id!),
};

/** `{agent_id: {value}}`, required in the agent calls' sub-messages (v1 names it agent_id; Mesos devolves it to slave_id). */
function slaveIdOf(message: Record<string, unknown>, path: string): string {
  requireFields(message, path, ["agent_id"]);
  const id = messageField(message, "agent_id")!;
  requireFields(id, `${path}agent_id.`, ["value"]);
  return stringField(id, "value")!;
}

const NANOSECONDS_PER_SECOND = 1_000_000_000n;

/** A google.protobuf.Duration `{seconds, nanos}` (DRAIN_AGENT's max_grace_period) as the registry's DurationInfo nanoseconds. */
function durationNanoseconds(duration: Record<string, unknown>, path: string): Nanoseconds {
  const seconds = BigInt(int64Field(duration, "seconds") ?? 0);
  const nanos = numberField(duration, "nanos", true) ?? 0;
  if (Math.abs(nanos) >= 1e9) throw new ShapeError(`Value ${nanos} of field '${path}nanos' is out of range (|nanos| < 1e9)`);
  const total = seconds * NANOSECONDS_PER_SECOND + BigInt(nanos);
  if (total > INT64_MAX || total < INT64_MIN) throw new ShapeError(`Value of field '${path}seconds' is out of the int64 nanoseconds range`);
  return exactInteger(total);
}

/** The call's sub-message in this build's shapes (only the one its type names is read). */
function readArguments(type: string, message: Record<string, unknown>): CallArguments {
  const path = `${field(type)}.`;
  switch (type) {
    case "UPDATE_MAINTENANCE_SCHEDULE":
      requireFields(message, path, ["schedule"]);
      return { schedule: parseSchedule(message.schedule) };
    case "START_MAINTENANCE":
    case "STOP_MAINTENANCE":
      return { machines: parseMachineIds(arrayField(message, "machines")) };
    case "UPDATE_QUOTA":
      return {
        force: boolField(message, "force") ?? false,
        quota_configs: arrayField(message, "quota_configs").map((c, i) => parseQuotaConfig(c, `${path}quota_configs[${i}].`)),
      };
    case "UPDATE_WEIGHTS":
      return { weight_infos: parseWeightInfos(arrayField(message, "weight_infos"), `${path}weight_infos`) };
    case "MARK_AGENT_GONE":
    case "DEACTIVATE_AGENT":
    case "REACTIVATE_AGENT":
      return { slave_id: slaveIdOf(message, path) };
    case "TEARDOWN": {
      requireFields(message, path, ["framework_id"]);
      const id = messageField(message, "framework_id")!;
      requireFields(id, `${path}framework_id.`, ["value"]);
      return { framework_id: stringField(id, "value")! };
    }
    case "DRAIN_AGENT": {
      const grace = messageField(message, "max_grace_period");
      const args: CallArguments = { slave_id: slaveIdOf(message, path), mark_gone: boolField(message, "mark_gone") ?? false };
      if (grace !== undefined) args.max_grace_period = { nanoseconds: durationNanoseconds(grace, `${path}max_grace_period.`) };
      return args;
    }
    default:
      return {};
  }
}

type ParsedCall = { type: string; arguments: CallArguments } | Reply;

/** Validates a call's JSON object: a JSON body's value, or a protobuf body decoded (host/codec/protobuf.ts). */
export function readCall(value: unknown): ParsedCall {
  const converted = readShape(() => {
    const object = objectOf(value);
    const type = stringField(object, "type");
    if (type !== undefined && !(CALL_TYPES as readonly string[]).includes(type)) throw new ShapeError(`Failed to find enum for '${type}'`);
    const message = type === undefined ? undefined : messageField(object, field(type));
    return { type, message, arguments: type !== undefined && message !== undefined ? readArguments(type, message) : {} };
  });
  if ("error" in converted) return refuse(`Failed to convert JSON into Call protobuf: ${converted.error}`);
  const { type, message } = converted.value;
  if (type === undefined) return refuse("Failed to validate master::Call: Expecting 'type' to be present");
  if (NEEDS_MESSAGE.has(type) && message === undefined) return refuse(`Failed to validate master::Call: Expecting '${field(type)}' to be present`);
  return { type, arguments: converted.value.arguments };
}

/** Runs a parsed call as `principal` (403 when its ACL refuses a change); calls this build does not serve answer 501. */
export async function dispatchCall(master: Master, call: { type: string; arguments: CallArguments }, principal: string | null = null): Promise<Reply> {
  const handler = HANDLERS[call.type];
  if (handler === undefined) return refuse(call.type === "UNKNOWN" ? "Unknown call" : `Call ${call.type} is not implemented by this master`, 501);
  const refused = callForbidden(master.authorization, call.type, call.arguments, principal);
  return refused ?? await handler(master, call.arguments, principal);
}
