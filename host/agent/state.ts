// What the agent's read endpoints show (/state, /metrics/snapshot, and the v1 calls that
// answer the same): Mesos's field names, from the agent, its flags and its tasks; and the
// files it serves, each task's sandbox attached under its real path and under Mesos's virtual
// /frameworks/<framework>/executors/<executor>/runs/latest (the newest run of that executor).
import { renderFlags } from "../flags.ts";
import { Files } from "../files/files.ts";
import type { SlaveInfo } from "../registry/types.ts";
import { MESOS_VERSION } from "../version.ts";
import { AGENT_CAPABILITIES, type Agent } from "./agent.ts";
import { AGENT_FLAGS, type AgentFlags } from "./flags.ts";
import type { AgentSecurity } from "./security.ts";
import type { AgentRun, AgentTasks } from "./tasks/tasks.ts";
import { summarize } from "./tasks/views.ts";
import type { MetricValue } from "../metrics.ts";
import { systemMetrics } from "../system_metrics.ts";
import { type Attribute, type Resource, summarizeAttributes, summarizeResources } from "./resources.ts";

export interface AgentHttpContext {
  agent: Agent;
  tasks?: AgentTasks;
  flags: AgentFlags;
  info: Omit<SlaveInfo, "id"> & { resources: Resource[]; attributes: Attribute[] };
  pid: string;
  start_time_s: number;
  /** TLS and HTTP credentials (none: plain and open, as in in-process tests). */
  security?: Pick<AgentSecurity, "tls" | "http_credentials">;
}

export function agentState(c: AgentHttpContext): Record<string, unknown> {
  const master = c.agent.master;
  const state: Record<string, unknown> = {
    version: MESOS_VERSION,
    start_time: c.start_time_s,
    id: c.agent.id ?? "",
    pid: c.pid,
    hostname: c.info.hostname,
    capabilities: [...AGENT_CAPABILITIES],
    resources: summarizeResources(c.info.resources),
    unreserved_resources_full: c.info.resources,
    attributes: summarizeAttributes(c.info.attributes),
    registered: c.agent.phase === "registered",
    ...reservationsJson(c),
    flags: renderFlags(AGENT_FLAGS, c.flags),
    ...(c.tasks?.state() ?? { frameworks: [], completed_frameworks: [] }),
  };
  // Mesos shows master_hostname only while a master is known.
  if (master !== null) state.master_hostname = master.leader.hostname;
  if (master?.id) state.master_id = master.id;
  return state;
}

/** Mesos's unreserved_resources, reserved_resources (by role) and what live tasks hold of the unreserved ones, summarised. */
function reservationsJson(c: AgentHttpContext): Record<string, unknown> {
  const unreserved = c.info.resources.filter((r) => r.role === "*");
  const roles = new Map<string, Resource[]>();
  for (const r of c.info.resources) if (r.role !== "*") roles.set(r.role, [...(roles.get(r.role) ?? []), r]);
  const held = agentRuns(c).filter((r) => r.live).flatMap((r) => r.task.task.resources ?? []);
  const heldBy = (role: string | null) => summarize(held.filter((r) => (role === null ? (r.role ?? "*") === "*" : r.role === role)));
  return {
    unreserved_resources: summarizeResources(unreserved),
    reserved_resources: Object.fromEntries([...roles].map(([role, list]) => [role, summarizeResources(list)])),
    unreserved_resources_allocated: heldBy(null),
    reserved_resources_allocated: Object.fromEntries([...roles.keys()].map((role) => [role, heldBy(role)])),
  };
}

/** The agent's metrics with their kinds: Mesos's slave/* and system/* that apply, and ours (see the README's metrics list). */
export function agentMetricValues(c: AgentHttpContext): MetricValue[] {
  const gauge = (name: string, value: number): MetricValue => ({ name, value, kind: "gauge" });
  const counter = (name: string, value: number): MetricValue => ({ name, value, kind: "counter" });
  const runs = agentRuns(c);
  const live = runs.filter((r) => r.live);
  const held = summarize(live.flatMap((r) => r.task.task.resources ?? []));
  const total = summarizeResources(c.info.resources);
  const out: MetricValue[] = [
    gauge("slave/registered", c.agent.phase === "registered" ? 1 : 0),
    gauge("slave/uptime_secs", Date.now() / 1000 - c.start_time_s),
    counter("slave/ignored_master_messages", c.agent.counters.ignored_messages),
    counter("slave/invalid_master_messages", c.agent.counters.invalid_messages),
    counter("slave/registration_attempts", c.agent.counters.registrations),
    gauge("slave/frameworks_active", new Set(live.map((r) => r.task.framework_id)).size),
    gauge("slave/executors_running", live.length), // a command task is its own executor
    counter("slave/executors_terminated", runs.filter((r) => r.completed).length),
    ...(c.tasks?.metricValues() ?? []),
    ...systemMetrics(),
  ];
  for (const name of ["cpus", "mem", "disk", "gpus"]) {
    const t = typeof total[name] === "number" ? (total[name] as number) : 0;
    const u = typeof held[name] === "number" ? (held[name] as number) : 0;
    out.push(gauge(`slave/${name}_total`, t), gauge(`slave/${name}_used`, u), gauge(`slave/${name}_percent`, t > 0 ? u / t : 0));
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function agentMetrics(c: AgentHttpContext): Record<string, number> {
  return Object.fromEntries(agentMetricValues(c).map((m) => [m.name, m.value]));
}

export function agentRuns(c: AgentHttpContext): AgentRun[] {
  return c.tasks?.runs() ?? [];
}

/** The agent's files service over its tasks' sandboxes (see the header). */
export function sandboxFiles(c: AgentHttpContext): Files {
  return new Files(() => {
    const attached = new Map<string, string>();
    for (const run of agentRuns(c)) {
      const sandbox = run.task.sandbox;
      if (sandbox === "") continue;
      attached.set(sandbox.replace(/\/+$/, ""), sandbox);
      attached.set(`/frameworks/${run.task.framework_id}/executors/${run.task.task.task_id.value}/runs/latest`, sandbox);
    }
    return attached;
  });
}
