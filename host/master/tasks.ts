// The task side of the master (mesos-spec §5.2, §5.5, §5.7, §6.5): frameworks as the task
// side knows them, their tasks (active, unreachable, completed), outstanding offers, the
// allocation timer, status updates from agents, and what happens to tasks when agents come
// back, become unreachable, are marked gone or removed. Scheduler calls (accept, kill,
// acknowledge, reconcile, ...) are in task_calls.ts, launches in task_launch.ts; the agent
// hooks and status updates in task_agents.ts; the JSON views in task_views.ts.
import { type Id, type JsonObject, type TaskAgentMessage, TASK_STATES, type TaskState, type TaskStatus, TERMINAL_STATES } from "../agent/task_protocol.ts";
import type { MasterMessage } from "../agent/protocol.ts";
import type { Metrics } from "../metrics.ts";
import { AllocatorMetrics } from "./allocator_metrics.ts";
import type { FrameworkMetrics } from "./frameworks/framework_metrics.ts";
import type { RegistrarService } from "../registry/service.ts";
import { Allocator, type AllocatorView } from "./allocator.ts";
import type { Agent, AgentTaskHooks, Reregistration } from "./agent_types.ts";
import type { Agents } from "./agents.ts";
import type { MasterFlags } from "./flags.ts";
import type { Framework, FrameworkView, Offer, Task, TaskService } from "./frameworks/types.ts";
import { type HeldOffer, OfferBook, offerJson, OFFERS_PER_FRAMEWORK_PER_ROUND, OUTSTANDING_OFFERS_MAX } from "./offers.ts";
import { NO_OPERATOR_EVENTS, type OperatorEventSink } from "./operator_events.ts";
import { type AgentClock, REAL_CLOCK } from "./rate_limiter.ts";
import { machineKey } from "./maintenance.ts";
import type { MachineInfo } from "../registry/types.ts";
import { addQuantities, allocationRole, Resources } from "./resources.ts";
import * as hooks from "./task_agents.ts";
import * as calls from "./task_calls.ts";
import { frameworkView } from "./task_views.ts";

export type TaskFlags = Pick<MasterFlags, "allocation_interval" | "max_completed_tasks_per_framework" | "max_completed_frameworks" | "weights">;
/** Statuses kept per task (the first and the latest ones). */
export const STATUSES_PER_TASK_MAX = 32;
/** Unreachable tasks kept per framework (Mesos's fixed-size cache). */
export const UNREACHABLE_TASKS_PER_FRAMEWORK_MAX = 10_000;

/** A task with what the master keeps beside the v1 shape. */
export interface TaskEntry extends Task {
  /** The executor of a task group (LAUNCH_GROUP's); a command task's executor is the task itself. */
  executor_id?: string;
  role: string;
  res: Resources;
  /** Whether its resources count as used (not terminal, not unreachable). */
  holds: boolean;
  staged_ms: number;
}

/** A framework as the task side knows it: subscribed (framework set) or only known from agents' reports. */
export interface FrameworkRecord {
  id: string;
  framework: Framework | null;
  info: JsonObject;
  tasks: Map<string, TaskEntry>;
  unreachable: Map<string, TaskEntry>;
  completed: TaskEntry[];
  used: Record<string, number>;
  offered: Record<string, number>;
  /** What it consumes (used by its tasks plus offered) in each of its roles: its share there. */
  by_role: Map<string, Record<string, number>>;
  removed_ms?: number;
}

export interface TasksOptions {
  master_id: string;
  flags: TaskFlags;
  metrics: Metrics;
  agents: Agents;
  registrar: RegistrarService;
  clock?: AgentClock;
  /** run_tasks on ACCEPT (task_launch.ts); without it every launch is authorized. */
  authorization?: import("./authorization.ts").MasterAuthorization;
  /** Mesos's recoverFramework: a framework a re-registering agent reports that this master does not know (frameworks.ts). */
  recoverFramework?: (info: JsonObject & { id: Id; name: string }) => Framework | null;
  /** Per-framework counts: terminal tasks and offers (frameworks/framework_metrics.ts). */
  framework_metrics?: FrameworkMetrics;
}

