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
import type { SlaveInfo } from "../registry/types.ts";

export const AGENT_CHANNEL_PATH = "/agent/channel";
export const AGENT_MESSAGE_MAX_BYTES = 256 << 10;
/** Messages a master queues for one agent's socket before the agent is considered gone. */
export const AGENT_SEND_BUFFER_MAX_BYTES = 1 << 20;

export interface ConnectionInfo {
  /** The master's agent_ping_timeout × max_agent_ping_timeouts, in seconds. */
  total_ping_timeout_seconds: number;
}

/** Agent -> master. `pid` is the agent's libprocess-style pid, slave(1)@ip:port. */
export type AgentMessage =
  | { type: "REGISTER_SLAVE"; pid: string; slave: SlaveInfo; version: string; agent_capabilities: { type: string }[] }
  | { type: "REREGISTER_SLAVE"; pid: string; slave: SlaveInfo; version: string; agent_capabilities: { type: string }[] }
  | { type: "PONG_SLAVE" }
  | { type: "UNREGISTER_SLAVE"; slave_id: { value: string } };

/** Master -> agent. */
export type MasterMessage =
  | { type: "SLAVE_REGISTERED"; master_id: string; slave_id: { value: string }; connection: ConnectionInfo }
  | { type: "SLAVE_REREGISTERED"; master_id: string; slave_id: { value: string }; connection: ConnectionInfo }
  | { type: "PING_SLAVE"; master_id: string; connected: boolean }
  | { type: "SHUTDOWN"; master_id: string; message: string };

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
      if (m.type === "REREGISTER_SLAVE" && !isId(slave.id)) throw new ProtocolError("'slave.id' is required to re-register");
      return {
        type: m.type, pid: field(m, "pid", isString, "a pid"), slave, version: field(m, "version", isString, "a version"),
        agent_capabilities: m.agent_capabilities === undefined ? [] : field(m, "agent_capabilities", isCapabilities, "a list of capabilities"),
      };
    }
    case "PONG_SLAVE":
      return { type: "PONG_SLAVE" };
    case "UNREGISTER_SLAVE":
      return { type: "UNREGISTER_SLAVE", slave_id: field(m, "slave_id", isId, "an agent id") };
    default:
      throw new ProtocolError(`unknown message type ${JSON.stringify(m.type)}`);
  }
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
    default:
      throw new ProtocolError(`unknown message type ${JSON.stringify(m.type)}`);
  }
}
