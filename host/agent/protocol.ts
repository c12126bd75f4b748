// The agent <-> master channel (ours; mesos-spec §5 gives the messages, not the wire). An agent
// opens one WebSocket to the leading master's HTTP port at AGENT_CHANNEL_PATH and keeps it for
// as long as that master leads. Every frame is one JSON text message of at most
// AGENT_MESSAGE_MAX_BYTES, `{"type": ..., ...}`, with the fields of Mesos's message of the same
// name. Trust rules:
//   - the master binds a connection to the agent id it registered or re-registered on it;
//     later messages on that connection speak for that agent only (authenticated by the id);
//     a message that fails validation is dropped and counted, the connection stays;
//   - every master -> agent message carries `master_id` (the sender's MasterInfo id); an agent
//     acts only on messages whose master_id is the leader its detector names, and on none
//     while it knows no leader (Mesos's "master-less" agent).
//
// Agent authentication (ours, in place of Mesos's SASL CRAM-MD5; host/security/hmac.ts). An
// agent with --credential authenticates first on every socket, once; bytes travel as base64:
//   agent  -> AUTHENTICATE{principal, nonce}                  (nonce_a, NONCE_BYTES random)
//   master -> AUTHENTICATION_CHALLENGE{nonce}                 (nonce_m, fresh per socket)
//   agent  -> AUTHENTICATION_RESPONSE{mac}                    mac_a = mac(secret, AGENT_MAC_LABEL, [principal, nonce_m, nonce_a])
//   master -> AUTHENTICATED{mac}                              mac_m = mac(secret, MASTER_MAC_LABEL, [principal, nonce_a, nonce_m])
//          or AUTHENTICATION_FAILED{message}, and the socket is closed (refused: the agent exits 1, as Mesos's does)
//          or AUTHENTICATION_ERROR{message}, and the socket is closed (could not authenticate now: the agent retries)
// Both nonces are fresh, so no answer replays on another socket; the labels differ, so the
// master's proof is no agent's answer. The agent checks mac_m: a master without the secret
// (an impostor at the leader's address) is refused and the agent reconnects after a back-off.
// With --authenticate_agents every other frame on a socket that has not authenticated is
// dropped and counted (master/unauthenticated_agent_messages), as Mesos drops them silently.
import type { SlaveInfo } from "../registry/types.ts";
import { MAC_BYTES, NONCE_BYTES } from "../security/hmac.ts";
import {
  type Id, type JsonObject, RECONCILE_STATUSES_MAX, type ReportedTask, TASK_GROUP_TASKS_MAX, TASK_STATES, type TaskAgentMessage, type TaskInfo,
  type TaskMasterMessage, type TaskState, type TaskStatus, TASKS_PER_AGENT_MAX,
} from "./task_protocol.ts";

export const AGENT_CHANNEL_PATH = "/agent/channel";
/** A re-registration carries up to TASKS_PER_AGENT_MAX tasks (~400 bytes each). */
export const AGENT_MESSAGE_MAX_BYTES = 2 << 20;
/** Messages a master queues for one agent's socket before the agent is considered gone. */
export const AGENT_SEND_BUFFER_MAX_BYTES = 1 << 20;
/** HMAC labels of the two proofs (host/security/hmac.ts): one per direction. */
export const AGENT_MAC_LABEL = "mesos-agent-channel/agent";
export const MASTER_MAC_LABEL = "mesos-agent-channel/master";
/** Longest principal accepted (Mesos puts no bound; a bound keeps log lines and maps small). */
export const PRINCIPAL_MAX_CHARS = 256;

export interface ConnectionInfo {
  /** The master's agent_ping_timeout × max_agent_ping_timeouts, in seconds. */
  total_ping_timeout_seconds: number;
}

/**
 * Agent -> master. `pid` is the agent's libprocess-style pid, slave(1)@ip:port. REREGISTER_SLAVE
 * carries the tasks the agent holds (task_protocol.ts's ReportedTask: non-terminal ones and
 * terminal ones with unacknowledged updates) and the FrameworkInfos of their frameworks; both
 * are empty lists when it holds none (optional in the type for older senders; parseAgentMessage
 * always fills them).
 */
export type AgentMessage =
  | { type: "REGISTER_SLAVE"; pid: string; slave: SlaveInfo; version: string; agent_capabilities: { type: string }[] }
  | {
    type: "REREGISTER_SLAVE"; pid: string; slave: SlaveInfo; version: string; agent_capabilities: { type: string }[];
    tasks?: ReportedTask[]; frameworks?: (JsonObject & { id: Id })[];
  }
  | { type: "PONG_SLAVE" }
  | { type: "UNREGISTER_SLAVE"; slave_id: { value: string } }
  | AuthenticationAgentMessage
  | TaskAgentMessage;