const GAUGED: TaskState[] = ["TASK_STAGING", "TASK_STARTING", "TASK_RUNNING", "TASK_KILLING", "TASK_UNREACHABLE"];
const COUNTED = TASK_STATES.filter((s) => TERMINAL_STATES.has(s));
export const metricName = (state: TaskState) => `master/tasks_${state.slice(5).toLowerCase()}`;

export class Tasks implements TaskService, AgentTaskHooks {
  readonly frameworks = new Map<string, FrameworkRecord>();
  readonly completed_frameworks = new Map<string, FrameworkRecord>();
  readonly offers: OfferBook;
  readonly allocator = new Allocator();
  readonly agent_tasks = new Map<string, Set<TaskEntry>>();
  readonly agent_used = new Map<string, Resources>();
  readonly agent_offered = new Map<string, Resources>();
  readonly role_used = new Map<string, Record<string, number>>();
  readonly role_offered = new Map<string, Record<string, number>>();
  /**
   * Kills the master could not deliver because the agent was disconnected (Mesos's
   * Slave::killedTasks), by agent then `[framework, task]`; re-sent when the agent re-registers
   * still holding the task, dropped when the task or the agent goes.
   */
  readonly pending_kills = new Map<string, Map<string, { framework_id: string; task_id: string; kill_policy?: Task["info"]["kill_policy"] }>>();
  readonly clock: AgentClock;
  /** The operator event stream: TASK_ADDED and TASK_UPDATED. */
  events: OperatorEventSink = NO_OPERATOR_EVENTS;
  private readonly state_counts = new Map<TaskState, number>();
  private timer: unknown = null;
  private readonly allocator_metrics: AllocatorMetrics;
  private rotation = 0;
  private machines_of: unknown = null;
  private machines_by_key = new Map<string, MachineInfo>();

  constructor(readonly options: TasksOptions) {
    this.clock = options.clock ?? REAL_CLOCK;
    this.offers = new OfferBook(options.master_id);
    const m = options.metrics;
    for (const state of GAUGED) m.gauge(metricName(state), () => this.state_counts.get(state) ?? 0);
    for (const state of COUNTED) m.counter(metricName(state));
    for (const name of ["master/valid_status_updates", "master/invalid_status_updates", "master/messages_status_update",
      "master/valid_status_update_acknowledgements", "master/invalid_status_update_acknowledgements"]) m.counter(name);
    m.gauge("master/outstanding_offers", () => this.offers.size);
    this.allocator_metrics = new AllocatorMetrics(m, { resourceTotals: () => this.agents.resourceTotals(), usedTotals: () => this.usedTotals(), role_offered: this.role_offered });
  }

  get agents(): Agents {
    return this.options.agents;
  }

  /** Arms the allocation timer (the leader recovered its registry). */
  start(): void {
    if (this.timer !== null) return;
    const interval_ms = this.options.flags.allocation_interval;
    this.allocator_metrics.schedule(this.clock.now_ms(), interval_ms);
    this.timer = this.clock.setInterval(() => this.allocator_metrics.run(() => this.allocate(), this.clock.now_ms(), interval_ms), interval_ms);
  }

  stop(): void {
    if (this.timer !== null) this.clock.clearInterval(this.timer);
    this.timer = null;
  }

  now_s(): number {
    return this.clock.now_ms() / 1000;
  }

  count(name: string, by = 1): void {
    this.options.metrics.increment(name, by);
  }

  // ---- frameworks ----

  record(id: string, info: JsonObject = { name: "" }): FrameworkRecord {
    let rec = this.frameworks.get(id);
    if (rec === undefined) {
      rec = { id, framework: null, info, tasks: new Map(), unreachable: new Map(), completed: [], used: {}, offered: {}, by_role: new Map() };
      this.frameworks.set(id, rec);
    }
    return rec;
  }

  partitionAware(rec: FrameworkRecord | undefined): boolean {
    if (rec?.framework) return rec.framework.partition_aware;
    const caps = (rec?.info.capabilities ?? []) as { type?: string }[];
    return Array.isArray(caps) && caps.some((c) => c?.type === "PARTITION_AWARE");
  }

  rolesOf(rec: FrameworkRecord | undefined): string[] {
    if (rec?.framework) return rec.framework.roles;
    const info = rec?.info as { roles?: string[]; role?: string } | undefined;
    return info?.roles?.length ? info.roles : [info?.role ?? "*"];
  }

