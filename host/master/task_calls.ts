// The scheduler calls the task side serves (master.cpp's accept, decline, kill, acknowledge,
// reconcile, removeFramework), with Mesos's texts. A malformed call answers a one-line refusal
// (the scheduler API's 400); everything Mesos answers with status updates (invalid offers:
// TASK_DROPPED/TASK_LOST; invalid tasks: TASK_ERROR) goes to the framework as UPDATE events.
import { logger } from "../logging.ts";
import type { Id, JsonObject, TaskInfo, TaskState } from "../agent/task_protocol.ts";
import type { Framework } from "./frameworks/types.ts";
import type { HeldOffer } from "./offers.ts";
import { Resources } from "./resources.ts";
import { Launcher, readOperations } from "./task_launch.ts";
import { isUuid } from "./task_messages.ts";
import type { TaskEntry, Tasks } from "./tasks.ts";

const log = logger("task_calls.ts");

const object = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is Id => object(v) && typeof v.value === "string" && v.value !== "";
const refuseSeconds = (filters?: JsonObject) => (typeof filters?.refuse_seconds === "number" ? filters.refuse_seconds : undefined);

/** Mesos's validation::offer::validate: null when the offers are usable together. */
function offersError(tasks: Tasks, framework: Framework, offer_ids: string[]): string | null {
  if (offer_ids.length === 0) return "No offers specified";
  const seen = new Set<string>();
  let agent: string | null = null;
  let role: string | null = null;
  for (const id of offer_ids) {
    if (seen.has(id)) return `Duplicate offer ${id} in offer list`;
    seen.add(id);
    const offer = tasks.offers.get(id);
    if (offer === undefined) return `Offer ${id} is no longer valid`;
    if (offer.framework_id !== framework.id) return `Offer ${id} has invalid framework ${offer.framework_id} while framework ${framework.id} is expected`;
    if (role !== null && offer.role !== role) return `Aggregated offers must be allocated to the same role. Offer ${id} uses role '${offer.role} but another is using role '${role}`;
    if (agent !== null && offer.agent_id !== agent) return `Aggregated offers must belong to one single agent. Offer ${id} uses agent ${offer.agent_id} and agent ${agent}`;
    if (!tasks.agents.registered.get(offer.agent_id)?.connected) return `Offer ${id} is no longer valid`;
    agent = offer.agent_id;
    role = offer.role;
  }
  return null;
}

/**
 * Mesos's accept: a malformed call is refused; invalid offers drop every task (TASK_DROPPED or
 * TASK_LOST); else the offers' resources go to the launches (task_launch.ts) and what they do
 * not use goes back to the allocator, refused to this framework for the filter's time.
 */
export function accept(tasks: Tasks, framework: Framework, offer_ids: string[], operations: JsonObject[], filters?: JsonObject): string | null {
  const ops = readOperations(operations);
  if (typeof ops === "string") return ops;
  const rec = tasks.record(framework.id, framework.info);
  const invalid = offersError(tasks, framework, offer_ids);
  if (invalid !== null) {
    for (const id of offer_ids) {
      const offer = tasks.offers.get(id);
      if (offer !== undefined && offer.framework_id === framework.id) tasks.dropOffer(offer);
    }
    log.warning(`ACCEPT call used invalid offers '${offer_ids.join(", ")}': ${invalid}`);
    const state: TaskState = framework.partition_aware ? "TASK_DROPPED" : "TASK_LOST";
    for (const op of ops) {
      for (const task of op.tasks) {
        tasks.count(`master/tasks_${state.slice(5).toLowerCase()}`);
        tasks.forward(rec, tasks.masterStatus(task.task_id, state, `Task launched with invalid offers: ${invalid}`, "REASON_INVALID_OFFERS", task.agent_id.value));
      }
    }
    return null;
  }
  const offers = offer_ids.map((id) => tasks.offers.get(id)!);
  const { agent_id, role } = offers[0]!;
  const remaining = new Resources();
  for (const offer of offers) {
    remaining.add(offer.res);
    tasks.dropOffer(offer);
  }
  const launcher = new Launcher(tasks, framework, rec, tasks.agents.registered.get(agent_id)!, role, remaining);
  for (const op of ops) launcher.run(op);
  tasks.allocator.addFilter(framework.id, agent_id, role, remaining, refuseSeconds(filters), tasks.clock.now_ms());
  return null;
}

export function decline(tasks: Tasks, framework: Framework, offer_ids: string[], filters?: JsonObject): string | null {
  for (const id of offer_ids) {
    const offer: HeldOffer | undefined = tasks.offers.get(id);
    if (offer === undefined || offer.framework_id !== framework.id) {
      log.warning(`Ignoring decline of offer ${id} since it is no longer valid`);
      continue;
    }
    tasks.dropOffer(offer);
    tasks.allocator.addFilter(framework.id, offer.agent_id, offer.role, offer.res, refuseSeconds(filters), tasks.clock.now_ms());
  }
  return null;
}

