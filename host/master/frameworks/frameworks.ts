// The frameworks service (master/master.cpp's subscribe, failover, exited, removeFramework): who
// is subscribed, over which event stream, since when; heartbeats; failover_timeout after a
// broken stream; TEARDOWN; completed frameworks (bounded by --max_completed_frameworks). The
// task side (TaskService: offers, tasks) is told of every change and sends its events with
// send(). Frameworks are not persisted (as in Mesos): after a master failover a framework
// re-subscribes with its id and is accepted as a recovered one.
import { logger } from "../../logging.ts";
import type { Metrics } from "../../metrics.ts";
import { FrameworkMetrics } from "./framework_metrics.ts";
import type { MasterInfo } from "../info.ts";
import { type AgentClock, REAL_CLOCK } from "../rate_limiter.ts";
import { errorEvent, heartbeatEvent, HttpEventStream, type StreamEnd, subscribedEvent } from "./event_stream.ts";
import {
  failoverTimeoutMs, type FrameworkInfo, hasCapability, rolesOf, updateInfo, validateFrameworkInfo, validateSuppressedRoles, validateUpdate,
} from "./framework_info.ts";
import type { EventStream, Framework, SchedulerEvent, TaskService } from "./types.ts";
import { NO_OPERATOR_EVENTS, type OperatorEventSink } from "../operator_events.ts";
import type { MasterAuthorization } from "../authorization.ts";

const log = logger("frameworks.ts");

/** Mesos's DEFAULT_HEARTBEAT_INTERVAL. */
export const HEARTBEAT_INTERVAL_MS = 15_000;

/** Counters of scheduler calls, by Mesos's names. */
export const FRAMEWORK_COUNTERS = [
  "master/messages_register_framework", "master/messages_reregister_framework", "master/messages_unregister_framework",
  "master/messages_launch_tasks", "master/messages_decline_offers", "master/messages_revive_offers", "master/messages_suppress_offers",
  "master/messages_kill_task", "master/messages_status_update_acknowledgement", "master/messages_reconcile_tasks",
  "master/messages_framework_to_executor",
] as const;
export type FrameworkCounter = (typeof FRAMEWORK_COUNTERS)[number];

export interface FrameworksOptions {
  master_info: MasterInfo;
  metrics: Metrics;
  max_completed_frameworks: number;
  clock?: AgentClock;
  /** HEARTBEAT period (tests shorten it); SUBSCRIBED reports it in seconds. */
  heartbeat_interval_ms?: number;
  /** Bounds of each event stream's queue. */
  stream_events_max?: number;
  stream_bytes_max?: number;
  /** The task side; until it is set, a stand-in that has no offers and no tasks answers. */
  tasks?: TaskService;
  /** register_frameworks (--acls); absent: every subscription is authorized. */
  authorization?: MasterAuthorization;
  /** Per-framework counts (framework_metrics.ts), shared with the task side. */
  framework_metrics?: FrameworkMetrics;
}

/** What the service keeps per framework besides the shared Framework record. */
interface Timers {
  heartbeat: unknown;
  failover: unknown;
}

export class Frameworks {
  /** Subscribed frameworks, connected or not, and recovered ones (by id). */
  readonly registered = new Map<string, Framework>();
  readonly framework_metrics: FrameworkMetrics;
  /** Which framework each connected stream serves, for its per-framework event counts. */
  private readonly stream_owner = new WeakMap<EventStream, string>();
  /** Removed frameworks, oldest first, at most max_completed_frameworks. */
  readonly completed = new Map<string, Framework>();
  private readonly recovered_ids = new Set<string>();
  private readonly timers = new Map<string, Timers>();
  private readonly clock: AgentClock;
  private readonly heartbeat_ms: number;
  private next_id = 0;
  private task_service: TaskService;
  private stopped = false;
  /** The operator event stream: FRAMEWORK_ADDED, FRAMEWORK_UPDATED and FRAMEWORK_REMOVED. */
  events: OperatorEventSink = NO_OPERATOR_EVENTS;