  /** Sends an event to a connected framework; false when it is not connected. */
  send(rec: FrameworkRecord | undefined, event: { type: string } & JsonObject): boolean {
    const stream = rec?.framework?.stream;
    if (!stream || stream.closed) return false;
    return stream.send(event);
  }

  connected(rec: FrameworkRecord | undefined): boolean {
    const stream = rec?.framework?.stream;
    return stream !== null && stream !== undefined && !stream.closed;
  }

  /** (Re-)subscribed or updated: the framework's info; offers in roles it no longer has are rescinded. */
  frameworkActivated(framework: Framework): void {
    const rec = this.record(framework.id, framework.info);
    rec.framework = framework;
    rec.info = framework.info;
    for (const offer of this.offers.ofFramework(framework.id)) if (!framework.roles.includes(offer.role)) this.rescind(offer);
  }

  frameworkDeactivated(framework: Framework): void {
    for (const offer of this.offers.ofFramework(framework.id)) this.rescind(offer);
  }

  /** Mesos's failoverFramework: the offers the old stream got are removed, their resources offered again. */
  frameworkFailedOver(framework: Framework): void {
    for (const offer of this.offers.ofFramework(framework.id)) this.dropOffer(offer);
  }

  shutdownExecutor(framework: Framework, executor_id: string, agent_id: string): string | null {
    return calls.shutdownExecutor(this, framework, executor_id, agent_id);
  }

  removeFramework(framework: Framework): void {
    calls.removeFramework(this, framework);
  }

  frameworkView(framework: Framework): FrameworkView {
    return frameworkView(this, framework);
  }

  // ---- scheduler calls (task_calls.ts) ----

  accept(framework: Framework, offer_ids: string[], operations: JsonObject[], filters?: JsonObject): string | null {
    this.options.framework_metrics?.offers(framework.id, "accepted", offer_ids.length);
    return calls.accept(this, framework, offer_ids, operations, filters);
  }
  decline(framework: Framework, offer_ids: string[], filters?: JsonObject): string | null {
    this.options.framework_metrics?.offers(framework.id, "declined", offer_ids.length);
    return calls.decline(this, framework, offer_ids, filters);
  }
  revive(framework: Framework, roles: string[]): void {
    calls.revive(this, framework, roles);
  }
  suppress(framework: Framework, roles: string[]): void {
    calls.suppress(framework, roles);
  }
  kill(framework: Framework, task_id: string, agent_id?: string, kill_policy?: Task["info"]["kill_policy"]): string | null {
    return calls.kill(this, framework, task_id, agent_id, kill_policy);
  }
  acknowledge(framework: Framework, agent_id: string, task_id: string, uuid: string): string | null {
    return calls.acknowledge(this, framework, agent_id, task_id, uuid);
  }
  reconcile(framework: Framework, tasks: { task_id: Id; agent_id?: Id }[]): void {
    calls.reconcile(this, framework, tasks);
  }

  // ---- offers and allocation ----

  /** Removes an offer and releases its resources; RESCIND to its framework when `tell`. */
  dropOffer(offer: HeldOffer): void {
    if (this.offers.remove(offer.id) === undefined) return;
    this.agent_offered.get(offer.agent_id)?.subtract(offer.res);
    const q = offer.res.scalars();
    const rec = this.frameworks.get(offer.framework_id);
    if (rec !== undefined) {
      addQuantities(rec.offered, q, -1);
      this.addToRole(rec.by_role, offer.role, q, -1);
    }
    this.addToRole(this.role_offered, offer.role, q, -1);
  }

  rescind(offer: Offer): void {
    const held = this.offers.get(offer.id);
    if (held === undefined) return;
    this.dropOffer(held);
    if (this.send(this.frameworks.get(offer.framework_id), { type: "RESCIND", rescind: { offer_id: { value: offer.id } } })) {
      this.options.framework_metrics?.offers(offer.framework_id, "rescinded", 1);
    }
  }

  roleMap(map: Map<string, Record<string, number>>, role: string): Record<string, number> {
    let q = map.get(role);
    if (q === undefined) map.set(role, (q = {}));
    return q;
  }

