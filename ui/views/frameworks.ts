// Frameworks and their tasks; a task links to its sandbox (read through the leader's /files,
// which asks the task's agent).
import type { ViewContext } from "../context.ts";
import { ago, bytes, h, link, num, paged, shortId, table } from "../dom.ts";
import { type FrameworkV1, scalar, type TaskV1, TERMINAL } from "../model.ts";
import { filterBox } from "./agents.ts";

const PAGE_ROWS = 200;

export function sandboxHref(t: TaskV1): string | null {
  if (t.agent_id === undefined) return null;
  const executor = t.executor_id?.value || t.task_id.value;
  return `#/sandbox/${encodeURIComponent(t.agent_id.value)}/${encodeURIComponent(t.framework_id.value)}/${encodeURIComponent(executor)}`;
}

export function tasksTable(caption: string, tasks: TaskV1[]): HTMLElement {
  const { shown, note } = paged(tasks, PAGE_ROWS);
  return h("div", {}, table(caption, ["Task", "Name", "State", "CPUs", "Memory", "Agent", "Updated", "Sandbox"], shown.map((t) => {
    const last = t.statuses?.at(-1);
    const href = sandboxHref(t);
    return [
      t.task_id.value, t.name, h("span", { class: TERMINAL.has(t.state) ? (t.state === "TASK_FINISHED" ? "ok" : "bad") : "" }, t.state),
      num(scalar(t.resources, "cpus")), bytes(scalar(t.resources, "mem")),
      t.agent_id === undefined ? "" : link(`#/agents/${encodeURIComponent(t.agent_id.value)}`, shortId(t.agent_id.value)),
      ago(last?.timestamp), href === null ? "" : link(href, "Sandbox"),
    ];
  })), note);
}

function frameworkRow(ctx: ViewContext, f: FrameworkV1): (string | HTMLElement)[] {
  const id = f.framework_info.id.value;
  let live = 0;
  let cpus = 0;
  let mem = 0;
  for (const t of ctx.model.tasks.values()) {
    if (t.framework_id.value !== id || TERMINAL.has(t.state)) continue;
    live++;
    cpus += scalar(t.resources, "cpus");
    mem += scalar(t.resources, "mem");
  }
  const roles = f.framework_info.roles ?? [f.framework_info.role ?? "*"];
  return [
    link(`#/frameworks/${encodeURIComponent(id)}`, shortId(id)), f.framework_info.name, f.framework_info.user ?? "", roles.join(", "),
    f.framework_info.principal ?? "", String(live), num(cpus), bytes(mem), f.connected === false ? "disconnected" : f.active === false ? "inactive" : "active",
    ago(f.registered_time === undefined ? undefined : f.registered_time.nanoseconds / 1e9),
  ];
}

export function frameworksView(ctx: ViewContext): HTMLElement {
  const filter = filterBox(ctx, "frameworks-filter", "Filter frameworks by id or name");
  const needle = filter.value.trim().toLowerCase();
  const matches = (f: FrameworkV1) => needle === "" || f.framework_info.id.value.toLowerCase().includes(needle) || f.framework_info.name.toLowerCase().includes(needle);
  const headers = ["Framework", "Name", "User", "Roles", "Principal", "Tasks", "CPUs", "Memory", "State", "Registered"];
  return h("section", { "aria-labelledby": "frameworks-title" },
    h("h1", { id: "frameworks-title" }, `Frameworks (${ctx.model.frameworks.size})`),
    filter,
    table("Active frameworks", headers, [...ctx.model.frameworks.values()].filter(matches).map((f) => frameworkRow(ctx, f))),
    table("Completed frameworks", ["Framework", "Name", "User"], [...ctx.model.completed_frameworks.values()].filter(matches).map((f) => [
      link(`#/frameworks/${encodeURIComponent(f.framework_info.id.value)}`, shortId(f.framework_info.id.value)), f.framework_info.name, f.framework_info.user ?? "",
    ])));
}

export function frameworkView(ctx: ViewContext): HTMLElement {
  const id = ctx.params[0]!;
  const f = ctx.model.frameworks.get(id) ?? ctx.model.completed_frameworks.get(id);
  if (f === undefined) return h("p", {}, `No framework ${id} is known to the leader.`);
  const tasks = [...ctx.model.tasks.values()].filter((t) => t.framework_id.value === id);
  const info = f.framework_info;
  return h("section", { "aria-labelledby": "framework-title" },
    h("h1", { id: "framework-title" }, `Framework ${info.name}`),
    h("dl", { class: "summary" },
      h("dt", {}, "ID"), h("dd", {}, id), h("dt", {}, "User"), h("dd", {}, info.user ?? ""),
      h("dt", {}, "Roles"), h("dd", {}, (info.roles ?? [info.role ?? "*"]).join(", ")), h("dt", {}, "Host"), h("dd", {}, info.hostname ?? ""),
      h("dt", {}, "State"), h("dd", {}, ctx.model.frameworks.has(id) ? (f.connected === false ? "disconnected" : "active") : "completed")),
    tasksTable("Live tasks", tasks.filter((t) => !TERMINAL.has(t.state))),
    tasksTable("Terminal tasks", tasks.filter((t) => TERMINAL.has(t.state)).reverse()));
}
