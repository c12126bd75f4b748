// The agent's resource monitor (Mesos's /monitor/statistics and /containers, the v1
// GET_CONTAINERS): each live task's usage, summed over the processes of its process group
// (the runner's wrapper leads one group per task) from one scan of /proc, as Mesos's posix
// isolators read the executor's process tree. CPU times include the reaped children of each
// process (cutime, cstime), so a command's finished children still count. Limits come from
// the task's resources (cpus, mem).
import { readdirSync } from "node:fs";
import { CLOCK_TICKS_PER_S, procStatFields } from "./tasks/runner.ts";
import type { AgentRun } from "./tasks/tasks.ts";
import { summarize } from "./tasks/views.ts";

/** Linux's page size on every architecture this binary is built for. */
const PAGE_BYTES = 4096;
/** Processes one scan reads at most (a bound on the work one request can cause). */
const PROCESSES_SCANNED_MAX = 100_000;

export interface GroupUsage {
  cpus_user_time_secs: number;
  cpus_system_time_secs: number;
  mem_rss_bytes: number;
  processes: number;
  threads: number;
}

/** Usage of each of `groups` (process group ids), from one pass over /proc. */
export function groupUsage(groups: ReadonlySet<number>): Map<number, GroupUsage> {
  const usage = new Map<number, GroupUsage>();
  if (groups.size === 0) return usage;
  let names: string[];
  try {
    names = readdirSync("/proc").filter((n) => /^\d+$/.test(n)).slice(0, PROCESSES_SCANNED_MAX);
  } catch {
    return usage;
  }
  for (const name of names) {
    const fields = procStatFields(name);
    if (fields === null) continue;
    const group = Number(fields[2]);
    if (!groups.has(group)) continue;
    const u = usage.get(group) ?? { cpus_user_time_secs: 0, cpus_system_time_secs: 0, mem_rss_bytes: 0, processes: 0, threads: 0 };
    u.cpus_user_time_secs += (Number(fields[11]) + Number(fields[13])) / CLOCK_TICKS_PER_S;
    u.cpus_system_time_secs += (Number(fields[12]) + Number(fields[14])) / CLOCK_TICKS_PER_S;
    u.threads += Number(fields[17]);
    u.mem_rss_bytes += Number(fields[21]) * PAGE_BYTES;
    u.processes++;
    usage.set(group, u);
  }
  return usage;
}

/** Mesos's ResourceStatistics of a live run (its limits from its resources). */
export function statisticsJson(run: AgentRun, usage: GroupUsage | undefined, now_s: number): Record<string, number> {
  const resources = summarize(run.task.task.resources ?? []);
  const limits: Record<string, number> = {};
  if (typeof resources.cpus === "number" && resources.cpus > 0) limits.cpus_limit = resources.cpus;
  if (typeof resources.mem === "number" && resources.mem > 0) limits.mem_limit_bytes = resources.mem * 1024 * 1024;
  const u = usage ?? { cpus_user_time_secs: 0, cpus_system_time_secs: 0, mem_rss_bytes: 0, processes: 0, threads: 0 };
  return { timestamp: now_s, ...limits, ...u, cpus_user_time_secs: round(u.cpus_user_time_secs), cpus_system_time_secs: round(u.cpus_system_time_secs) };
}

const round = (secs: number) => Math.round(secs * 100) / 100;

/** The live runs with a process, and their usage. */
export function liveUsage(runs: readonly AgentRun[]): { run: AgentRun; usage: GroupUsage | undefined }[] {
  const live = runs.filter((r) => r.live && r.task.pid !== null);
  const usage = groupUsage(new Set(live.map((r) => r.task.pid!)));
  return live.map((run) => ({ run, usage: usage.get(run.task.pid!) }));
}

export function executorName(run: AgentRun): string {
  return `Command Executor (Task: ${run.task.task.task_id.value})`;
}

/** /monitor/statistics: one entry per live executor. */
export function monitorStatisticsJson(runs: readonly AgentRun[], now_s = Date.now() / 1000): Record<string, unknown>[] {
  return liveUsage(runs).map(({ run, usage }) => ({
    executor_id: run.task.task.task_id.value, executor_name: executorName(run), framework_id: run.task.framework_id,
    source: run.task.task.task_id.value, statistics: statisticsJson(run, usage, now_s),
  }));
}

/** /containers: each live executor's container, its status and statistics. */
export function containersJson(runs: readonly AgentRun[], now_s = Date.now() / 1000): Record<string, unknown>[] {
  return liveUsage(runs).map(({ run, usage }) => ({
    container_id: run.task.run_id, executor_id: run.task.task.task_id.value, executor_name: executorName(run), framework_id: run.task.framework_id,
    source: run.task.task.task_id.value, statistics: statisticsJson(run, usage, now_s),
    status: { container_id: { value: run.task.run_id }, executor_pid: run.task.pid },
  }));
}
