// The cluster at a glance: leader and standbys, agents, frameworks, tasks by state, resources
// (total, allocated to tasks), the tasks-by-state chart and allocation per role.
import { bars, lineChart } from "../charts.ts";
import type { ViewContext } from "../context.ts";
import { ago, bytes, h, link, num, table } from "../dom.ts";
import { scalar, SERIES, TERMINAL } from "../model.ts";

export function overviewView(ctx: ViewContext): HTMLElement {
  const { model, client } = ctx;
  const statuses = [...client.masters.entries()];
  const leader = client.leader === null ? undefined : client.masters.get(client.leader);
  const total = { cpus: 0, mem: 0, disk: 0 };
  for (const a of model.agents.values()) {
    const r = a.total_resources ?? a.agent_info.resources;
    total.cpus += scalar(r, "cpus");
    total.mem += scalar(r, "mem");
    total.disk += scalar(r, "disk");
  }
  const used = { cpus: 0, mem: 0, disk: 0 };
  for (const u of model.usedByAgent().values()) {
    used.cpus += u.cpus;
    used.mem += u.mem;
    used.disk += u.disk;
  }
  const counts = model.countsByState();
  const live = [...model.tasks.values()].filter((t) => !TERMINAL.has(t.state)).length;
  const chart = ctx.persistent("overview-tasks-chart", () => h("div", { class: "chart", id: "tasks-chart" }));
  queueMicrotask(() => lineChart(chart, "Tasks by state", model.history.time_s, SERIES.map((s, i) => ({ label: s.name, values: model.history.series[i]! }))));
  return h("section", { "aria-labelledby": "overview-title" },
    h("h1", { id: "overview-title" }, "Cluster"),
    h("dl", { class: "summary" },
      h("dt", {}, "Leader"), h("dd", { id: "leader" }, client.leader?.replace(/^https?:\/\//, "") ?? "none elected"),
      h("dt", {}, "Masters"), h("dd", {}, `${statuses.filter(([, s]) => s?.ok).length} of ${statuses.length} reachable`),
      h("dt", {}, "Leader since"), h("dd", {}, leader?.ok ? ago(leader.status.master.elected_time) : "—"),
      h("dt", {}, "Agents"), h("dd", {}, link("#/agents", String(model.agents.size))),
      h("dt", {}, "Frameworks"), h("dd", {}, link("#/frameworks", `${model.frameworks.size} active, ${model.completed_frameworks.size} completed`)),
      h("dt", {}, "Tasks"), h("dd", { id: "tasks-live" }, `${live} live, ${model.tasks.size - live} terminal`)),
    table("Resources", ["", "CPUs", "Memory", "Disk"], [
      ["Total", num(total.cpus), bytes(total.mem), bytes(total.disk)],
      ["Allocated to tasks", num(used.cpus), bytes(used.mem), bytes(used.disk)],
      ["Idle", num(total.cpus - used.cpus), bytes(total.mem - used.mem), bytes(total.disk - used.disk)],
    ]),
    table("Tasks by state", ["State", "Tasks"], [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([state, n]) => [state, String(n)])),
    chart,
    h("h2", {}, "Allocation per role (CPUs of live tasks)"),
    roleAllocation(ctx, total.cpus));
}

function roleAllocation(ctx: ViewContext, cpus_total: number): HTMLElement {
  const byRole = new Map<string, number>();
  for (const t of ctx.model.tasks.values()) {
    if (TERMINAL.has(t.state)) continue;
    for (const r of t.resources ?? []) {
      if (r.name !== "cpus" || !r.scalar) continue;
      const role = r.allocation_info?.role ?? r.role ?? "*";
      byRole.set(role, (byRole.get(role) ?? 0) + r.scalar.value);
    }
  }
  if (byRole.size === 0) return h("p", { class: "empty" }, "No live tasks.");
  return bars([...byRole.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([role, value]) => ({ label: role, value, total: cpus_total, text: `${num(value)} of ${num(cpus_total)} CPUs` })));
}