  constructor(private readonly options: FrameworksOptions) {
    this.clock = options.clock ?? REAL_CLOCK;
    this.heartbeat_ms = options.heartbeat_interval_ms ?? HEARTBEAT_INTERVAL_MS;
    this.task_service = options.tasks ?? NO_TASKS;
    this.framework_metrics = options.framework_metrics ?? new FrameworkMetrics();
    const m = options.metrics;
    for (const name of FRAMEWORK_COUNTERS) m.counter(name);
    const count = (pick: (f: Framework) => boolean) => () => [...this.registered.values()].filter(pick).length;
    m.gauge("master/frameworks_connected", count((f) => f.stream !== null));
    m.gauge("master/frameworks_disconnected", count((f) => f.stream === null));
    m.gauge("master/frameworks_active", count((f) => f.active));
    m.gauge("master/frameworks_inactive", count((f) => !f.active));
  }

  /** The task side (host/master/tasks.ts) plugs in here. */
  get tasks(): TaskService {
    return this.task_service;
  }

  set tasks(service: TaskService) {
    this.task_service = service;
  }

  get(id: string): Framework | undefined {
    return this.registered.get(id);
  }

  connected(framework: Framework): boolean {
    return framework.stream !== null && !framework.stream.closed;
  }

  /** Known from agents after a failover but not (re)subscribed yet (Mesos's RECOVERED state). */
  recovered(framework: Framework): boolean {
    return this.recovered_ids.has(framework.id);
  }

  count(counter: FrameworkCounter): void {
    this.options.metrics.increment(counter);
  }

  /** Sends an event to a framework's stream; false when it is not connected or the stream just closed. */
  send(framework_id: string, event: SchedulerEvent): boolean {
    const stream = this.registered.get(framework_id)?.stream;
    return stream != null && stream.send(event);
  }

  /** A new event stream (its events in `format`) whose end (client gone, overflow) disconnects its framework. */
  newStream(format: "json" | "protobuf" = "json"): HttpEventStream {
    return new HttpEventStream({
      format,
      events_max: this.options.stream_events_max,
      bytes_max: this.options.stream_bytes_max,
      onEnd: (stream, why) => this.streamEnded(stream, why),
      onEvent: (stream, type) => {
        const owner = this.stream_owner.get(stream);
        if (owner !== undefined) this.framework_metrics.event(owner, type);
      },
    });
  }

  /**
   * SUBSCRIBE on a stream (the HTTP checks passed): SUBSCRIBED, or ERROR and the stream closed
   * (as Mesos refuses a subscription after its 200). A new framework gets `<master id>-NNNN`;
   * a known one fails over (its old stream gets ERROR "Framework failed over" and closes); an
   * id this master does not know is recovered (a master failover).
   */
  subscribe(info: FrameworkInfo, suppressed_roles: readonly string[], stream: EventStream): Framework | null {
    const id = info.id?.value ?? "";
    this.count(id === "" ? "master/messages_register_framework" : "master/messages_reregister_framework");
    const refuse = (message: string) => {
      log.info(`Refusing subscription of framework '${info.name}': ${message}`);
      stream.send(errorEvent(message));
      stream.close();
      return null;
    };
    if (this.stopped) return refuse("Master is stopping");
    const invalid = validateFrameworkInfo(info) ?? validateSuppressedRoles(rolesOf(info), suppressed_roles);
    if (invalid !== null) return refuse(invalid);
    const unauthorized = this.options.authorization?.registration(info) ?? null;
    if (unauthorized !== null) return refuse(unauthorized);
    if (id !== "" && this.completed.has(id)) return refuse("Framework has been removed");
    const now = this.clock.now_ms();
    if (id === "") {
      const framework = this.create({ ...info, id: { value: this.newId() } }, stream, now);
      log.info(`Subscribed framework ${framework.id} (${info.name})`);
      this.connect(framework, stream, suppressed_roles);
      this.events.frameworkAdded(framework);
      return framework;
    }
    let framework = this.registered.get(id);
    const known = framework !== undefined;
    if (framework === undefined) framework = this.recover(info, false);
    const updated = updateInfo(framework.info, info);
    if ("error" in updated) return refuse(updated.error);
    this.setInfo(framework, updated.info);
    if (this.recovered_ids.delete(framework.id)) {
      framework.registered_time = now;
      framework.reregistered_time = now;
    } else {
      framework.reregistered_time = now;
      const old = framework.stream;
      if (old !== null && !old.closed) {
        framework.stream = null; // its end is not a disconnection of the framework
        old.send(errorEvent("Framework failed over"));
        old.close();
        this.tasks.frameworkFailedOver(framework);
      }
    }
    log.info(`Re-subscribed framework ${framework.id} (${info.name})`);
    this.connect(framework, stream, suppressed_roles);
    if (known) this.events.frameworkUpdated(framework);
    else this.events.frameworkAdded(framework);
    return framework;
  }

