// Validation of the task messages agents send (host/agent/task_protocol.ts) as the master reads
// them: STATUS_UPDATE, and the tasks and frameworks a REREGISTER_SLAVE reports. A malformed
// update is dropped and counted; a malformed reported task is skipped.
import { type Id, type JsonObject, type ReportedTask, TASK_STATES, type TaskAgentMessage, type TaskState, type TaskStatus } from "../agent/task_protocol.ts";
import { isResource } from "./resources.ts";

type StatusUpdate = Extract<TaskAgentMessage, { type: "STATUS_UPDATE" }>["update"];

const object = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is Id => object(v) && typeof v.value === "string" && v.value.length > 0 && v.value.length <= 4096;
const isState = (v: unknown): v is TaskState => typeof v === "string" && (TASK_STATES as readonly string[]).includes(v);
/** Reported tasks read from one re-registration (a bound). */
export const REPORTED_TASKS_MAX = 100_000;

/** v1 JSON bytes of a UUID: base64 of exactly 16 bytes. */
export function isUuid(v: unknown): v is string {
  if (typeof v !== "string" || !/^[A-Za-z0-9+/]{22}==$/.test(v)) return false;
  return Buffer.from(v, "base64").length === 16;
}

function isStatus(v: unknown): v is TaskStatus {
  return object(v) && isId(v.task_id) && isState(v.state);
}

/** The update of a STATUS_UPDATE, or null when malformed. */
export function parseStatusUpdate(m: unknown): StatusUpdate | null {
  if (!object(m) || m.type !== "STATUS_UPDATE" || !object(m.update)) return null;
  const u = m.update;
  if (!isId(u.framework_id) || !isStatus(u.status) || typeof u.uuid !== "string") return null;
  if (u.latest_state !== undefined && !isState(u.latest_state)) return null;
  const timestamp = typeof u.timestamp === "number" ? u.timestamp : Date.now() / 1000;
  return { framework_id: u.framework_id, status: u.status, uuid: u.uuid, timestamp, ...(u.latest_state ? { latest_state: u.latest_state } : {}) };
}

/** The well-formed tasks of a re-registration's report. */
export function parseReported(tasks: unknown): ReportedTask[] {
  if (!Array.isArray(tasks)) return [];
  return tasks.slice(0, REPORTED_TASKS_MAX).filter((t): t is ReportedTask =>
    object(t) && isId(t.task_id) && isId(t.framework_id) && isState(t.state) && typeof (t.name ?? "") === "string"
    && Array.isArray(t.resources) && t.resources.every(isResource) && (t.status === undefined || isStatus(t.status)));
}
