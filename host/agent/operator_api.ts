// The agent's v1 operator API (`POST /api/v1`, mesos.v1.agent.Call) for the calls a
// command-task agent can answer: health, flags, version, metrics, state, containers,
// frameworks, executors, tasks, the agent itself, and files (LIST_FILES, READ_FILE). Calls that
// need Mesos's containerizer (nested containers, attach, standalone containers, resource
// providers, image pruning) answer 501 with that reason. Bodies and texts follow Mesos's master
// API (host/master/operator_api.ts): `{"type": X, "<lower_snake_of_X>": {...}}`.
import { renderFlags } from "../flags.ts";
import { fileInfoV1, type Files, type FilesError, isFilesError, READ_LENGTH_MAX_BYTES } from "../files/files.ts";
import { versionJson } from "../version.ts";
import { AGENT_FLAGS } from "./flags.ts";
import { executorName, liveUsage, statisticsJson } from "./monitor.ts";
import { agentMetrics, type AgentHttpContext, agentRuns } from "./state.ts";
import type { AgentRun } from "./tasks/tasks.ts";

export type AgentRefusal = { status: number; message: string };
export type AgentReply = { status: 200; json: unknown } | AgentRefusal;

const CALL_TYPES = new Set([
  "UNKNOWN", "GET_HEALTH", "GET_FLAGS", "GET_VERSION", "GET_METRICS", "GET_LOGGING_LEVEL", "SET_LOGGING_LEVEL", "LIST_FILES", "READ_FILE",
  "GET_STATE", "GET_CONTAINERS", "GET_FRAMEWORKS", "GET_EXECUTORS", "GET_OPERATIONS", "GET_TASKS", "GET_AGENT", "GET_RESOURCE_PROVIDERS",
  "LAUNCH_NESTED_CONTAINER", "WAIT_NESTED_CONTAINER", "KILL_NESTED_CONTAINER", "REMOVE_NESTED_CONTAINER", "LAUNCH_NESTED_CONTAINER_SESSION",
  "ATTACH_CONTAINER_INPUT", "ATTACH_CONTAINER_OUTPUT", "LAUNCH_CONTAINER", "WAIT_CONTAINER", "KILL_CONTAINER", "REMOVE_CONTAINER",
  "ADD_RESOURCE_PROVIDER_CONFIG", "UPDATE_RESOURCE_PROVIDER_CONFIG", "REMOVE_RESOURCE_PROVIDER_CONFIG", "MARK_RESOURCE_PROVIDER_GONE", "PRUNE_IMAGES",
]);

/** Calls that need Mesos's containerizer, which this agent does not have. */
const CONTAINERIZER_CALLS = new Set([
  "LAUNCH_NESTED_CONTAINER", "WAIT_NESTED_CONTAINER", "KILL_NESTED_CONTAINER", "REMOVE_NESTED_CONTAINER", "LAUNCH_NESTED_CONTAINER_SESSION",
  "ATTACH_CONTAINER_INPUT", "ATTACH_CONTAINER_OUTPUT", "LAUNCH_CONTAINER", "WAIT_CONTAINER", "KILL_CONTAINER", "REMOVE_CONTAINER",
  "ADD_RESOURCE_PROVIDER_CONFIG", "UPDATE_RESOURCE_PROVIDER_CONFIG", "REMOVE_RESOURCE_PROVIDER_CONFIG", "MARK_RESOURCE_PROVIDER_GONE", "PRUNE_IMAGES",
]);

export interface AgentCall {
  type: string;
  message: Record<string, unknown>;
}

const field = (type: string) => type.toLowerCase();
const answer = (type: string, body: unknown): AgentReply => ({ status: 200, json: { type, [field(type)]: body } });
const refuse = (message: string, status = 400): AgentRefusal => ({ status, message });