  /** Adds to (or takes from) a role's quantities; a role left with nothing is dropped, so every round scans only roles in use. */
  private addToRole(map: Map<string, Record<string, number>>, role: string, q: Record<string, number>, sign = 1): void {
    const quantities = this.roleMap(map, role);
    addQuantities(quantities, q, sign);
    if (Object.keys(quantities).length === 0) map.delete(role);
  }

  /** The registry's weights, or --weights while the registry has none (as /weights shows them); 1 otherwise. */
  weight(role: string): number {
    const stored = this.options.registrar.current().weights ?? [];
    if (stored.length > 0) return stored.find((w) => w.info.role === role)?.info.weight ?? 1;
    return this.options.flags.weights?.[role] ?? 1;
  }

  /** One allocation round (also run by tests directly). */
  allocate(): void {
    if (!this.agents.ready()) return;
    const pending = new Map<string, { framework: Framework; offers: Offer[] }>();
    const agents = [...this.agents.registered.values()].filter((a) => a.active && a.connected && a.conn !== null && !this.agents.deactivated.has(a.id));
    // Start each round at another agent, so that no agent is always served first.
    const start = agents.length === 0 ? 0 : this.rotation++ % agents.length;
    const ordered = [...agents.slice(start), ...agents.slice(0, start)];
    const view: AllocatorView = {
      now_ms: () => this.clock.now_ms(),
      agents: () => ordered.map((a) => ({ id: a.id, available: this.available(a) })),
      frameworks: () => [...this.frameworks.values()].flatMap((r) => (r.framework?.active && this.connected(r) ? [r.framework] : [])),
      totals: () => this.agents.resourceTotals(),
      roleConsumed: (role) => this.subtreeConsumed(role),
      roleOwnConsumed: (role) => {
        const q = { ...(this.role_used.get(role) ?? {}) };
        addQuantities(q, this.role_offered.get(role) ?? {});
        return q;
      },
      frameworkConsumed: (id, role) => ({ ...(this.frameworks.get(id)?.by_role.get(role) ?? {}) }),
      weight: (role) => this.weight(role),
      quotas: () => this.options.registrar.current().quota_configs ?? [],
      offer: (framework, agent_id, role, resources) => {
        if (this.offers.size >= OUTSTANDING_OFFERS_MAX) return false;
        let batch = pending.get(framework.id);
        if (batch === undefined) pending.set(framework.id, (batch = { framework, offers: [] }));
        if (batch.offers.length >= OFFERS_PER_FRAMEWORK_PER_ROUND) return false;
        batch.offers.push(this.makeOffer(framework, agent_id, role, resources));
        return true;
      },
    };
    this.allocator.allocate(view);
    for (const { framework, offers } of pending.values()) {
      const rec = this.frameworks.get(framework.id);
      if (!this.send(rec, { type: "OFFERS", offers: { offers: offers.map(offerJson) } })) {
        for (const offer of offers) this.dropOffer(this.offers.get(offer.id)!);
      } else this.options.framework_metrics?.offers(framework.id, "sent", offers.length);
    }
  }

  /** The agent's total minus what its tasks use and its offers hold. */
  available(agent: Agent): Resources {
    const out = Resources.of(agent.info.resources as unknown[]);
    const used = this.agent_used.get(agent.id);
    const offered = this.agent_offered.get(agent.id);
    if (used) out.subtract(used);
    if (offered) out.subtract(offered);
    return out;
  }

  private makeOffer(framework: Framework, agent_id: string, role: string, resources: Resources): Offer {
    const agent = this.agents.registered.get(agent_id)!;
    const offer = this.offers.create(framework.id, agent_id, agent.info.hostname, role, resources, this.unavailabilityOf(agent));
    this.bookOf(this.agent_offered, agent_id).add(resources);
    const q = resources.scalars();
    const rec = this.record(framework.id);
    addQuantities(rec.offered, q);
    this.addToRole(rec.by_role, role, q);
    this.addToRole(this.role_offered, role, q);
    return offer;
  }

  /** The maintenance window of the agent's machine, as its offers carry it. */
  private unavailabilityOf(agent: Agent): JsonObject | undefined {
    return this.machines().get(machineKey({ hostname: agent.info.hostname, ip: agent.ip }))?.unavailability as JsonObject | undefined;
  }