/** The agent's half of the handshake (header comment); nonce and mac hold the bytes decoded. */
export type AuthenticationAgentMessage =
  | { type: "AUTHENTICATE"; principal: string; nonce: Uint8Array }
  | { type: "AUTHENTICATION_RESPONSE"; mac: Uint8Array };

/** Master -> agent. */
export type MasterMessage =
  | { type: "SLAVE_REGISTERED"; master_id: string; slave_id: { value: string }; connection: ConnectionInfo }
  | { type: "SLAVE_REREGISTERED"; master_id: string; slave_id: { value: string }; connection: ConnectionInfo }
  | { type: "PING_SLAVE"; master_id: string; connected: boolean }
  | { type: "SHUTDOWN"; master_id: string; message: string }
  | AuthenticationMasterMessage
  | TaskMasterMessage;

/** The master's half of the handshake. */
export type AuthenticationMasterMessage =
  | { type: "AUTHENTICATION_CHALLENGE"; master_id: string; nonce: Uint8Array }
  | { type: "AUTHENTICATED"; master_id: string; mac: Uint8Array }
  | { type: "AUTHENTICATION_FAILED"; master_id: string; message: string }
  | { type: "AUTHENTICATION_ERROR"; master_id: string; message: string };

/** A frame's JSON: bytes as base64 (JSON.stringify would write a Uint8Array as an object of indices). */
export function encodeMessage(message: AgentMessage | MasterMessage): string {
  return JSON.stringify(message, (_key, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString("base64") : v));
}

export class ProtocolError extends Error {
  override name = "ProtocolError";
}

const object = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function field<T>(m: Record<string, unknown>, name: string, check: (v: unknown) => v is T, what: string): T {
  const v = m[name];
  if (!check(v)) throw new ProtocolError(`'${name}' must be ${what}`);
  return v;
}

const isString = (v: unknown): v is string => typeof v === "string" && v.length > 0 && v.length <= 4096;
const isId = (v: unknown): v is { value: string } => object(v) && isString(v.value);
const isCapabilities = (v: unknown): v is { type: string }[] => Array.isArray(v) && v.length <= 64 && v.every((c) => object(c) && isString(c.type));

function isSlaveInfo(v: unknown): v is SlaveInfo {
  if (!object(v) || !isString(v.hostname)) return false;
  if (v.port !== undefined && !(Number.isInteger(v.port) && (v.port as number) > 0 && (v.port as number) < 65536)) return false;
  if (v.id !== undefined && !isId(v.id)) return false;
  return (v.resources === undefined || Array.isArray(v.resources)) && (v.attributes === undefined || Array.isArray(v.attributes));
}

/** One frame as a JSON object, within the size bound; ProtocolError otherwise. */
function parseObject(frame: string | Uint8Array): Record<string, unknown> {
  const size = typeof frame === "string" ? Buffer.byteLength(frame) : frame.byteLength;
  if (size > AGENT_MESSAGE_MAX_BYTES) throw new ProtocolError(`message of ${size} bytes exceeds ${AGENT_MESSAGE_MAX_BYTES}`);
  let m: unknown;
  try {
    m = JSON.parse(typeof frame === "string" ? frame : new TextDecoder().decode(frame));
  } catch {
    throw new ProtocolError("message is not JSON");
  }
  if (!object(m)) throw new ProtocolError("message is not a JSON object");
  return m;
}