/** A JSON body's value, or the parser's one-line error. */
export function parseAgentJson(text: string): { value: unknown } | { error: string } {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (error) {
    return { error: (error as Error).message.split("\n")[0] ?? "" };
  }
}

/** Validates a call's JSON object, a JSON body's or a protobuf body's decoded (Mesos's 400 texts). */
export function readAgentCall(json: unknown): AgentCall | AgentRefusal {
  if (json === null || typeof json !== "object" || Array.isArray(json)) return refuse("Failed to convert JSON into Call protobuf: Expecting a JSON object");
  const object = json as Record<string, unknown>;
  const type = object.type;
  if (type === undefined) return refuse("Failed to validate agent::Call: Expecting 'type' to be present");
  if (typeof type !== "string" || !CALL_TYPES.has(type)) return refuse(`Failed to convert JSON into Call protobuf: Failed to find enum for '${String(type)}'`);
  const message = object[field(type)];
  if (message !== undefined && (message === null || typeof message !== "object" || Array.isArray(message))) {
    return refuse(`Failed to convert JSON into Call protobuf: Expecting '${field(type)}' to be a JSON object`);
  }
  if ((type === "LIST_FILES" || type === "READ_FILE") && message === undefined) return refuse(`Failed to validate agent::Call: Expecting '${field(type)}' to be present`);
  return { type, message: (message ?? {}) as Record<string, unknown> };
}

type Handler = (c: AgentHttpContext, files: Files, message: Record<string, unknown>) => AgentReply;

const HANDLERS: Record<string, Handler> = {
  GET_HEALTH: () => answer("GET_HEALTH", { healthy: true }),
  GET_FLAGS: (c) => answer("GET_FLAGS", { flags: Object.entries(renderFlags(AGENT_FLAGS, c.flags)).map(([name, value]) => ({ name, value })) }),
  GET_VERSION: () => answer("GET_VERSION", { version_info: versionJson() }),
  GET_METRICS: (c) => answer("GET_METRICS", { metrics: Object.entries(agentMetrics(c)).map(([name, value]) => ({ name, value })) }),
  GET_AGENT: (c) => answer("GET_AGENT", { agent_info: agentInfoV1(c) }),
  GET_STATE: (c) => {
    const runs = agentRuns(c);
    return answer("GET_STATE", { get_tasks: tasksV1(runs), get_executors: executorsV1(runs), get_frameworks: frameworksV1(runs) });
  },
  GET_FRAMEWORKS: (c) => answer("GET_FRAMEWORKS", frameworksV1(agentRuns(c))),
  GET_EXECUTORS: (c) => answer("GET_EXECUTORS", executorsV1(agentRuns(c))),
  GET_TASKS: (c) => answer("GET_TASKS", tasksV1(agentRuns(c))),
  GET_OPERATIONS: () => answer("GET_OPERATIONS", {}),
  GET_CONTAINERS: (c) => answer("GET_CONTAINERS", { containers: containersV1(agentRuns(c)) }),
  LIST_FILES: (_c, files, message) => listFiles(files, message),
  READ_FILE: (_c, files, message) => readFile(files, message),
};

export function dispatchAgentCall(c: AgentHttpContext, files: Files, call: AgentCall): AgentReply {
  if (call.type === "UNKNOWN") return refuse("Unknown call", 501);
  if (CONTAINERIZER_CALLS.has(call.type)) return refuse(`Call ${call.type} is not implemented by this agent: it runs command tasks without Mesos's containerizer`, 501);
  const handler = HANDLERS[call.type];
  if (handler === undefined) return refuse(`Call ${call.type} is not implemented by this agent`, 501);
  return handler(c, files, call.message);
}

function filesRefusal(error: FilesError): AgentReply {
  return error.error === "invalid" ? refuse(error.message.trim()) : refuse(error.message.trim() || "File not found", 404);
}

