// The operator event stream (v1 operator API SUBSCRIBE, mesos-spec §6.4; master.cpp's
// Subscribers): each subscriber gets SUBSCRIBED with the whole GET_STATE first, then
// TASK_ADDED, TASK_UPDATED, AGENT_ADDED, AGENT_REMOVED, FRAMEWORK_ADDED, FRAMEWORK_UPDATED and
// FRAMEWORK_REMOVED as they happen, and HEARTBEAT every 15 s. At most
// --max_operator_event_stream_subscribers streams are open: a new one closes the oldest, as
// Mesos's bounded map does. The services report changes through OperatorEventSink; an event is
// built only when someone listens. Each subscriber sees what its principal may view, as Mesos's
// Subscribers::send filters: the SUBSCRIBED state as GET_STATE shows it to that principal, task
// events under view_tasks and view_frameworks, framework events under view_frameworks, and
// agent events under view_agents (beyond Mesos, which sends those to everyone).
import type { TaskStatus } from "../agent/task_protocol.ts";
import { logger } from "../logging.ts";
import type { Metrics } from "../metrics.ts";
import type { Agent } from "./agent_types.ts";
import { SEE_ALL, taskUser, type Viewer } from "./authorization.ts";
import { HttpEventStream, STREAM_BYTES_MAX } from "./frameworks/event_stream.ts";
import { encodeRecord } from "./frameworks/recordio.ts";
import { encodeFromJson, type Format } from "../codec/protobuf.ts";
import type { Framework, SchedulerEvent } from "./frameworks/types.ts";
import { type AgentClock, REAL_CLOCK } from "./rate_limiter.ts";
import type { TaskEntry } from "./tasks.ts";

const log = logger("operator_events.ts");

/** Mesos's DEFAULT_HEARTBEAT_INTERVAL for operator streams. */
export const OPERATOR_HEARTBEAT_INTERVAL_MS = 15_000;

/** What the agents, frameworks and tasks services report (Mesos sends an event at each). */
export interface OperatorEventSink {
  /** Master::addTask, and tasks learned from a re-registering agent. */
  taskAdded(task: TaskEntry): void;
  /** Master::updateTask, when the status's state differs from the previous status's. */
  taskUpdated(task: TaskEntry, status: TaskStatus): void;
  /** Master::addSlave: registered, or re-registered after a failover or unreachability. */
  agentAdded(agent: Agent): void;
  /** The agent left the registered ones (removed, unreachable or gone). */
  agentRemoved(agent_id: string): void;
  /** A new subscription, or a framework recovered from an agent's report. */
  frameworkAdded(framework: Framework): void;
  /** A re-subscription (failover, or the first subscription of a recovered framework). */
  frameworkUpdated(framework: Framework): void;
  frameworkRemoved(framework: Framework): void;
}

export const NO_OPERATOR_EVENTS: OperatorEventSink = {
  taskAdded: () => {},
  taskUpdated: () => {},
  agentAdded: () => {},
  agentRemoved: () => {},
  frameworkAdded: () => {},
  frameworkUpdated: () => {},
  frameworkRemoved: () => {},
};

/** The v1 JSON the events carry, built by the master's views. */
export interface OperatorViews {
  state(viewer: Viewer): Record<string, unknown>;
  /** FrameworkInfo.user of a task's framework (view_tasks and view_frameworks judge by it). */
  frameworkUser(framework_id: string): string | undefined;
  task(task: TaskEntry): Record<string, unknown>;
  agent(agent: Agent): Record<string, unknown>;
  framework(framework: Framework): Record<string, unknown>;
}

export interface OperatorEventsOptions {
  metrics: Metrics;
  views: OperatorViews;
  max_subscribers: number;
  clock?: AgentClock;
  heartbeat_interval_ms?: number;
  /** Bounds of each stream's queue (see event_stream.ts). */
  stream_events_max?: number;
  stream_bytes_max?: number;
}

interface Subscriber {
  stream: HttpEventStream;
  heartbeat: unknown;
  viewer: Viewer;
}

export class OperatorEvents implements OperatorEventSink {
  /** Open streams by stream id, oldest first. */
  private readonly subscribers = new Map<string, Subscriber>();
  private readonly clock: AgentClock;
  private readonly heartbeat_ms: number;
  private stopped = false;

  constructor(private readonly options: OperatorEventsOptions) {
    if (!(options.max_subscribers >= 0)) throw new Error(`max_subscribers must be ≥ 0, got ${options.max_subscribers}`);
    this.clock = options.clock ?? REAL_CLOCK;
    this.heartbeat_ms = options.heartbeat_interval_ms ?? OPERATOR_HEARTBEAT_INTERVAL_MS;
    options.metrics.gauge("master/operator_event_stream_subscribers", () => this.subscribers.size);
  }

  get size(): number {
    return this.subscribers.size;
  }