  /**
   * A framework the task side learned from a re-registering agent (Mesos's recoverFramework):
   * inactive and disconnected until it subscribes; no failover timeout runs for it. With
   * `announce` false the caller sends FRAMEWORK_ADDED (a subscription, once connected).
   */
  recover(info: FrameworkInfo, announce = true): Framework {
    const id = info.id?.value ?? "";
    const known = this.registered.get(id);
    if (known !== undefined) return known;
    const framework = this.create(info, null, this.clock.now_ms());
    framework.active = false;
    this.recovered_ids.add(id);
    log.info(`Recovered framework ${id} (${info.name})`);
    if (announce) this.events.frameworkAdded(framework);
    return framework;
  }

  /**
   * UPDATE_FRAMEWORK (Mesos's updateFramework): a subscribed framework's new FrameworkInfo and
   * suppressed roles. Null once applied; else the 400 text, and nothing changed. Offers in roles
   * it left are rescinded; FRAMEWORK_UPDATED goes to operators when the info changed.
   */
  update(framework: Framework, info: FrameworkInfo, suppressed_roles: readonly string[]): string | null {
    log.info(`Processing UPDATE_FRAMEWORK call for framework ${framework.id}`);
    const invalid = validateFrameworkInfo(info);
    if (invalid !== null) return `Supplied FrameworkInfo is not valid: ${invalid}`;
    const change = validateUpdate(framework.info, info);
    if (change !== null) return `FrameworkInfo update is not valid: ${change}`;
    const suppressed = validateSuppressedRoles(rolesOf(info), suppressed_roles);
    if (suppressed !== null) return `'UpdateFramework' call is not valid: ${suppressed}`;
    const changed = !Bun.deepEquals(framework.info, { ...info, id: { value: framework.id } });
    this.setInfo(framework, info);
    framework.suppressed = new Set(suppressed_roles);
    this.tasks.frameworkActivated(framework);
    if (changed) this.events.frameworkUpdated(framework);
    return null;
  }

  /** TEARDOWN (scheduler, /teardown, operator API): false when no registered framework has the id. */
  teardown(id: string): boolean {
    const framework = this.registered.get(id);
    if (framework === undefined) return false;
    log.info(`Processing TEARDOWN of framework ${id}`);
    this.remove(framework);
    return true;
  }

  /** Closes every stream and timer (the master stops); frameworks are not removed. */
  stop(): void {
    this.stopped = true;
    for (const framework of this.registered.values()) {
      this.clearTimers(framework.id);
      const stream = framework.stream;
      framework.stream = null;
      stream?.close();
    }
  }

  private create(info: FrameworkInfo, stream: EventStream | null, now: number): Framework {
    const id = info.id!.value;
    const framework: Framework = {
      id, info, stream, active: true, registered_time: now, partition_aware: false, roles: [], suppressed: new Set(),
    };
    this.setInfo(framework, info);
    this.registered.set(id, framework);
    return framework;
  }

  private setInfo(framework: Framework, info: FrameworkInfo): void {
    framework.info = { ...info, id: { value: framework.id } };
    framework.roles = rolesOf(info);
    framework.partition_aware = hasCapability(info, "PARTITION_AWARE");
  }