  /** The maintenance schedule changed: offers whose machine's window is not the one they carry are rescinded (Mesos's updateUnavailability). */
  maintenanceChanged(): void {
    for (const offer of [...this.offers.offers.values()]) {
      const agent = this.agents.registered.get(offer.agent_id);
      const now = agent === undefined ? undefined : this.unavailabilityOf(agent);
      if (JSON.stringify(now) !== JSON.stringify(offer.unavailability)) this.rescind(offer);
    }
  }

  /** The registry's machines by machineKey, rebuilt when the registry changed (offers carry their maintenance). */
  private machines(): Map<string, MachineInfo> {
    const registry = this.options.registrar.current();
    if (this.machines_of !== registry) {
      this.machines_of = registry;
      this.machines_by_key = new Map((registry.machines?.machines ?? []).map((m) => [machineKey(m.id), m]));
    }
    return this.machines_by_key;
  }

  bookOf(map: Map<string, Resources>, agent_id: string): Resources {
    let r = map.get(agent_id);
    if (r === undefined) map.set(agent_id, (r = new Resources()));
    return r;
  }

  // ---- task book-keeping ----

  /** Adds a task (launched, or reported by a re-registering agent). */
  addTask(rec: FrameworkRecord, task: Omit<TaskEntry, "holds" | "staged_ms" | "res" | "role"> & { role?: string }): TaskEntry {
    const res = Resources.of(task.info.resources);
    const role = task.role ?? allocationRole(task.info.resources) ?? this.rolesOf(rec)[0] ?? "*";
    const entry: TaskEntry = { ...task, role, res, holds: false, staged_ms: this.clock.now_ms() };
    rec.tasks.set(task.info.task_id.value, entry);
    let set = this.agent_tasks.get(task.agent_id);
    if (set === undefined) this.agent_tasks.set(task.agent_id, (set = new Set()));
    set.add(entry);
    this.track(entry.state, 1);
    if (!TERMINAL_STATES.has(entry.state) && entry.state !== "TASK_UNREACHABLE") this.hold(rec, entry, true);
    this.events.taskAdded(entry);
    return entry;
  }

  private hold(rec: FrameworkRecord, task: TaskEntry, on: boolean): void {
    if (task.holds === on) return;
    task.holds = on;
    const sign = on ? 1 : -1;
    const book = this.bookOf(this.agent_used, task.agent_id);
    if (on) book.add(task.res);
    else book.subtract(task.res);
    const q = task.res.scalars();
    addQuantities(rec.used, q, sign);
    this.addToRole(rec.by_role, task.role, q, sign);
    this.addToRole(this.role_used, task.role, q, sign);
  }

  /** What a role and the roles under it (`role/...`) consume, used plus offered: hierarchical roles, as quota and DRF count them. */
  subtreeConsumed(role: string): Record<string, number> {
    const q: Record<string, number> = {};
    const prefix = `${role}/`;
    for (const map of [this.role_used, this.role_offered]) {
      for (const [name, quantities] of map) if (name === role || name.startsWith(prefix)) addQuantities(q, quantities);
    }
    return q;
  }

  track(state: TaskState, by: number): void {
    if (GAUGED.includes(state)) this.state_counts.set(state, (this.state_counts.get(state) ?? 0) + by);
  }

  /** Mesos's updateTask: the latest state (unless already terminal), the statuses, resources freed on terminal/unreachable. */
  updateTask(task: TaskEntry, status: TaskStatus, latest?: TaskState): void {
    const state = latest ?? status.state;
    const rec = this.record(task.framework_id);
    if (!TERMINAL_STATES.has(task.state) && task.state !== state) {
      this.track(task.state, -1);
      this.track(state, 1);
      if (TERMINAL_STATES.has(state)) {
        this.count(metricName(state));
        this.options.framework_metrics?.terminal(task.framework_id, state);
        // Mesos's incrementTasksStates: master/task_lost/source_master/reason_slave_removed, made when first seen.
        if (status.source !== undefined && typeof status.reason === "string") {
          this.options.metrics.count(`master/${state.toLowerCase()}/${status.source.toLowerCase()}/${status.reason.toLowerCase()}`);
        }
      }
      task.state = state;
    }
    const { data: _data, ...kept } = status;
    const last = task.statuses[task.statuses.length - 1];
    if (last !== undefined && last.state === status.state) task.statuses[task.statuses.length - 1] = kept;
    else task.statuses.push(kept);
    if (task.statuses.length > STATUSES_PER_TASK_MAX) task.statuses.splice(1, 1);
    if (TERMINAL_STATES.has(task.state) || task.state === "TASK_UNREACHABLE") this.hold(rec, task, false);
    if (last?.state !== status.state) this.events.taskUpdated(task, status);
  }

