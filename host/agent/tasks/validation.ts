// What the agent checks of what the master sends it before it acts: ids that are safe as
// directory names (Mesos's ID rules), tasks this build can run (command tasks on this agent),
// kill grace periods, and a FrameworkInfo's capabilities.
import type { JsonObject, TaskInfo } from "../task_protocol.ts";
import { commandArgv } from "./runner.ts";

/** The capability names of a FrameworkInfo (`[{type}]`, or bare names). */
export function capabilities(info: JsonObject): string[] {
  const list = Array.isArray(info.capabilities) ? info.capabilities : [];
  return list.map((c) => (typeof c === "object" && c !== null ? (c as { type?: unknown }).type : c)).filter((t): t is string => typeof t === "string");
}

/** Mesos's ID rules (printable, no '/', '\\' or whitespace, not '.' or '..'): the reason, or null when valid. */
export function invalidId(kind: string, id: string): string | null {
  if (id === "." || id === ".." || /[/\\\s\x00-\x1f\x7f]/.test(id) || id.length > 255) {
    return `${kind} ID '${id}' is invalid: it must be printable, without '/', '\\' or whitespace, and not '.' or '..'`;
  }
  return null;
}

/** What this build can run; null when it can run the task (its ids are checked already). */
export function invalidTask(task: TaskInfo, agent_id: string): string | null {
  const id = task.task_id.value;
  if (task.agent_id.value !== agent_id) return `Task ${id} names agent ${task.agent_id.value}, but this is agent ${agent_id}`;
  if (task.executor !== undefined || task.container !== undefined) return "Only command tasks (no executor, no container) are supported";
  if (commandArgv(task.command) === null) return "The task has no command value to run";
  return null;
}

/** A DurationInfo's nanoseconds as milliseconds (at most a day); null when absent or invalid. */
export function durationMs(nanoseconds: number | string | undefined): number | null {
  if (nanoseconds === undefined) return null;
  const n = Number(nanoseconds);
  return Number.isFinite(n) && n >= 0 ? Math.min(n / 1e6, 24 * 3600_000) : null;
}
