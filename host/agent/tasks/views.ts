// The agent's tasks as its /state and /metrics/snapshot show them, roughly in Mesos's shape:
// frameworks with one command executor per task (live and completed), resources summed by
// name, and the slave/tasks_* and status update metrics; and as REREGISTER_SLAVE reports them.
import { type Id, type JsonObject, type ReportedTask, type TaskInfo, type TaskState, TERMINAL_STATES } from "../task_protocol.ts";
import { commandArgv } from "./runner.ts";
import type { TaskCheckpoint } from "./types.ts";
import type { MetricValue } from "../../metrics.ts";
import { capabilities } from "./validation.ts";

type FrameworkInfo = JsonObject & { id: Id };

/** What REREGISTER_SLAVE carries: every task the agent holds, with its latest status, and the frameworks that have any. */
export function reportedJson(frameworks: Iterable<{ info: FrameworkInfo; tasks: Iterable<TaskCheckpoint> }>): { tasks: ReportedTask[]; frameworks: FrameworkInfo[] } {
  const tasks: ReportedTask[] = [];
  const infos: FrameworkInfo[] = [];
  for (const framework of frameworks) {
    const before = tasks.length;
    for (const task of framework.tasks) {
      const reported: ReportedTask = {
        task_id: task.task.task_id, framework_id: { value: framework.info.id.value }, name: task.task.name, agent_id: task.task.agent_id,
        state: task.state, resources: task.task.resources ?? [],
      };
      const status = task.statuses[task.statuses.length - 1];
      if (status !== undefined) reported.status = status;
      tasks.push(reported);
    }
    if (tasks.length > before) infos.push(framework.info);
  }
  return { tasks, frameworks: infos };
}

/**
 * Gauges of live tasks by state, the agent's task counters, and its status update counters
 * (Mesos's slave/ metrics: valid_status_updates are the updates taken, invalid ones those
 * refused; the rest of the status_update* names are ours).
 */
export function metricsJson(
  live: readonly { state: TaskState }[],
  counters: Record<string, number>,
  updates: { added: number; sent: number; retried: number; acknowledged: number; unexpected_acknowledgements: number; refused: number },
): MetricValue[] {
  const gauges: Record<string, number> = { staging: 0, starting: 0, running: 0, killing: 0 };
  for (const task of live) {
    const name = task.state.slice("TASK_".length).toLowerCase();
    if (name in gauges) gauges[name]!++;
  }
  const out: MetricValue[] = Object.entries(gauges).map(([name, value]) => ({ name: `slave/tasks_${name}`, value, kind: "gauge" }));
  const counter = (name: string, value: number): MetricValue => ({ name, value, kind: "counter" });
  for (const [name, value] of Object.entries(counters)) out.push(counter(`slave/${name}`, value));
  out.push(counter("slave/valid_status_updates", updates.added), counter("slave/invalid_status_updates", updates.refused),
    counter("slave/status_updates_sent", updates.sent), counter("slave/status_update_retries", updates.retried),
    counter("slave/status_updates_acknowledged", updates.acknowledged), counter("slave/unexpected_status_update_acknowledgements", updates.unexpected_acknowledgements));
  return out;
}

/** /state's frameworks and completed_frameworks from the live frameworks' tasks and the completed ones (oldest first). */
export function stateJson(
  live: { info: FrameworkInfo; tasks: TaskCheckpoint[] }[],
  completed: readonly { framework: FrameworkInfo; task: TaskCheckpoint }[],
): { frameworks: JsonObject[]; completed_frameworks: JsonObject[] } {
  const completedBy = new Map<string, { framework: FrameworkInfo; tasks: TaskCheckpoint[] }>();
  for (const c of completed) {
    const entry = completedBy.get(c.framework.id.value) ?? { framework: c.framework, tasks: [] };
    entry.tasks.push(c.task);
    completedBy.set(c.framework.id.value, entry);
  }
  const frameworks: JsonObject[] = [];
  for (const framework of live) {
    const id = framework.info.id.value;
    const executors = framework.tasks.map((t) => executorJson(t, TERMINAL_STATES.has(t.state) ? [] : [t], TERMINAL_STATES.has(t.state) ? [t] : []));
    frameworks.push({ ...frameworkJson(framework.info), executors, completed_executors: (completedBy.get(id)?.tasks ?? []).map((t) => executorJson(t, [], [t])) });
    completedBy.delete(id);
  }
  const completed_frameworks = [...completedBy.values()].map((c) => ({
    ...frameworkJson(c.framework), executors: [], completed_executors: c.tasks.map((t) => executorJson(t, [], [t])),
  }));
  return { frameworks, completed_frameworks };
}

function frameworkJson(info: FrameworkInfo): JsonObject {
  const roles = Array.isArray(info.roles) ? info.roles : [typeof info.role === "string" ? info.role : "*"];
  return {
    id: info.id.value, name: info.name ?? "", user: info.user ?? "", hostname: info.hostname ?? "", role: roles[0] ?? "*", roles,
    capabilities: capabilities(info), checkpoint: info.checkpoint ?? false, failover_timeout: info.failover_timeout ?? 0,
  };
}

function executorJson(t: TaskCheckpoint, tasks: TaskCheckpoint[], completed_tasks: TaskCheckpoint[]): JsonObject {
  return {
    id: t.task.task_id.value, name: `Command Executor (Task: ${t.task.task_id.value}) (Command: ${commandText(t.task)})`,
    source: t.task.task_id.value, container: t.run_id, directory: t.sandbox, type: "COMMAND", resources: summarize(t.task.resources ?? []),
    tasks: tasks.map(taskJson), queued_tasks: [], completed_tasks: completed_tasks.map(taskJson),
  };
}

function taskJson(t: TaskCheckpoint): JsonObject {
  return {
    id: t.task.task_id.value, name: t.task.name, framework_id: t.framework_id, executor_id: "", slave_id: t.task.agent_id.value,
    state: t.state, resources: summarize(t.task.resources ?? []), pid: t.pid,
    statuses: t.statuses.map((s) => ({ state: s.state, timestamp: s.timestamp, ...(s.message === undefined ? {} : { message: s.message }) })),
  };
}

function commandText(task: TaskInfo): string {
  const argv = commandArgv(task.command);
  return argv === null ? "" : argv.map((a) => (/^[\w./=-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`)).join(" ");
}

/** Scalar resources summed by name (cpus, mem, disk, gpus), ranges as Mesos prints them. */
export function summarize(resources: JsonObject[]): Record<string, number | string> {
  const out: Record<string, number | string> = { cpus: 0, mem: 0, disk: 0, gpus: 0 };
  for (const r of resources) {
    const name = typeof r.name === "string" ? r.name : "";
    const scalar = (r.scalar as { value?: unknown } | undefined)?.value;
    const ranges = (r.ranges as { range?: { begin: number; end: number }[] } | undefined)?.range;
    if (typeof scalar === "number") out[name] = (typeof out[name] === "number" ? (out[name] as number) : 0) + scalar;
    else if (Array.isArray(ranges)) out[name] = `[${ranges.map((x) => `${x.begin}-${x.end}`).join(", ")}]`;
  }
  return out;
}
