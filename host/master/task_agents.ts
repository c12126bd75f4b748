// What happens to tasks when agents change (mesos-spec §5.2, §5.5, §5.7) and the status
// updates agents send: the AgentTaskHooks half of the Tasks service (tasks.ts).
import {
  type Id, type JsonObject, RECONCILE_STATUSES_MAX, type ReportedTask, type TaskAgentMessage, type TaskState, type TaskStatus, TERMINAL_STATES,
} from "../agent/task_protocol.ts";
import { logger } from "../logging.ts";
import type { Agent, Reregistration } from "./agent_types.ts";
import { isUuid, parseReported, parseStatusUpdate } from "./task_messages.ts";
import { type FrameworkRecord, metricName, type Tasks } from "./tasks.ts";

const log = logger("task_agents.ts");

/** A (re-)registered agent: the tasks it reports are (re-)added. */
export function added(tasks: Tasks, agent: Agent, re: Reregistration | null): void {
  if (re === null) return;
  for (const info of re.frameworks) {
    const id = (info.id as Id | undefined)?.value;
    if (typeof id !== "string" || tasks.completed_frameworks.has(id) || tasks.frameworks.get(id)?.framework != null) continue;
    const rec = tasks.record(id, info);
    rec.info = info;
    rec.framework = tasks.options.recoverFramework?.(info as JsonObject & { id: Id; name: string }) ?? null;
  }
  const shut = new Set<string>();
  const reported_ids = new Set<string>();
  const alive_ids = new Set<string>();
  for (const reported of parseReported(re.tasks)) {
    const fid = reported.framework_id.value;
    const key = JSON.stringify([fid, reported.task_id.value]);
    reported_ids.add(key);
    if (!TERMINAL_STATES.has(reported.state)) alive_ids.add(key);
    if (tasks.completed_frameworks.has(fid)) {
      if (!shut.has(fid)) tasks.sendAgent(agent, { type: "SHUTDOWN_FRAMEWORK", framework_id: { value: fid } });
      shut.add(fid);
      continue;
    }
    readd(tasks, agent, tasks.record(fid), reported, re.previously);
  }
  if (re.previously !== "registered") return;
  reconcileUnreported(tasks, agent, reported_ids);
  resendKills(tasks, agent, alive_ids);
}

/** Kills that could not reach the disconnected agent go again for the tasks it still runs (Mesos's reconcileKnownSlave). */
function resendKills(tasks: Tasks, agent: Agent, alive_ids: Set<string>): void {
  for (const [key, kill] of tasks.pending_kills.get(agent.id) ?? []) {
    if (!alive_ids.has(key)) continue;
    log.info(`Re-sending the kill of task ${kill.task_id} of framework ${kill.framework_id} to re-registered agent ${agent.id}`);
    const { framework_id, task_id, kill_policy } = kill;
    tasks.sendAgent(agent, { type: "KILL_TASK", framework_id: { value: framework_id }, task_id: { value: task_id }, ...(kill_policy ? { kill_policy } : {}) });
  }
}

/**
 * Mesos's reconcileKnownSlave: tasks the master holds on a registered agent that re-registered
 * without them (a launch lost with its broken socket, a wiped agent) are sent back in
 * RECONCILE_TASKS with their latest state; the agent answers TASK_DROPPED or TASK_LOST, through
 * its status updates, for each it does not know.
 */
function reconcileUnreported(tasks: Tasks, agent: Agent, reported_ids: Set<string>): void {
  const missing = new Map<string, { task_id: Id; state: TaskState }[]>();
  for (const task of tasks.agent_tasks.get(agent.id) ?? []) {
    if (reported_ids.has(JSON.stringify([task.framework_id, task.info.task_id.value]))) continue;
    log.warning(`Task ${task.info.task_id.value} of framework ${task.framework_id} unknown to the agent ${agent.id} during re-registration: reconciling with the agent`);
    const list = missing.get(task.framework_id) ?? [];
    list.push({ task_id: task.info.task_id, state: task.unacknowledged?.state ?? task.state });
    missing.set(task.framework_id, list);
  }
  for (const [framework_id, statuses] of missing) {
    const rec = tasks.record(framework_id);
    const framework = { ...(rec.framework?.info ?? rec.info), id: { value: framework_id } };
    for (let i = 0; i < statuses.length; i += RECONCILE_STATUSES_MAX) {
      tasks.sendAgent(agent, { type: "RECONCILE_TASKS", framework, statuses: statuses.slice(i, i + RECONCILE_STATUSES_MAX) });
    }
  }
}

function readd(tasks: Tasks, agent: Agent, rec: FrameworkRecord, reported: ReportedTask, previously: Reregistration["previously"]): void {
  const tid = reported.task_id.value;
  const known = rec.tasks.get(tid);
  if (known !== undefined && known.agent_id === agent.id) return;
  if (known !== undefined) tasks.removeTask(known);
  const stale = rec.unreachable.get(tid);
  if (stale !== undefined) {
    rec.unreachable.delete(tid);
    tasks.track(stale.state, -1);
  }
  rec.completed = rec.completed.filter((t) => t.info.task_id.value !== tid);
  const status = reported.status;
  const { task_id, framework_id: _f, state, status: _s, ...fields } = reported;
  tasks.addTask(rec, {
    framework_id: rec.id, agent_id: agent.id, info: { ...fields, task_id, agent_id: { value: agent.id }, command: {} },
    state, statuses: status ? [status] : [], unacknowledged: null,
  });
  if (previously === "recovered" || previously === "registered") return;
  const message = previously === "unreachable" ? "Unreachable agent re-reregistered" : "Unknown agent reregistered";
  tasks.forward(rec, tasks.masterStatus(task_id, state, message, "REASON_SLAVE_REREGISTERED", agent.id));
}

