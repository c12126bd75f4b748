// Tasks, roles and offers as the endpoints show them (mesos-spec §6.2, §6.4): Mesos's
// json(Task) (common/http.cpp) for /tasks, /state and /frameworks; /tasks's paging
// (readonly_handler.cpp); /roles; and the v1 GET_TASKS and GET_ROLES bodies.
import type { JsonObject } from "../agent/task_protocol.ts";
import { resourcesJson } from "./agent_views.ts";
import type { Framework, FrameworkView } from "./frameworks/types.ts";
import { offerJson } from "./offers.ts";
import type { FrameworkRecord, TaskEntry, Tasks } from "./tasks.ts";
import { EMPTY_VIEW } from "./frameworks/views.ts";
import { SEE_ALL, taskUser, type Viewer } from "./authorization.ts";

type Resource = Parameters<typeof resourcesJson>[0][number];
/** Mesos's TASK_LIMIT: /tasks's default page. */
export const TASK_LIMIT = 100;

/** json(Task). */
export function taskJson(task: TaskEntry): JsonObject {
  const out: JsonObject = {
    id: task.info.task_id.value, name: task.info.name, framework_id: task.framework_id, executor_id: task.executor_id ?? "", slave_id: task.agent_id,
    state: task.state, resources: resourcesJson(task.info.resources as unknown as Resource[]), role: task.role,
    statuses: task.statuses.map((s) => ({ state: s.state, timestamp: s.timestamp ?? 0, ...(s.labels ? { labels: s.labels } : {}), ...(s.healthy !== undefined ? { healthy: s.healthy } : {}) })),
  };
  if (task.info.command?.user !== undefined) out.user = task.info.command.user;
  if (task.info.labels !== undefined) out.labels = (task.info.labels as { labels?: unknown }).labels ?? [];
  return out;
}

/** v1 Task (mesos.proto) for the operator API. */
export function v1TaskJson(task: TaskEntry): JsonObject {
  const out: JsonObject = {
    name: task.info.name, task_id: task.info.task_id, framework_id: { value: task.framework_id }, agent_id: { value: task.agent_id },
    state: task.state, resources: task.info.resources, statuses: task.statuses,
  };
  if (task.executor_id !== undefined) out.executor_id = { value: task.executor_id };
  if (task.unacknowledged !== null) out.status_update_state = task.unacknowledged.state;
  if (task.unacknowledged?.uuid !== undefined) out.status_update_uuid = task.unacknowledged.uuid;
  if (task.info.labels !== undefined) out.labels = task.info.labels;
  return out;
}

function recordOf(tasks: Tasks, id: string): FrameworkRecord | undefined {
  return tasks.frameworks.get(id) ?? tasks.completed_frameworks.get(id);
}

/** TaskService.frameworkView: what /frameworks, /state and GET_FRAMEWORKS show of a framework. */
export function frameworkView(tasks: Tasks, framework: Framework): FrameworkView {
  const rec = recordOf(tasks, framework.id);
  if (rec === undefined) return EMPTY_VIEW;
  const used = [...rec.tasks.values()].filter((t) => t.holds).flatMap((t) => t.info.resources);
  const offers = tasks.offers.ofFramework(rec.id);
  return {
    tasks: [...rec.tasks.values()].map(taskJson),
    unreachable_tasks: [...rec.unreachable.values()].map(taskJson),
    completed_tasks: rec.completed.map(taskJson),
    offers: offers.map(offerJson),
    used_resources: used,
    offered_resources: offers.flatMap((o) => o.resources),
  };
}

/** The framework records `viewer` may see (view_frameworks, by FrameworkInfo.user). */
function visibleRecords(tasks: Tasks, viewer: Viewer): FrameworkRecord[] {
  const recs = [...tasks.frameworks.values(), ...tasks.completed_frameworks.values()];
  return viewer === SEE_ALL ? recs : recs.filter((r) => viewer.framework(String(r.info.user ?? "")));
}

/** A record's `list` of tasks that `viewer` may see (view_tasks, by the task's user). */
function visible(rec: FrameworkRecord, list: Iterable<TaskEntry>, viewer: Viewer): TaskEntry[] {
  const all = [...list];
  if (viewer === SEE_ALL) return all;
  return all.filter((t) => viewer.task(taskUser(t.info.command?.user, rec.info.user as string | undefined)));
}

/** Every task the master knows that `viewer` may see: active, unreachable and completed, of active and completed frameworks. */
function allTasks(tasks: Tasks, framework_id: string | null, viewer: Viewer): TaskEntry[] {
  const out: TaskEntry[] = [];
  for (const rec of visibleRecords(tasks, viewer)) {
    if (framework_id !== null && rec.id !== framework_id) continue;
    out.push(...visible(rec, [...rec.tasks.values(), ...rec.unreachable.values(), ...rec.completed], viewer));
  }
  return out;
}