/** Parses one agent frame; ProtocolError names what is wrong (the frame is dropped and counted). */
export function parseAgentMessage(frame: string | Uint8Array): AgentMessage {
  const m = parseObject(frame);
  switch (m.type) {
    case "REGISTER_SLAVE":
    case "REREGISTER_SLAVE": {
      const slave = field(m, "slave", isSlaveInfo, "a SlaveInfo with a hostname");
      const common = {
        pid: field(m, "pid", isString, "a pid"), slave, version: field(m, "version", isString, "a version"),
        agent_capabilities: m.agent_capabilities === undefined ? [] : field(m, "agent_capabilities", isCapabilities, "a list of capabilities"),
      };
      if (m.type === "REGISTER_SLAVE") return { type: m.type, ...common };
      if (!isId(slave.id)) throw new ProtocolError("'slave.id' is required to re-register");
      const tasks = m.tasks === undefined ? [] : field(m, "tasks", listOf(isReportedTask, TASKS_PER_AGENT_MAX), `a list of at most ${TASKS_PER_AGENT_MAX} tasks`);
      const frameworks = m.frameworks === undefined ? [] : field(m, "frameworks", listOf(isFrameworkInfo, TASKS_PER_AGENT_MAX), "a list of FrameworkInfos with ids");
      return { type: m.type, ...common, tasks, frameworks };
    }
    case "STATUS_UPDATE":
      return { type: "STATUS_UPDATE", update: field(m, "update", isStatusUpdate, "a StatusUpdate {framework_id, status, timestamp, uuid}") };
    case "PONG_SLAVE":
      return { type: "PONG_SLAVE" };
    case "UNREGISTER_SLAVE":
      return { type: "UNREGISTER_SLAVE", slave_id: field(m, "slave_id", isId, "an agent id") };
    case "AUTHENTICATE": {
      const isPrincipal = (v: unknown): v is string => typeof v === "string" && v.length > 0 && v.length <= PRINCIPAL_MAX_CHARS;
      return { type: "AUTHENTICATE", principal: field(m, "principal", isPrincipal, `a principal of 1 to ${PRINCIPAL_MAX_CHARS} characters`), nonce: bytes(m, "nonce", NONCE_BYTES) };
    }
    case "AUTHENTICATION_RESPONSE":
      return { type: "AUTHENTICATION_RESPONSE", mac: bytes(m, "mac", MAC_BYTES) };
    default:
      throw new ProtocolError(`unknown message type ${JSON.stringify(m.type)}`);
  }
}

/** A base64 field of exactly `length` bytes. */
function bytes(m: Record<string, unknown>, name: string, length: number): Uint8Array {
  const v = m[name];
  const decoded = typeof v === "string" && v.length <= 2 * length && /^[A-Za-z0-9+/]*={0,2}$/.test(v) ? Buffer.from(v, "base64") : null;
  if (decoded === null || decoded.length !== length) throw new ProtocolError(`'${name}' must be ${length} bytes in base64`);
  return new Uint8Array(decoded);
}

/** Parses one master frame (the agent side); ProtocolError when malformed. */
export function parseMasterMessage(frame: string | Uint8Array): MasterMessage {
  const m = parseObject(frame);
  const master_id = field(m, "master_id", isString, "the sending master's id");
  const isConnection = (v: unknown): v is ConnectionInfo => object(v) && typeof v.total_ping_timeout_seconds === "number" && v.total_ping_timeout_seconds > 0;
  switch (m.type) {
    case "SLAVE_REGISTERED":
    case "SLAVE_REREGISTERED":
      return { type: m.type, master_id, slave_id: field(m, "slave_id", isId, "an agent id"), connection: field(m, "connection", isConnection, "connection info") };
    case "PING_SLAVE":
      return { type: "PING_SLAVE", master_id, connected: field(m, "connected", (v): v is boolean => typeof v === "boolean", "a boolean") };
    case "SHUTDOWN":
      return { type: "SHUTDOWN", master_id, message: typeof m.message === "string" ? m.message : "" };
    case "AUTHENTICATION_CHALLENGE":
      return { type: m.type, master_id, nonce: bytes(m, "nonce", NONCE_BYTES) };
    case "AUTHENTICATED":
      return { type: m.type, master_id, mac: bytes(m, "mac", MAC_BYTES) };
    case "AUTHENTICATION_FAILED":
    case "AUTHENTICATION_ERROR":
      return { type: m.type, master_id, message: typeof m.message === "string" ? m.message.slice(0, 4096) : "" };
    default:
      return parseTaskMasterMessage(m, master_id);
  }
}

// ---- Task messages (task_protocol.ts). The shapes are checked here; what a well-formed
// message asks for (a task id with a '/', no command) is the agent's to refuse with a status.

const isList = (v: unknown, max: number): v is unknown[] => Array.isArray(v) && v.length <= max;
const listOf = <T>(check: (v: unknown) => v is T, max: number) => (v: unknown): v is T[] => isList(v, max) && v.every(check);
const isState = (v: unknown): v is TaskState => (TASK_STATES as readonly unknown[]).includes(v);
const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isFrameworkInfo = (v: unknown): v is JsonObject & { id: Id } => object(v) && isId(v.id);
const isResources = (v: unknown): v is JsonObject[] => isList(v, 1024) && v.every(object);
/** A grace period as v1 JSON renders DurationInfo (int64 nanoseconds: a number or a decimal string). */
const isKillPolicy = (v: unknown): v is NonNullable<TaskInfo["kill_policy"]> => object(v) && (v.grace_period === undefined ||
  (object(v.grace_period) && (isNumber(v.grace_period.nanoseconds) || (typeof v.grace_period.nanoseconds === "string" && /^\d{1,19}$/.test(v.grace_period.nanoseconds)))));