  private connect(framework: Framework, stream: EventStream, suppressed_roles: readonly string[]): void {
    const timers = this.timersOf(framework.id);
    if (timers.failover !== null) this.clock.clearTimeout(timers.failover);
    timers.failover = null;
    framework.stream = stream;
    this.stream_owner.set(stream, framework.id);
    framework.suppressed = new Set(suppressed_roles);
    framework.active = true;
    stream.send(subscribedEvent(framework.id, this.heartbeat_ms / 1000, this.options.master_info));
    if (timers.heartbeat !== null) this.clock.clearInterval(timers.heartbeat);
    timers.heartbeat = this.clock.setInterval(() => {
      if (framework.stream === stream) stream.send(heartbeatEvent());
    }, this.heartbeat_ms);
    this.tasks.frameworkActivated(framework);
  }

  /** Mesos's exited/_exited: the framework's current stream broke; it has failover_timeout to come back. */
  private streamEnded(stream: HttpEventStream, why: StreamEnd): void {
    const framework = [...this.registered.values()].find((f) => f.stream === stream);
    if (framework === undefined || this.stopped) return;
    log.info(`Framework ${framework.id} disconnected (${why})`);
    framework.stream = null;
    const timers = this.timersOf(framework.id);
    if (timers.heartbeat !== null) this.clock.clearInterval(timers.heartbeat);
    timers.heartbeat = null;
    if (framework.active) {
      framework.active = false;
      this.tasks.frameworkDeactivated(framework);
    }
    const timeout_ms = failoverTimeoutMs(framework.info);
    log.info(`Giving framework ${framework.id} ${timeout_ms / 1000}secs to failover`);
    timers.failover = this.clock.setTimeout(() => {
      timers.failover = null;
      if (this.registered.get(framework.id) === framework && framework.stream === null) {
        log.info(`Framework failover timeout, removing framework ${framework.id}`);
        this.remove(framework);
      }
    }, timeout_ms);
  }

  /** Mesos's removeFramework: the task side kills its tasks; it becomes a completed framework. */
  private remove(framework: Framework): void {
    this.clearTimers(framework.id);
    this.timers.delete(framework.id);
    this.recovered_ids.delete(framework.id);
    this.registered.delete(framework.id);
    this.framework_metrics.remove(framework.id);
    const stream = framework.stream;
    framework.stream = null;
    framework.active = false;
    framework.unregistered_time = this.clock.now_ms();
    stream?.close();
    this.tasks.removeFramework(framework);
    this.completed.delete(framework.id);
    this.completed.set(framework.id, framework);
    for (const oldest of this.completed.keys()) {
      if (this.completed.size <= this.options.max_completed_frameworks) break;
      this.completed.delete(oldest);
    }
    this.events.frameworkRemoved(framework);
  }

  private timersOf(id: string): Timers {
    let timers = this.timers.get(id);
    if (timers === undefined) {
      timers = { heartbeat: null, failover: null };
      this.timers.set(id, timers);
    }
    return timers;
  }

  private clearTimers(id: string): void {
    const timers = this.timers.get(id);
    if (timers === undefined) return;
    if (timers.heartbeat !== null) this.clock.clearInterval(timers.heartbeat);
    if (timers.failover !== null) this.clock.clearTimeout(timers.failover);
    timers.heartbeat = timers.failover = null;
  }

  /** Mesos's newFrameworkId: `<master id>-NNNN`, counting from 0000 in this master process. */
  private newId(): string {
    return `${this.options.master_info.id}-${String(this.next_id++).padStart(4, "0")}`;
  }
}

/**
 * The task side's stand-in until host/master/tasks.ts is wired (master.frameworks.tasks = ...):
 * a master with no offers and no tasks.
 */
export const NO_TASKS: TaskService = {
  accept: (_f, offer_ids) => (offer_ids.length === 0 ? null : `Offer ${offer_ids[0]} is no longer valid`),
  decline: () => null,
  revive: () => undefined,
  suppress: () => undefined,
  kill: () => null,
  shutdownExecutor: () => null,
  acknowledge: (_f, _agent, task_id) => `Task ${task_id} is not known to this master`,
  reconcile: () => undefined,
  removeFramework: () => undefined,
  frameworkActivated: () => undefined,
  frameworkDeactivated: () => undefined,
  frameworkFailedOver: () => undefined,
};
