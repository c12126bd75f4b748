// Frameworks as the endpoints show them: /frameworks (readonly_handler.cpp's FullFrameworkWriter
// over json(Summary<Framework>)), and GET_FRAMEWORKS (http.cpp's model(Framework), v1 JSON).
// Tasks, offers and resources come from the task side's optional frameworkView.
import { resourcesJson } from "../agent_views.ts";
import type { Frameworks } from "./frameworks.ts";
import { hasCapability } from "./framework_info.ts";
import type { Framework, FrameworkView } from "./types.ts";
import type { JsonObject } from "../../agent/task_protocol.ts";
import { SEE_ALL, taskUser, type Viewer } from "../authorization.ts";

/** What a framework the task side knows nothing about shows. */
export const EMPTY_VIEW: FrameworkView = { tasks: [], unreachable_tasks: [], completed_tasks: [], offers: [], used_resources: [], offered_resources: [] };

type Resource = Parameters<typeof resourcesJson>[0][number];

function viewOf(frameworks: Frameworks, framework: Framework): FrameworkView {
  return frameworks.tasks.frameworkView?.(framework) ?? EMPTY_VIEW;
}

const value = (id: unknown) => (id !== null && typeof id === "object" ? (id as { value?: unknown }).value : undefined);

/** json(Offer) of common/http.cpp from a v1 Offer. */
function offerJson(offer: JsonObject): JsonObject {
  const out: JsonObject = {
    id: value(offer.id),
    framework_id: value(offer.framework_id),
    slave_id: value(offer.agent_id),
    resources: resourcesJson((offer.resources ?? []) as Resource[]),
  };
  if (offer.allocation_info !== undefined) out.allocation_info = offer.allocation_info;
  return out;
}

/** The tasks (json(Task)) `viewer` may see: a task's user is its command's, else its framework's. */
function visibleTasks(tasks: JsonObject[], framework: Framework, viewer: Viewer): JsonObject[] {
  if (viewer === SEE_ALL) return tasks;
  return tasks.filter((t) => viewer.task(taskUser(t.user as string | undefined, framework.info.user)));
}

/** Whether `viewer` may see `framework` at all (view_frameworks, by FrameworkInfo.user). */
export function visibleFramework(framework: Framework, viewer: Viewer): boolean {
  return viewer.framework(framework.info.user ?? "");
}

/** One framework of /frameworks (and /state), with the tasks `viewer` may see. */
export function frameworkJson(frameworks: Frameworks, framework: Framework, viewer: Viewer = SEE_ALL): JsonObject {
  const view = viewOf(frameworks, framework);
  const info = framework.info;
  const secs = (ms: number | undefined) => (ms ?? 0) / 1000;
  const used = view.used_resources as unknown as Resource[];
  const offered = view.offered_resources as unknown as Resource[];
  const out: JsonObject = {
    id: framework.id,
    name: info.name,
    used_resources: resourcesJson(used),
    offered_resources: resourcesJson(offered),
    capabilities: (info.capabilities ?? []).map((c) => c.type),
    hostname: info.hostname ?? "",
    webui_url: info.webui_url ?? "",
    active: framework.active,
    connected: frameworks.connected(framework),
    recovered: frameworks.recovered(framework),
    user: info.user ?? "",
    failover_timeout: info.failover_timeout ?? 0,
    checkpoint: info.checkpoint ?? false,
    registered_time: secs(framework.registered_time),
    unregistered_time: secs(framework.unregistered_time),
  };
  if (info.principal !== undefined) out.principal = info.principal;
  out.resources = resourcesJson([...used, ...offered]);
  if (framework.reregistered_time !== undefined && framework.reregistered_time !== framework.registered_time) {
    out.reregistered_time = secs(framework.reregistered_time);
  }
  if (hasCapability(info, "MULTI_ROLE")) out.roles = info.roles ?? [];
  else out.role = info.role ?? "*";
  Object.assign(out, {
    tasks: visibleTasks(view.tasks, framework, viewer),
    unreachable_tasks: visibleTasks(view.unreachable_tasks, framework, viewer),
    completed_tasks: visibleTasks(view.completed_tasks, framework, viewer),
    offers: view.offers.map(offerJson),
    executors: [],
  });
  if (info.labels !== undefined) out.labels = (info.labels as { labels?: unknown[] }).labels ?? [];
  out.offer_constraints = {};
  return out;
}

/** /frameworks: `framework_id=` selects one id; only the frameworks `viewer` may see. */
export function frameworksJson(frameworks: Frameworks, framework_id: string | null = null, viewer: Viewer = SEE_ALL): JsonObject {
  const select = (f: Framework) => (framework_id === null || f.id === framework_id) && visibleFramework(f, viewer);
  return {
    frameworks: [...frameworks.registered.values()].filter(select).map((f) => frameworkJson(frameworks, f, viewer)),
    completed_frameworks: [...frameworks.completed.values()].filter(select).map((f) => frameworkJson(frameworks, f, viewer)),
    unregistered_frameworks: [],
  };
}

/** v1 TimeInfo, absent for 0 (as model() leaves it unset). */
const timeInfo = (ms: number | undefined) => (ms === undefined || ms === 0 ? undefined : { nanoseconds: Math.round(ms * 1e6) });

/** mesos.v1.master.Response.GetFrameworks.Framework (GET_FRAMEWORKS, FRAMEWORK_ADDED and _UPDATED). */
export function v1FrameworkJson(frameworks: Frameworks, framework: Framework): JsonObject {
  const view = viewOf(frameworks, framework);
  const out: JsonObject = {
    framework_info: framework.info,
    active: framework.active,
    connected: frameworks.connected(framework),
    recovered: frameworks.recovered(framework),
  };
  for (const [key, ms] of [["registered_time", framework.registered_time], ["reregistered_time", framework.reregistered_time], ["unregistered_time", framework.unregistered_time]] as const) {
    const time = timeInfo(ms);
    if (time !== undefined) out[key] = time;
  }
  if (view.offers.length > 0) out.offers = view.offers;
  if (view.used_resources.length > 0) out.allocated_resources = view.used_resources;
  if (view.offered_resources.length > 0) out.offered_resources = view.offered_resources;
  out.offer_constraints = {};
  return out;
}

/** The body of GET_FRAMEWORKS (repeated fields omitted when empty, as v1 JSON renders them). */
export function getFrameworksJson(frameworks: Frameworks, viewer: Viewer = SEE_ALL): JsonObject {
  const out: JsonObject = {};
  const visible = (f: Framework) => visibleFramework(f, viewer);
  const registered = [...frameworks.registered.values()].filter(visible).map((f) => v1FrameworkJson(frameworks, f));
  const completed = [...frameworks.completed.values()].filter(visible).map((f) => v1FrameworkJson(frameworks, f));
  if (registered.length > 0) out.frameworks = registered;
  if (completed.length > 0) out.completed_frameworks = completed;
  return out;
}