function isCommand(v: unknown): v is TaskInfo["command"] {
  if (!object(v)) return false;
  if (v.value !== undefined && typeof v.value !== "string") return false;
  if (v.shell !== undefined && typeof v.shell !== "boolean") return false;
  if (v.arguments !== undefined && !(isList(v.arguments, 4096) && v.arguments.every((a) => typeof a === "string"))) return false;
  if (v.user !== undefined && typeof v.user !== "string") return false;
  const env = v.environment;
  if (env === undefined) return true;
  return object(env) && (env.variables === undefined ||
    (isList(env.variables, 4096) && env.variables.every((e) => object(e) && isString(e.name) && (e.value === undefined || typeof e.value === "string"))));
}

function isTaskInfo(v: unknown): v is TaskInfo {
  return object(v) && typeof v.name === "string" && isId(v.task_id) && isId(v.agent_id) && isResources(v.resources ?? []) &&
    (v.command === undefined || isCommand(v.command)) && (v.kill_policy === undefined || isKillPolicy(v.kill_policy));
}

function isTaskStatus(v: unknown): v is TaskStatus {
  return object(v) && isId(v.task_id) && isState(v.state) && (v.uuid === undefined || isString(v.uuid)) &&
    (v.message === undefined || typeof v.message === "string") && (v.reason === undefined || typeof v.reason === "string") &&
    (v.agent_id === undefined || isId(v.agent_id)) && (v.timestamp === undefined || isNumber(v.timestamp));
}

function isStatusUpdate(v: unknown): v is Extract<TaskAgentMessage, { type: "STATUS_UPDATE" }>["update"] {
  return object(v) && isId(v.framework_id) && isTaskStatus(v.status) && isNumber(v.timestamp) && isString(v.uuid) &&
    (v.latest_state === undefined || isState(v.latest_state));
}

function isReportedTask(v: unknown): v is ReportedTask {
  return object(v) && isId(v.task_id) && isId(v.framework_id) && isId(v.agent_id) && typeof v.name === "string" && isState(v.state) &&
    isResources(v.resources) && (v.status === undefined || isTaskStatus(v.status));
}

function parseTaskMasterMessage(m: Record<string, unknown>, master_id: string): TaskMasterMessage {
  switch (m.type) {
    case "RUN_TASK":
      return { type: "RUN_TASK", master_id, framework: field(m, "framework", isFrameworkInfo, "a FrameworkInfo with an id"), task: field(m, "task", isTaskInfo, "a TaskInfo") };
    case "RUN_TASK_GROUP": {
      const isGroup = (v: unknown): v is { tasks: TaskInfo[] } => object(v) && isList(v.tasks, TASK_GROUP_TASKS_MAX) && v.tasks.length > 0 && v.tasks.every(isTaskInfo);
      return {
        type: "RUN_TASK_GROUP", master_id, framework: field(m, "framework", isFrameworkInfo, "a FrameworkInfo with an id"),
        task_group: field(m, "task_group", isGroup, `a TaskGroupInfo of 1 to ${TASK_GROUP_TASKS_MAX} TaskInfos`),
      };
    }
    case "KILL_TASK": {
      const message: TaskMasterMessage = {
        type: "KILL_TASK", master_id, framework_id: field(m, "framework_id", isId, "a framework id"), task_id: field(m, "task_id", isId, "a task id"),
      };
      if (m.kill_policy !== undefined) message.kill_policy = field(m, "kill_policy", isKillPolicy, "a KillPolicy");
      return message;
    }
    case "STATUS_UPDATE_ACKNOWLEDGEMENT":
      return {
        type: "STATUS_UPDATE_ACKNOWLEDGEMENT", master_id, framework_id: field(m, "framework_id", isId, "a framework id"),
        task_id: field(m, "task_id", isId, "a task id"), uuid: field(m, "uuid", isString, "the update's uuid"),
      };
    case "SHUTDOWN_FRAMEWORK":
      return { type: "SHUTDOWN_FRAMEWORK", master_id, framework_id: field(m, "framework_id", isId, "a framework id") };
    case "RECONCILE_TASKS": {
      const isStatus = (v: unknown): v is { task_id: Id; state: TaskState } => object(v) && isId(v.task_id) && isState(v.state);
      return {
        type: "RECONCILE_TASKS", master_id, framework: field(m, "framework", isFrameworkInfo, "a FrameworkInfo with an id"),
        statuses: field(m, "statuses", listOf(isStatus, RECONCILE_STATUSES_MAX), `at most ${RECONCILE_STATUSES_MAX} task statuses`),
      };
    }
    default:
      throw new ProtocolError(`unknown message type ${JSON.stringify(m.type)}`);
  }
}
