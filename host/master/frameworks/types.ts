// The master's view of frameworks, offers and tasks (mesos-spec §6.5), shared by the scheduler
// API (scheduler_api.ts: subscriptions, event streams, call validation) and the task side
// (tasks.ts + allocator.ts: offers, launches, status updates, reconciliation). Frameworks are
// not in the registry (as in Mesos): after a failover they re-subscribe with their id, and
// their tasks are learned again from the agents that re-register.
import type { Id, JsonObject, TaskInfo, TaskState, TaskStatus } from "../../agent/task_protocol.ts";

/** A v1 scheduler Event, as JSON (`{"type": "OFFERS", "offers": {...}}`). */
export type SchedulerEvent = { type: string } & JsonObject;

/** A subscribed framework's event stream (one RecordIO HTTP response). */
export interface EventStream {
  readonly stream_id: string;
  /** Queues one event; false when the stream is closed or its bound is exceeded (then it closes). */
  send(event: SchedulerEvent): boolean;
  close(): void;
  readonly closed: boolean;
}

export interface Framework {
  id: string;
  info: JsonObject & { id?: Id; name: string; roles?: string[]; role?: string; failover_timeout?: number; principal?: string; user?: string; capabilities?: { type: string }[] };
  /** Null while disconnected (waiting for failover_timeout) or before the first subscription. */
  stream: EventStream | null;
  active: boolean;
  registered_time: number;
  reregistered_time?: number;
  unregistered_time?: number;
  /** PARTITION_AWARE in info.capabilities: unreachable tasks are TASK_UNREACHABLE, else TASK_LOST. */
  partition_aware: boolean;
  /** Roles the framework subscribed with (info.roles, or [info.role ?? "*"]). */
  roles: string[];
  /** Suppressed roles: no offers until REVIVE. */
  suppressed: Set<string>;
}

export interface Offer {
  id: string;
  framework_id: string;
  agent_id: string;
  hostname: string;
  resources: JsonObject[];
  role: string;
  /** The agent's machine's scheduled maintenance (Mesos's Offer.unavailability), when it has one. */
  unavailability?: JsonObject;
}

export interface Task {
  framework_id: string;
  agent_id: string;
  info: TaskInfo;
  state: TaskState;
  /** Every status the master has seen, the latest last (bounded). */
  statuses: TaskStatus[];
  /** The update waiting for the framework's acknowledgement, if any. */
  unacknowledged: TaskStatus | null;
}

/**
 * What the scheduler API asks of the task side (implemented by the Tasks service). Every
 * method validates against the framework's state and answers a one-line refusal or null;
 * HTTP status codes are the scheduler API's business.
 */
export interface TaskService {
  accept(framework: Framework, offer_ids: string[], operations: JsonObject[], filters?: JsonObject): string | null;
  decline(framework: Framework, offer_ids: string[], filters?: JsonObject): string | null;
  revive(framework: Framework, roles: string[]): void;
  suppress(framework: Framework, roles: string[]): void;
  kill(framework: Framework, task_id: string, agent_id?: string, kill_policy?: TaskInfo["kill_policy"]): string | null;
  /** SHUTDOWN of an executor: a command task's executor id is its task id. */
  shutdownExecutor(framework: Framework, executor_id: string, agent_id: string): string | null;
  acknowledge(framework: Framework, agent_id: string, task_id: string, uuid: string): string | null;
  reconcile(framework: Framework, tasks: { task_id: Id; agent_id?: Id }[]): void;
  /** The framework is gone (TEARDOWN, failover_timeout): kill its tasks, rescind its offers. */
  removeFramework(framework: Framework): void;
  /** A framework (re)subscribed or its stream broke: offers follow on the next allocation. */
  frameworkActivated(framework: Framework): void;
  frameworkDeactivated(framework: Framework): void;
  /** The framework re-subscribed over a stream that was still open: what was offered on the old one is withdrawn silently. */
  frameworkFailedOver(framework: Framework): void;
  /**
   * What /frameworks and GET_FRAMEWORKS show of a framework's tasks and offers; also asked for
   * completed frameworks. Without it the lists are empty and the resources zero.
   */
  frameworkView?(framework: Framework): FrameworkView;
}

/** A framework's tasks and offers as the endpoints show them (host/master/frameworks/views.ts). */
export interface FrameworkView {
  /** Mesos's json(Task) objects (common/http.cpp), as /frameworks and /state list them. */
  tasks: JsonObject[];
  unreachable_tasks: JsonObject[];
  completed_tasks: JsonObject[];
  /** v1 Offer JSON ({id: {value}, framework_id, agent_id, hostname, resources: [v1 Resource]}). */
  offers: JsonObject[];
  /** v1 Resource JSON: what its tasks use, what its outstanding offers hold. */
  used_resources: JsonObject[];
  offered_resources: JsonObject[];
}
