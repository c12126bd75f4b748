// What the agents service keeps per agent and the seams it talks through: the connection an
// agent's messages arrive on (a WebSocket in production, a recorder in tests), the
// metrics' names, and small helpers on SlaveInfo and pids.
import type { MasterMessage } from "../agent/protocol.ts";
import type { JsonObject, ReportedTask, TaskAgentMessage } from "../agent/task_protocol.ts";
import type { SlaveInfo } from "../registry/types.ts";
import type { Permit } from "./rate_limiter.ts";

/** One agent socket. The service binds it to the agent id registered on it (protocol.ts). */
export interface AgentConnection {
  /** Sends one message (master_id is added by the service); the channel closes the socket on overflow. */
  send(message: MasterMessage): void;
  close(reason: string): void;
  /** The agent id this connection speaks for, once it (re-)registered one. */
  agent_id: string | null;
  /** For log lines: the peer address. */
  readonly remote: string;
  /**
   * The socket's peer IP (IPv4-mapped IPv6 written as IPv4): what a registration's pid must
   * name, because the pid is only what the client says.
   */
  readonly ip: string;
  /** The principal this socket authenticated as (agent_auth.ts), or null. */
  principal: string | null;
}

/** A registered agent (Mesos's Slave). */
export interface Agent {
  id: string;
  info: SlaveInfo;
  /** The agent's libprocess-style pid, slave(1)@ip:port; its IP is the machine's IP. */
  pid: string;
  ip: string;
  version: string;
  capabilities: { type: string }[];
  registered_ms: number;
  reregistered_ms: number | null;
  connected: boolean;
  active: boolean;
  conn: AgentConnection | null;
  /** Health checks (agent_health.ts): the sweep slot, a ping without a pong yet, consecutive timeouts. */
  slot: number;
  pinged: boolean;
  timeouts: number;
  /** A scheduled (rate limited, not yet executed) health-check transition to unreachable. */
  marking: Permit | null;
  /** When the socket broke (agent_reregister_timeout counts from here), or null while connected. */
  disconnected_ms: number | null;
}

/** What a re-registering agent reported, and what the master knew of it before. */
export interface Reregistration {
  tasks: ReportedTask[];
  frameworks: JsonObject[];
  /** registered: a registered agent re-registered; recovered: after a failover; else it was unreachable or unknown. */
  previously: "registered" | "recovered" | "unreachable" | "unknown";
}

/** What the agents service tells the task side (host/master/tasks.ts) and asks of it. */
export interface AgentTaskHooks {
  /** An agent registered (re = null) or re-registered with its report; after SLAVE_(RE)REGISTERED. */
  added(agent: Agent, re: Reregistration | null): void;
  /** No offers for it any more (socket broke, deactivated, draining). */
  deactivated(agent_id: string): void;
  /**
   * The agent left (after the registry stored it); `time_ns` is the registry's timestamp.
   * `lost` (default: all but pruned): frameworks are told with a FAILURE event (Mesos's sendSlaveLost).
   */
  removed(agent_id: string, how: "unreachable" | "gone" | "removed" | "pruned", time_ns: number, lost?: boolean): void;
  /** A task message from an agent connection; `agent` is undefined when the connection speaks for no registered agent. */
  message(agent: Agent | undefined, message: TaskAgentMessage): void;
  used(agent_id: string): unknown[];
  offered(agent_id: string): unknown[];
  usedTotals(): Record<string, number>;
  agentSummary(agent_id: string): { counts: Record<string, number>; framework_ids: string[] };
}

export const COUNTERS = [
  "master/dropped_messages", "master/invalid_agent_messages", "master/agent_channel_refused",
  "master/messages_register_slave", "master/messages_reregister_slave", "master/messages_unregister_slave",
  "master/slave_registrations", "master/slave_reregistrations", "master/slave_removals",
  "master/slave_removals/reason_unhealthy", "master/slave_removals/reason_unregistered", "master/slave_removals/reason_registered",
  "master/slave_unreachable_scheduled", "master/slave_unreachable_completed", "master/slave_unreachable_canceled",
  "master/recovery_slave_removals",
  "master/messages_authenticate", "master/agent_authentication_failures", "master/unauthenticated_agent_messages",
  "master/refused_agent_registrations",
] as const;

export type Counter = (typeof COUNTERS)[number];

/** The IP of a pid like slave(1)@10.0.0.5:5051 (the part between @ and the last colon). */
export function ipOfPid(pid: string): string {
  const at = pid.lastIndexOf("@");
  const hostport = at < 0 ? pid : pid.slice(at + 1);
  const colon = hostport.lastIndexOf(":");
  return colon < 0 ? hostport : hostport.slice(0, colon);
}

/** The port of a pid like slave(1)@10.0.0.5:5051 (after the last colon). */
export function portOfPid(pid: string): number {
  return Number(pid.slice(pid.lastIndexOf(":") + 1));
}

/** A socket's remote address as an IP: ::ffff:10.0.0.5 is the IPv4 client 10.0.0.5. */
export function normalizeIp(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1]! : address;
}

/** JSON with sorted keys: SlaveInfo equality as the registry compares it (canonical bytes). */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  });
}

/** Mesos's MINIMUM_AGENT_VERSION check: a SemVer at least 1.0.0; null when acceptable, else why not. */
export function versionRefusal(version: string): string | null {
  const match = /^(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/.exec(version);
  if (match === null) return `Failed to parse version '${version}'`;
  return Number(match[1]) >= 1 ? null : `agent version is ${version}, minimum supported agent version is 1.0.0`;
}

/** The agent's description in log lines, as Mesos prints a Slave: `<id> at <pid> (<hostname>)`. */
export function describe(agent: { id: string; pid: string; info: SlaveInfo }): string {
  return `${agent.id} at ${agent.pid} (${agent.info.hostname})`;
}