/** Mesos's TaskComparator key: the first status's timestamp (the launch time before any). */
const firstTime = (t: TaskEntry) => t.statuses[0]?.timestamp ?? t.staged_ms / 1000;

/** /tasks: framework_id=, task_id=, limit= (100), offset= (0), order=asc|desc (desc). */
export function tasksEndpointJson(tasks: Tasks, query: URLSearchParams, viewer: Viewer = SEE_ALL): JsonObject {
  const number = (name: string, fallback: number) => {
    const v = query.get(name);
    const n = v === null ? NaN : Number.parseInt(v, 10);
    return Number.isFinite(n) && n >= 0 ? n : fallback;
  };
  const limit = number("limit", TASK_LIMIT);
  const offset = number("offset", 0);
  const asc = query.get("order") === "asc";
  const task_id = query.get("task_id");
  const list = allTasks(tasks, query.get("framework_id"), viewer).filter((t) => task_id === null || t.info.task_id.value === task_id);
  list.sort((a, b) => (asc ? firstTime(a) - firstTime(b) : firstTime(b) - firstTime(a)));
  return { tasks: list.slice(offset, offset + limit).map(taskJson) };
}

/** v1 JSON leaves empty repeated fields out. */
const nonEmpty = (body: Record<string, unknown[]>): JsonObject => Object.fromEntries(Object.entries(body).filter(([, v]) => v.length > 0));

/** GET_TASKS (pending and orphan tasks do not exist in this build). */
export function getTasksJson(tasks: Tasks, viewer: Viewer = SEE_ALL): JsonObject {
  const recs = visibleRecords(tasks, viewer);
  return nonEmpty({
    tasks: recs.flatMap((r) => visible(r, r.tasks.values(), viewer).map(v1TaskJson)),
    unreachable_tasks: recs.flatMap((r) => visible(r, r.unreachable.values(), viewer).map(v1TaskJson)),
    completed_tasks: recs.flatMap((r) => visible(r, r.completed, viewer).map(v1TaskJson)),
  });
}

/** Mesos's knownRoles: roles of frameworks, with weights, with quota, or holding tasks or offers. */
function knownRoles(tasks: Tasks): string[] {
  const names = new Set<string>();
  for (const rec of tasks.frameworks.values()) for (const role of tasks.rolesOf(rec)) names.add(role);
  const registry = tasks.options.registrar.current();
  for (const w of registry.weights ?? []) names.add(w.info.role);
  for (const role of Object.keys(tasks.options.flags.weights ?? {})) names.add(role);
  for (const q of registry.quota_configs ?? []) names.add(q.role);
  for (const role of [...tasks.role_used.keys(), ...tasks.role_offered.keys()]) names.add(role);
  return [...names].sort();
}

function frameworksOf(tasks: Tasks, role: string): string[] {
  return [...tasks.frameworks.values()].filter((r) => tasks.rolesOf(r).includes(role)).map((r) => r.id);
}

const quantities = (q: Record<string, number> | undefined) => Object.fromEntries(Object.entries(q ?? {}));
const sum = (a: Record<string, number>, b: Record<string, number>) => {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
};

/** /roles. */
export function rolesJson(tasks: Tasks, viewer: Viewer = SEE_ALL): JsonObject {
  const quotas = new Map((tasks.options.registrar.current().quota_configs ?? []).map((q) => [q.role, q]));
  return {
    roles: knownRoles(tasks).filter((name) => viewer.role(name)).map((name) => {
      const allocated = quantities(tasks.role_used.get(name));
      const offered = quantities(tasks.role_offered.get(name));
      const q = quotas.get(name);
      const scalars = (m: Record<string, { value: number }> | undefined) => Object.fromEntries(Object.entries(m ?? {}).map(([k, v]) => [k, v.value]));
      return {
        name, weight: tasks.weight(name),
        // Quota is hierarchical: what the roles under this one consume counts against it too.
        quota: { role: name, guarantee: scalars(q?.guarantees), limit: scalars(q?.limits), consumed: tasks.subtreeConsumed(name) },
        resources: sum(allocated, offered), allocated, offered, reserved: {},
        frameworks: frameworksOf(tasks, name),
      };
    }),
  };
}

/** GET_ROLES (v1 Role: name, weight, frameworks, resources, quota). */
export function getRolesJson(tasks: Tasks, viewer: Viewer = SEE_ALL): JsonObject {
  return nonEmpty({
    roles: knownRoles(tasks).filter((name) => viewer.role(name)).map((name) => {
      const consumed = sum(quantities(tasks.role_used.get(name)), quantities(tasks.role_offered.get(name)));
      return {
        name, weight: tasks.weight(name),
        frameworks: frameworksOf(tasks, name).map((value) => ({ value })),
        resources: Object.entries(consumed).map(([k, v]) => ({ name: k, type: "SCALAR", scalar: { value: v } })),
      };
    }),
  });
}