export function revive(tasks: Tasks, framework: Framework, roles: string[]): void {
  for (const role of roles.length > 0 ? roles : framework.roles) framework.suppressed.delete(role);
  tasks.allocator.clearFilters(framework.id, roles);
}

export function suppress(framework: Framework, roles: string[]): void {
  for (const role of roles.length > 0 ? roles : framework.roles) framework.suppressed.add(role);
}

export function kill(tasks: Tasks, framework: Framework, task_id: string, agent_id?: string, kill_policy?: TaskInfo["kill_policy"]): string | null {
  const task = tasks.frameworks.get(framework.id)?.tasks.get(task_id);
  if (task === undefined) {
    log.warning(`Cannot kill task ${task_id} of framework ${framework.id} because it is unknown; performing reconciliation`);
    reconcile(tasks, framework, [{ task_id: { value: task_id }, ...(agent_id ? { agent_id: { value: agent_id } } : {}) }]);
    return null;
  }
  if (agent_id !== undefined && agent_id !== task.agent_id) {
    log.warning(`Cannot kill task ${task_id} of agent ${agent_id} of framework ${framework.id} because it belongs to different agent ${task.agent_id}`);
    return null;
  }
  // Kept until the task goes, even when sent now: the socket may be half-open and the master not
  // know it yet (Mesos's killedTasks); a re-registering agent that still runs the task gets it again.
  let pending = tasks.pending_kills.get(task.agent_id);
  if (pending === undefined) tasks.pending_kills.set(task.agent_id, (pending = new Map()));
  pending.set(JSON.stringify([framework.id, task_id]), { framework_id: framework.id, task_id, ...(kill_policy ? { kill_policy } : {}) });
  const agent = tasks.agents.registered.get(task.agent_id);
  if (agent?.connected) {
    log.info(`Telling agent ${agent.id} to kill task ${task_id} of framework ${framework.id}`);
    tasks.sendAgent(agent, { type: "KILL_TASK", framework_id: { value: framework.id }, task_id: { value: task_id }, ...(kill_policy ? { kill_policy } : {}) });
  } else {
    log.warning(`Cannot kill task ${task_id} of framework ${framework.id} because the agent ${task.agent_id} is disconnected. Kill will be retried if the agent reregisters`);
  }
  return null;
}

/**
 * SHUTDOWN: an executor's tasks are killed. A command task's executor is the task itself (same
 * id); a task group's is the LAUNCH_GROUP's executor. An unknown executor is ignored, as an agent does.
 */
export function shutdownExecutor(tasks: Tasks, framework: Framework, executor_id: string, agent_id: string): string | null {
  const run = [...(tasks.frameworks.get(framework.id)?.tasks.values() ?? [])]
    .filter((t) => t.agent_id === agent_id && (t.executor_id ?? t.info.task_id.value) === executor_id);
  if (run.length === 0) log.warning(`Ignoring SHUTDOWN of executor ${executor_id} on agent ${agent_id} of framework ${framework.id}: it runs no task`);
  for (const task of run) kill(tasks, framework, task.info.task_id.value, agent_id);
  return null;
}

export function acknowledge(tasks: Tasks, framework: Framework, agent_id: string, task_id: string, uuid: string): string | null {
  if (!isUuid(uuid)) return `Failed to parse UUID from bytes of 'acknowledge.uuid' (expected base64 of 16 bytes)`;
  const agent = tasks.agents.registered.get(agent_id);
  if (agent === undefined || !agent.connected) {
    log.warning(`Cannot send status update acknowledgement for status ${uuid} of task ${task_id} of framework ${framework.id} to agent ${agent_id} because agent is ${agent === undefined ? "not registered" : "disconnected"}`);
    tasks.count("master/invalid_status_update_acknowledgements");
    return null;
  }
  const task = tasks.frameworks.get(framework.id)?.tasks.get(task_id);
  if (task !== undefined && task.agent_id === agent_id) {
    if (task.unacknowledged === null) {
      log.warning(`Ignoring status update acknowledgement for status ${uuid} of task ${task_id} of framework ${framework.id} to agent ${agent_id} because the update was not sent by this master`);
      tasks.count("master/invalid_status_update_acknowledgements");
      return null;
    }
    if (task.unacknowledged.uuid === uuid) {
      const acknowledged = task.unacknowledged;
      task.unacknowledged = null;
      if (isTerminal(acknowledged.state)) tasks.removeTask(task);
    }
  }
  tasks.sendAgent(agent, { type: "STATUS_UPDATE_ACKNOWLEDGEMENT", framework_id: { value: framework.id }, task_id: { value: task_id }, uuid });
  tasks.count("master/valid_status_update_acknowledgements");
  return null;
}