  /**
   * A new stream: SUBSCRIBED with the state, then every event. Null when the master is stopping
   * or no subscriber is allowed (--max_operator_event_stream_subscribers=0).
   */
  subscribe(viewer: Viewer = SEE_ALL, format: Format = "json"): HttpEventStream | null {
    if (this.stopped || this.options.max_subscribers === 0) return null;
    while (this.subscribers.size >= this.options.max_subscribers) {
      const [oldest_id, oldest] = this.subscribers.entries().next().value!;
      log.info(`Reached the maximum number of operator event stream subscribers (${this.options.max_subscribers}) so the oldest connection (${oldest_id}) will be closed`);
      this.drop(oldest_id);
      oldest.stream.close();
    }
    const heartbeat_interval_seconds = this.heartbeat_ms / 1000;
    const subscribed = encodeEvent({ type: "SUBSCRIBED", subscribed: { get_state: this.options.views.state(viewer), heartbeat_interval_seconds } }, format);
    // The state is as large as the cluster (Mesos does not bound it): the queue's byte bound is for what follows it.
    const stream = new HttpEventStream({
      format,
      message: OPERATOR_EVENT,
      events_max: this.options.stream_events_max,
      bytes_max: (this.options.stream_bytes_max ?? STREAM_BYTES_MAX) + subscribed.length,
      onEnd: (ended, why) => {
        if (this.drop(ended.stream_id)) log.info(`Removed subscriber ${ended.stream_id} from the list of active subscribers (${why})`);
      },
    });
    if (!stream.sendRecord(subscribed)) return null;
    const heartbeat = this.clock.setInterval(() => stream.send({ type: "HEARTBEAT" }), this.heartbeat_ms);
    this.subscribers.set(stream.stream_id, { stream, heartbeat, viewer });
    log.info(`Added subscriber ${stream.stream_id} to the list of active subscribers`);
    return stream;
  }

  /** Ends every stream (the master stops). */
  stop(): void {
    this.stopped = true;
    for (const [id, subscriber] of [...this.subscribers]) {
      this.drop(id);
      subscriber.stream.close();
    }
  }

  taskAdded(task: TaskEntry): void {
    this.publish(() => ({ type: "TASK_ADDED", task_added: { task: this.options.views.task(task) } }), this.taskVisible(task));
  }

  taskUpdated(task: TaskEntry, status: TaskStatus): void {
    const event = () => ({ type: "TASK_UPDATED", task_updated: { framework_id: { value: task.framework_id }, status, state: task.state } });
    this.publish(event, this.taskVisible(task));
  }

  agentAdded(agent: Agent): void {
    this.publish(() => ({ type: "AGENT_ADDED", agent_added: { agent: this.options.views.agent(agent) } }), (viewer) => viewer.agents);
  }

  agentRemoved(agent_id: string): void {
    this.publish(() => ({ type: "AGENT_REMOVED", agent_removed: { agent_id: { value: agent_id } } }), (viewer) => viewer.agents);
  }

  frameworkAdded(framework: Framework): void {
    this.publish(() => ({ type: "FRAMEWORK_ADDED", framework_added: { framework: this.options.views.framework(framework) } }), frameworkVisible(framework));
  }

  frameworkUpdated(framework: Framework): void {
    this.publish(() => ({ type: "FRAMEWORK_UPDATED", framework_updated: { framework: this.options.views.framework(framework) } }), frameworkVisible(framework));
  }

  frameworkRemoved(framework: Framework): void {
    this.publish(() => ({ type: "FRAMEWORK_REMOVED", framework_removed: { framework_info: framework.info } }), frameworkVisible(framework));
  }

  /** view_tasks by the task's user and view_framework by its framework's, both needed (Mesos's TASK_ADDED and TASK_UPDATED). */
  private taskVisible(task: TaskEntry): (viewer: Viewer) => boolean {
    const framework_user = this.options.views.frameworkUser(task.framework_id);
    return (viewer) => viewer.framework(framework_user ?? "") && viewer.task(taskUser(task.info.command?.user, framework_user));
  }

  /** Builds the event once and encodes it once per format, only when someone who may see it listens; a stream that overflows ends itself. */
  private publish(build: () => SchedulerEvent, visible: (viewer: Viewer) => boolean): void {
    let event: SchedulerEvent | null = null;
    const records = new Map<Format, Uint8Array>();
    for (const { stream, viewer } of [...this.subscribers.values()]) {
      if (!visible(viewer)) continue;
      event ??= build();
      let record = records.get(stream.format);
      if (record === undefined) records.set(stream.format, record = encodeEvent(event, stream.format));
      stream.sendRecord(record);
    }
  }

  private drop(id: string): boolean {
    const subscriber = this.subscribers.get(id);
    if (subscriber === undefined) return false;
    this.subscribers.delete(id);
    this.clock.clearInterval(subscriber.heartbeat);
    return true;
  }
}

const OPERATOR_EVENT = "mesos.v1.master.Event";

/** One RecordIO record of an operator event: Mesos's JSON, or its protobuf Event. */
function encodeEvent(event: SchedulerEvent, format: Format): Uint8Array {
  return encodeRecord(format === "protobuf" ? encodeFromJson(OPERATOR_EVENT, event) : JSON.stringify(event));
}

const frameworkVisible = (framework: Framework) => (viewer: Viewer) => viewer.framework(framework.info.user ?? "");