function listFiles(files: Files, message: Record<string, unknown>): AgentReply {
  if (typeof message.path !== "string") return refuse("Failed to validate agent::Call: Expecting 'list_files.path' to be present");
  const listing = files.browse(message.path);
  return isFilesError(listing) ? filesRefusal(listing) : answer("LIST_FILES", { file_infos: listing.map(fileInfoV1) });
}

function readFile(files: Files, message: Record<string, unknown>): AgentReply {
  const { path, offset, length } = message;
  if (typeof path !== "string") return refuse("Failed to validate agent::Call: Expecting 'read_file.path' to be present");
  if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0) return refuse("Failed to validate agent::Call: Expecting 'read_file.offset' to be a non-negative integer");
  if (length !== undefined && (typeof length !== "number" || !Number.isSafeInteger(length) || length < 0)) return refuse("Failed to validate agent::Call: Expecting 'read_file.length' to be a non-negative integer");
  const result = files.read(path, offset, length === undefined ? null : Math.min(length, READ_LENGTH_MAX_BYTES));
  return isFilesError(result) ? filesRefusal(result) : answer("READ_FILE", { size: result.size, data: result.data.toString("base64") });
}

// ---- v1 views of the agent's runs ----

const id = (value: string) => ({ value });

function agentInfoV1(c: AgentHttpContext): Record<string, unknown> {
  const info: Record<string, unknown> = { hostname: c.info.hostname, port: c.info.port, resources: c.info.resources, attributes: c.info.attributes };
  if (c.agent.id) info.id = id(c.agent.id);
  return info;
}

function frameworksV1(runs: readonly AgentRun[]): Record<string, unknown> {
  const live = new Map<string, unknown>();
  const completed = new Map<string, unknown>();
  for (const run of runs) (run.live ? live : completed).set(run.framework.id.value, { framework_info: run.framework });
  for (const key of live.keys()) completed.delete(key);
  return { frameworks: [...live.values()], completed_frameworks: [...completed.values()] };
}

function executorInfoV1(run: AgentRun): Record<string, unknown> {
  return {
    executor_id: id(run.task.task.task_id.value), framework_id: id(run.task.framework_id), name: executorName(run), source: run.task.task.task_id.value,
    command: run.task.task.command ?? {}, resources: run.task.task.resources ?? [],
  };
}

function executorsV1(runs: readonly AgentRun[]): Record<string, unknown> {
  return {
    executors: runs.filter((r) => r.live).map((r) => ({ executor_info: executorInfoV1(r) })),
    completed_executors: runs.filter((r) => !r.live).map((r) => ({ executor_info: executorInfoV1(r) })),
  };
}

function taskV1(run: AgentRun): Record<string, unknown> {
  const t = run.task;
  return {
    name: t.task.name, task_id: t.task.task_id, framework_id: id(t.framework_id), executor_id: id(t.task.task_id.value), agent_id: t.task.agent_id,
    state: t.state, resources: t.task.resources ?? [], statuses: t.statuses, ...(t.statuses.length > 0 ? { status_update_state: t.state } : {}),
  };
}

function tasksV1(runs: readonly AgentRun[]): Record<string, unknown> {
  return {
    pending_tasks: [], queued_tasks: [],
    launched_tasks: runs.filter((r) => r.live).map(taskV1),
    terminated_tasks: runs.filter((r) => !r.live && !r.completed).map(taskV1), // terminal, its update not yet acknowledged
    completed_tasks: runs.filter((r) => r.completed).map(taskV1),
  };
}

function containersV1(runs: readonly AgentRun[]): Record<string, unknown>[] {
  const now_s = Date.now() / 1000;
  return liveUsage(runs).map(({ run, usage }) => ({
    framework_id: id(run.task.framework_id), executor_id: id(run.task.task.task_id.value), executor_name: executorName(run),
    container_id: id(run.task.run_id), container_status: { executor_pid: run.task.pid }, resource_statistics: statisticsJson(run, usage, now_s),
  }));
}
