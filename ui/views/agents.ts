// Agents: each with its resources, what its live tasks hold, and its state (active, draining,
// deactivated); an agent's page lists its tasks. Big clusters: a filter and the first
// PAGE_ROWS rows.
import type { ViewContext } from "../context.ts";
import { ago, bytes, h, link, num, paged, shortId, table } from "../dom.ts";
import { type AgentV1, scalar, TERMINAL } from "../model.ts";
import { tasksTable } from "./frameworks.ts";

const PAGE_ROWS = 200;
const UNREACHABLE_POLL_MS = 10_000;

interface Registry { unreachable?: { slaves?: { id: { value: string }; timestamp: { nanoseconds: number | string } }[] } }

function agentState(a: AgentV1): string {
  if (a.drain_info?.state) return `draining (${a.drain_info.state.toLowerCase()})`;
  if (a.deactivated) return "deactivated";
  return a.active === false ? "inactive" : "active";
}

export function filterBox(ctx: ViewContext, key: string, label: string): HTMLInputElement {
  return ctx.persistent(key, () => {
    const input = document.createElement("input");
    input.type = "search";
    input.setAttribute("aria-label", label);
    input.placeholder = label;
    input.addEventListener("input", () => ctx.refresh());
    return input;
  });
}

export function agentsView(ctx: ViewContext): HTMLElement {
  const filter = filterBox(ctx, "agents-filter", "Filter agents by id or hostname");
  const needle = filter.value.trim().toLowerCase();
  const used = ctx.model.usedByAgent();
  const agents = [...ctx.model.agents.values()]
    .filter((a) => needle === "" || a.agent_info.id.value.toLowerCase().includes(needle) || a.agent_info.hostname.toLowerCase().includes(needle))
    .sort((a, b) => (a.agent_info.hostname < b.agent_info.hostname ? -1 : 1));
  const { shown, note } = paged(agents, PAGE_ROWS);
  // Unreachable agents are only in the registry (Mesos's /state counts them): read while this page is shown.
  const registry = ctx.poll("registry", UNREACHABLE_POLL_MS, () => ctx.client.leaderJson<Registry>("/registrar(1)/registry"));
  const unreachable = registry.value?.unreachable?.slaves ?? [];
  return h("section", { "aria-labelledby": "agents-title" },
    h("h1", { id: "agents-title" }, `Agents (${ctx.model.agents.size})`),
    filter,
    table("Agents", ["Agent", "Host", "CPUs", "Memory", "Disk", "Tasks", "State", "Registered"], shown.map((a) => {
      const r = a.total_resources ?? a.agent_info.resources;
      const u = used.get(a.agent_info.id.value);
      return [
        link(`#/agents/${encodeURIComponent(a.agent_info.id.value)}`, shortId(a.agent_info.id.value)), a.agent_info.hostname,
        `${num(u?.cpus ?? 0)} / ${num(scalar(r, "cpus"))}`, `${bytes(u?.mem ?? 0)} / ${bytes(scalar(r, "mem"))}`, `${bytes(u?.disk ?? 0)} / ${bytes(scalar(r, "disk"))}`,
        String(u?.tasks ?? 0), agentState(a), ago(a.registered_time === undefined ? undefined : a.registered_time.nanoseconds / 1e9),
      ];
    })),
    note,
    table("Unreachable agents", ["Agent", "Unreachable since"], paged(unreachable, PAGE_ROWS).shown.map((u) => [u.id.value, ago(Number(u.timestamp.nanoseconds) / 1e9)])));
}

export function agentView(ctx: ViewContext): HTMLElement {
  const id = ctx.params[0]!;
  const agent = ctx.model.agents.get(id);
  if (agent === undefined) return h("p", {}, `Agent ${id} is not registered (it may be unreachable, gone, or not yet re-registered).`);
  const tasks = [...ctx.model.tasks.values()].filter((t) => t.agent_id?.value === id);
  const r = agent.total_resources ?? agent.agent_info.resources;
  return h("section", { "aria-labelledby": "agent-title" },
    h("h1", { id: "agent-title" }, `Agent ${agent.agent_info.hostname}`),
    h("dl", { class: "summary" },
      h("dt", {}, "ID"), h("dd", {}, id), h("dt", {}, "PID"), h("dd", {}, agent.pid ?? ""), h("dt", {}, "State"), h("dd", {}, agentState(agent)),
      h("dt", {}, "Resources"), h("dd", {}, `${num(scalar(r, "cpus"))} CPUs, ${bytes(scalar(r, "mem"))} memory, ${bytes(scalar(r, "disk"))} disk`)),
    tasksTable("Live tasks", tasks.filter((t) => !TERMINAL.has(t.state))),
    tasksTable("Terminal tasks", tasks.filter((t) => TERMINAL.has(t.state))));
}