const isTerminal = (state: TaskState) => ["TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_ERROR", "TASK_LOST", "TASK_DROPPED", "TASK_GONE", "TASK_GONE_BY_OPERATOR"].includes(state);

/** Mesos's reconcile: implicit (no tasks) or explicit, with its six cases. */
export function reconcile(tasks: Tasks, framework: Framework, list: { task_id: Id; agent_id?: Id }[]): void {
  const rec = tasks.frameworks.get(framework.id);
  const latest = (t: TaskEntry) => tasks.masterStatus(t.info.task_id, t.unacknowledged?.state ?? t.state, "Reconciliation: Latest task state", "REASON_RECONCILIATION", t.agent_id);
  if (list.length === 0) {
    for (const task of rec?.tasks.values() ?? []) tasks.forward(rec, latest(task));
    return;
  }
  const aware = framework.partition_aware;
  const agents = tasks.agents;
  for (const { task_id, agent_id } of list) {
    const task = rec?.tasks.get(task_id.value);
    const aid = agent_id?.value;
    if (task !== undefined) {
      tasks.forward(rec, latest(task));
    } else if ((aid !== undefined && agents.recovered.has(aid)) || (aid === undefined && agents.recovered.size > 0)) {
      log.info(`Dropping reconciliation of task ${task_id.value} for framework ${framework.id} because ${aid !== undefined ? `agent ${aid} has` : "some agents have"} not yet reregistered with the master`);
    } else if (aid !== undefined && agents.registered.has(aid)) {
      tasks.forward(rec, tasks.masterStatus(task_id, aware ? "TASK_GONE" : "TASK_LOST", "Reconciliation: Task is unknown to the agent", "REASON_RECONCILIATION", aid));
    } else if (aid !== undefined && agents.unreachable.has(aid)) {
      const unreachable_time = { nanoseconds: agents.unreachable.get(aid)! };
      tasks.forward(rec, tasks.masterStatus(task_id, aware ? "TASK_UNREACHABLE" : "TASK_LOST", "Reconciliation: Task is unreachable", "REASON_RECONCILIATION", aid, { unreachable_time }));
    } else if (aid !== undefined && agents.gone.has(aid)) {
      tasks.forward(rec, tasks.masterStatus(task_id, aware ? "TASK_GONE_BY_OPERATOR" : "TASK_LOST", "Reconciliation: Task is gone", "REASON_RECONCILIATION", aid));
    } else {
      tasks.forward(rec, tasks.masterStatus(task_id, aware ? "TASK_UNKNOWN" : "TASK_LOST", "Reconciliation: Task is unknown", "REASON_RECONCILIATION", aid));
    }
  }
}

/**
 * Mesos's removeFramework: offers withdrawn, KILL_TASK for its live tasks and SHUTDOWN_FRAMEWORK
 * to every connected agent; its tasks become TASK_KILLED (REASON_FRAMEWORK_REMOVED) and
 * completed; the framework moves to the completed ones (--max_completed_frameworks).
 */
export function removeFramework(tasks: Tasks, framework: Framework): void {
  const rec = tasks.record(framework.id, framework.info);
  rec.framework = framework;
  for (const offer of tasks.offers.ofFramework(framework.id)) tasks.dropOffer(offer);
  tasks.allocator.removeFramework(framework.id);
  const message = `Framework ${framework.id} removed`;
  for (const task of [...rec.tasks.values()]) {
    if (!isTerminal(task.state)) {
      tasks.sendAgent(tasks.agents.registered.get(task.agent_id), { type: "KILL_TASK", framework_id: { value: framework.id }, task_id: task.info.task_id });
      tasks.updateTask(task, tasks.masterStatus(task.info.task_id, "TASK_KILLED", message, "REASON_FRAMEWORK_REMOVED", task.agent_id));
    }
    tasks.removeTask(task);
  }
  for (const task of [...rec.unreachable.values()]) {
    tasks.updateTask(task, tasks.masterStatus(task.info.task_id, "TASK_KILLED", message, "REASON_FRAMEWORK_REMOVED", task.agent_id));
    rec.unreachable.delete(task.info.task_id.value);
    tasks.complete(rec, task);
  }
  for (const agent of tasks.agents.registered.values()) tasks.sendAgent(agent, { type: "SHUTDOWN_FRAMEWORK", framework_id: { value: framework.id } });
  tasks.frameworks.delete(framework.id);
  rec.removed_ms = tasks.clock.now_ms();
  tasks.completed_frameworks.set(framework.id, rec);
  const max = tasks.options.flags.max_completed_frameworks;
  for (const id of tasks.completed_frameworks.keys()) {
    if (tasks.completed_frameworks.size <= max) break;
    tasks.completed_frameworks.delete(id);
  }
}