  /** Removes a task from the active ones: to the unreachable cache or to the completed ones (bounded). */
  removeTask(task: TaskEntry, unreachable = false): void {
    const rec = this.record(task.framework_id);
    this.pending_kills.get(task.agent_id)?.delete(JSON.stringify([task.framework_id, task.info.task_id.value]));
    this.hold(rec, task, false);
    if (rec.tasks.get(task.info.task_id.value) === task) rec.tasks.delete(task.info.task_id.value);
    this.agent_tasks.get(task.agent_id)?.delete(task);
    if (unreachable) {
      rec.unreachable.set(task.info.task_id.value, task);
      if (rec.unreachable.size > UNREACHABLE_TASKS_PER_FRAMEWORK_MAX) {
        const oldest = rec.unreachable.values().next().value!;
        rec.unreachable.delete(oldest.info.task_id.value);
        this.track(oldest.state, -1);
      }
      return;
    }
    this.track(task.state, -1);
    this.complete(rec, task);
  }

  complete(rec: FrameworkRecord, task: TaskEntry): void {
    rec.completed.push(task);
    const max = this.options.flags.max_completed_tasks_per_framework;
    if (rec.completed.length > max) rec.completed.splice(0, rec.completed.length - max);
  }

  /** A status from the master (no uuid: nothing to acknowledge). */
  masterStatus(task_id: Id, state: TaskState, message: string, reason: string, agent_id?: string, extra: Partial<TaskStatus> = {}): TaskStatus {
    return { task_id, state, source: "SOURCE_MASTER", reason, message, ...(agent_id ? { agent_id: { value: agent_id } } : {}), timestamp: this.now_s(), ...extra };
  }

  forward(rec: FrameworkRecord | undefined, status: TaskStatus): boolean {
    return this.send(rec, { type: "UPDATE", update: { status } });
  }

  sendAgent(agent: Agent | undefined, message: DistributiveOmit<MasterMessage, "master_id">): void {
    if (agent?.connected) this.agents.send(agent.conn, message);
  }

  // ---- agent hooks (AgentTaskHooks; task_agents.ts) ----

  added(agent: Agent, re: Reregistration | null): void {
    hooks.added(this, agent, re);
  }
  deactivated(agent_id: string): void {
    hooks.deactivated(this, agent_id);
  }
  removed(agent_id: string, how: "unreachable" | "gone" | "removed" | "pruned", time_ns: number, lost = how !== "pruned"): void {
    hooks.removed(this, agent_id, how, time_ns, lost);
  }
  message(agent: Agent | undefined, m: TaskAgentMessage): void {
    hooks.message(this, agent, m);
  }

  used(agent_id: string): unknown[] {
    return this.agent_used.get(agent_id)?.toJson() ?? [];
  }

  offered(agent_id: string): unknown[] {
    return this.agent_offered.get(agent_id)?.toJson() ?? [];
  }

  /** Scalars of non-terminal tasks over all agents (master/<resource>_used). */
  usedTotals(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.agent_used.values()) addQuantities(out, r.scalars(true));
    return out;
  }

  /** /state-summary's per-agent task counts and framework ids. */
  agentSummary(agent_id: string): { counts: Record<string, number>; framework_ids: string[] } {
    const counts: Record<string, number> = {};
    const ids = new Set<string>();
    for (const t of this.agent_tasks.get(agent_id) ?? []) {
      counts[t.state] = (counts[t.state] ?? 0) + 1;
      ids.add(t.framework_id);
    }
    return { counts, framework_ids: [...ids] };
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
