// The agent channel's task messages (the channel itself: protocol.ts). Named and shaped after
// Mesos's RunTaskMessage, RunTaskGroupMessage, KillTaskMessage, StatusUpdateMessage,
// StatusUpdateAcknowledgementMessage and ShutdownFrameworkMessage, with v1 JSON for the
// embedded protobufs (TaskInfo, TaskStatus, FrameworkInfo). Every master -> agent message
// carries master_id and obeys the same trust rule as the rest of the channel.
//
// Status updates (mesos-spec §5.2, Mesos's status update manager): the agent gives every update
// a fresh uuid, keeps them per task in order (checkpointed under its work dir), and sends the
// oldest unacknowledged one of each task, again every STATUS_UPDATE_RETRY_MS (doubling up to
// STATUS_UPDATE_RETRY_MAX_MS) until the master forwards the framework's acknowledgement (uuid);
// only then the next one of that task goes out. A terminal update is acknowledged like any other.

/** v1 TaskState names. */
export const TASK_STATES = [
  "TASK_STAGING", "TASK_STARTING", "TASK_RUNNING", "TASK_KILLING", "TASK_FINISHED", "TASK_FAILED", "TASK_KILLED",
  "TASK_ERROR", "TASK_LOST", "TASK_DROPPED", "TASK_UNREACHABLE", "TASK_GONE", "TASK_GONE_BY_OPERATOR", "TASK_UNKNOWN",
] as const;
export type TaskState = (typeof TASK_STATES)[number];
export const TERMINAL_STATES: ReadonlySet<TaskState> = new Set([
  "TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_ERROR", "TASK_LOST", "TASK_DROPPED", "TASK_GONE", "TASK_GONE_BY_OPERATOR",
]);

export const STATUS_UPDATE_RETRY_MS = 10_000;
export const STATUS_UPDATE_RETRY_MAX_MS = 10 * 60_000;
/** Updates an agent keeps unacknowledged per task before it refuses to run more (a bound). */
export const STATUS_UPDATES_PER_TASK_MAX = 64;
/**
 * Tasks one agent holds at once (running, or terminal with updates not yet acknowledged); a
 * launch beyond it is answered TASK_DROPPED. Also bounds REREGISTER_SLAVE's `tasks`, so that
 * message stays within AGENT_MESSAGE_MAX_BYTES.
 */
export const TASKS_PER_AGENT_MAX = 4096;
/** Tasks in one RUN_TASK_GROUP. */
export const TASK_GROUP_TASKS_MAX = 64;
/** Mesos's default KillPolicy grace period (the command executor's SIGTERM -> SIGKILL escalation). */
export const DEFAULT_KILL_GRACE_PERIOD_MS = 3_000;

export type Id = { value: string };
export type JsonObject = Record<string, unknown>;

/** v1 TaskInfo as this build runs it: command tasks only (no executor, no container image). */
export interface TaskInfo {
  name: string;
  task_id: Id;
  agent_id: Id;
  resources: JsonObject[];
  command: { value?: string; shell?: boolean; arguments?: string[]; environment?: { variables: { name: string; value: string }[] }; user?: string };
  kill_policy?: { grace_period?: { nanoseconds: number } };
  labels?: JsonObject;
  [field: string]: unknown;
}

/** v1 TaskStatus. `uuid` is base64 of 16 bytes, as v1 JSON renders bytes. */
export interface TaskStatus {
  task_id: Id;
  state: TaskState;
  source?: "SOURCE_MASTER" | "SOURCE_AGENT" | "SOURCE_EXECUTOR";
  reason?: string;
  message?: string;
  agent_id?: Id;
  timestamp?: number;
  uuid?: string;
  unreachable_time?: { nanoseconds: number };
  [field: string]: unknown;
}

/** What an agent reports of a task it holds when it re-registers (v1 Task, trimmed). */
export interface ReportedTask {
  task_id: Id;
  framework_id: Id;
  name: string;
  agent_id: Id;
  state: TaskState;
  resources: JsonObject[];
  /** The latest status (acknowledged or not), so a new master knows the task's state. */
  status?: TaskStatus;
}

/** Master -> agent. */
export type TaskMasterMessage =
  | { type: "RUN_TASK"; master_id: string; framework: JsonObject & { id: Id }; task: TaskInfo }
  | { type: "RUN_TASK_GROUP"; master_id: string; framework: JsonObject & { id: Id }; task_group: { tasks: TaskInfo[] } }
  | { type: "KILL_TASK"; master_id: string; framework_id: Id; task_id: Id; kill_policy?: TaskInfo["kill_policy"] }
  | { type: "STATUS_UPDATE_ACKNOWLEDGEMENT"; master_id: string; framework_id: Id; task_id: Id; uuid: string }
  | { type: "SHUTDOWN_FRAMEWORK"; master_id: string; framework_id: Id }
  | { type: "RECONCILE_TASKS"; master_id: string; framework: JsonObject & { id: Id }; statuses: { task_id: Id; state: TaskState }[] };

/**
 * Statuses in one RECONCILE_TASKS (Mesos's ReconcileTasksMessage, which a re-registered agent
 * gets for the tasks the master knows there and the agent did not report); more go in more messages.
 */
export const RECONCILE_STATUSES_MAX = 1024;

/**
 * Agent -> master. REREGISTER_SLAVE also carries `tasks: ReportedTask[]` and `frameworks: FrameworkInfo[]` (protocol.ts).
 * A StatusUpdate as Mesos's: `uuid` equals `status.uuid`; `timestamp` (seconds) equals
 * `status.timestamp`; `status.agent_id` is the sending agent; `latest_state` is the task's
 * latest state at the agent when this (possibly older) update is sent.
 */
export type TaskAgentMessage = { type: "STATUS_UPDATE"; update: StatusUpdate };
export interface StatusUpdate {
  framework_id: Id;
  status: TaskStatus;
  timestamp: number;
  uuid: string;
  latest_state?: TaskState;
}