export function deactivated(tasks: Tasks, agent_id: string): void {
  for (const offer of tasks.offers.ofAgent(agent_id)) tasks.rescind(offer);
}

/** Mesos's __removeSlave / _removeSlave: the agent's tasks become UNREACHABLE, GONE_BY_OPERATOR or LOST; offers rescinded. */
export function removed(tasks: Tasks, agent_id: string, how: "unreachable" | "gone" | "removed" | "pruned", time_ns: number, lost: boolean): void {
  for (const offer of tasks.offers.ofAgent(agent_id)) tasks.rescind(offer);
  tasks.pending_kills.delete(agent_id);
  if (how === "pruned" || how === "gone") forgetUnreachable(tasks, agent_id, how === "gone");
  const message = how === "unreachable" ? "Agent was marked unreachable" : how === "gone" ? "Agent has been marked gone" : "Agent was removed";
  for (const task of [...(tasks.agent_tasks.get(agent_id) ?? [])]) {
    const rec = tasks.record(task.framework_id);
    const aware = tasks.partitionAware(rec);
    let state: TaskState = "TASK_LOST";
    let reason = "REASON_SLAVE_REMOVED";
    if (aware && how === "unreachable") state = "TASK_UNREACHABLE";
    if (aware && how === "gone") [state, reason] = ["TASK_GONE_BY_OPERATOR", "REASON_SLAVE_REMOVED_BY_OPERATOR"];
    const extra = how === "unreachable" ? { unreachable_time: { nanoseconds: time_ns } } : {};
    const status = tasks.masterStatus(task.info.task_id, state, message, reason, agent_id, extra);
    tasks.updateTask(task, status);
    tasks.removeTask(task, state === "TASK_UNREACHABLE");
    if (!tasks.forward(rec, status)) log.warning(`Dropping update ${state} for task ${task.info.task_id.value} of disconnected framework ${rec.id}`);
  }
  tasks.agent_tasks.delete(agent_id);
  tasks.agent_used.delete(agent_id);
  tasks.agent_offered.delete(agent_id);
  // Mesos's sendSlaveLost: every connected framework hears FAILURE for the agent.
  if (!lost) return;
  for (const rec of tasks.frameworks.values()) tasks.send(rec, { type: "FAILURE", failure: { agent_id: { value: agent_id } } });
}

/** Unreachable tasks of an agent the registry forgot (later reconciliation: TASK_UNKNOWN) or marked gone. */
function forgetUnreachable(tasks: Tasks, agent_id: string, gone: boolean): void {
  for (const rec of tasks.frameworks.values()) {
    for (const [tid, task] of rec.unreachable) {
      if (task.agent_id !== agent_id) continue;
      rec.unreachable.delete(tid);
      tasks.track(task.state, -1);
      if (!gone) continue;
      task.state = "TASK_GONE_BY_OPERATOR";
      tasks.count(metricName(task.state));
      tasks.complete(rec, task);
    }
  }
}

/** Mesos's statusUpdate: forwarded to a connected framework (not acknowledged otherwise: the agent retries), the task updated. */
export function message(tasks: Tasks, agent: Agent | undefined, m: TaskAgentMessage): void {
  tasks.count("master/messages_status_update");
  const update = parseStatusUpdate(m);
  if (agent === undefined || update === null || !isUuid(update.uuid)) {
    log.warning(`Ignoring status update from ${agent === undefined ? "an unknown agent" : `agent ${agent.id}`}${update === null ? ": malformed" : ""}`);
    return tasks.count("master/invalid_status_updates");
  }
  const rec = tasks.frameworks.get(update.framework_id.value);
  const status: TaskStatus = { ...update.status, agent_id: { value: agent.id }, uuid: update.uuid, timestamp: update.status.timestamp ?? update.timestamp };
  const tid = status.task_id.value;
  const task = rec?.tasks.get(tid);
  if (task !== undefined && task.agent_id !== agent.id) {
    // Only the agent running a task speaks for it: another agent's update is a forgery (issue #13), never forwarded.
    log.warning(`Dropping status update ${status.state} for task ${tid} of framework ${update.framework_id.value} from agent ${agent.id}: the task runs on agent ${task.agent_id}`);
    return tasks.count("master/invalid_status_updates");
  }
  const valid = tasks.connected(rec);
  if (valid) {
    if (task !== undefined) task.unacknowledged = status;
    tasks.forward(rec, status);
  } else {
    log.warning(`Received status update ${status.state} for task ${tid} from agent ${agent.id} for ${rec === undefined ? "an unknown" : "a disconnected"} framework ${update.framework_id.value}`);
  }
  if (task === undefined) {
    log.warning(`Could not lookup task ${tid} for status update from agent ${agent.id}`);
    return tasks.count("master/invalid_status_updates");
  }
  tasks.updateTask(task, status, update.latest_state);
  tasks.count(valid ? "master/valid_status_updates" : "master/invalid_status_updates");
}
