// The agents as the endpoints show them (mesos-spec §6.2): the agent object of /state and
// /slaves (master/readonly_handler.cpp's SlaveWriter), recovered agents, /state-summary's
// counts, GET_AGENTS's v1 shapes, and the scalar sums behind master/<resource>_total.
// Resources are summarised as Mesos's json(Resources): cpus/gpus/mem/disk always present,
// ranges as "[a-b, c-d]" and sets as "{a, b}".
import type { SlaveInfo } from "../registry/types.ts";
import type { Agent } from "./agent_types.ts";
import type { Agents } from "./agents.ts";
import type { Metrics } from "../metrics.ts";

interface Resource {
  name: string;
  type?: string;
  scalar?: { value: number };
  ranges?: { range?: { begin: number; end: number }[] };
  set?: { item?: string[] };
  revocable?: unknown;
  role?: string;
  reservations?: { role?: string }[];
}

const resourcesOf = (info: SlaveInfo): Resource[] => (Array.isArray(info.resources) ? (info.resources as Resource[]) : []);
const rangesText = (r: Resource) => `[${(r.ranges?.range ?? []).map((x) => `${x.begin}-${x.end}`).join(", ")}]`;
const setText = (r: Resource) => `{${(r.set?.item ?? []).join(", ")}}`;

/** Scalar sums by name (`<name>_revocable` for revocable ones) over agents' SlaveInfo resources. */
export function resourceTotals(agents: Iterable<{ info: SlaveInfo }>): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const agent of agents) {
    for (const r of resourcesOf(agent.info)) {
      if (r.scalar === undefined || typeof r.scalar.value !== "number") continue;
      const key = r.revocable !== undefined ? `${r.name}_revocable` : r.name;
      totals[key] = (totals[key] ?? 0) + r.scalar.value;
    }
  }
  return totals;
}

/** Mesos's json(Resources). */
export function resourcesJson(resources: readonly Resource[]): Record<string, number | string> {
  const out: Record<string, number | string> = { cpus: 0, gpus: 0, mem: 0, disk: 0 };
  for (const r of resources) {
    const name = r.revocable !== undefined ? `${r.name}_revocable` : r.name;
    if (r.scalar !== undefined) out[name] = ((out[name] as number | undefined) ?? 0) + r.scalar.value;
    else if (r.ranges !== undefined) out[name] = rangesText(r);
    else if (r.set !== undefined) out[name] = setText(r);
  }
  return out;
}

/** The role a resource is reserved to, or null when unreserved. */
function reservedRole(r: Resource): string | null {
  const last = r.reservations?.[r.reservations.length - 1]?.role;
  if (last !== undefined) return last;
  return r.role !== undefined && r.role !== "*" ? r.role : null;
}

function byRole(resources: readonly Resource[]): Record<string, Resource[]> {
  const out: Record<string, Resource[]> = {};
  for (const r of resources) {
    const role = reservedRole(r);
    if (role !== null) (out[role] ??= []).push(r);
  }
  return out;
}

function attributesJson(info: SlaveInfo): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const attributes = Array.isArray(info.attributes) ? (info.attributes as (Resource & { text?: { value: string } })[]) : [];
  for (const a of attributes) {
    if (a.scalar !== undefined) out[a.name] = a.scalar.value;
    else if (a.ranges !== undefined) out[a.name] = rangesText(a);
    else if (a.set !== undefined) out[a.name] = setText(a);
    else if (a.text !== undefined) out[a.name] = a.text.value;
  }
  return out;
}

/** json(SlaveInfo): the fields a recovered agent shows. */
export function slaveInfoJson(info: SlaveInfo): Record<string, unknown> {
  const out: Record<string, unknown> = { id: info.id.value, hostname: info.hostname, port: info.port ?? 5051, attributes: attributesJson(info) };
  if (info.domain !== undefined) out.domain = info.domain;
  return out;
}

/** The agent object of /state and /slaves. */
export function agentJson(agents: Agents, agent: Agent): Record<string, unknown> {
  const resources = resourcesOf(agent.info);
  const out: Record<string, unknown> = { ...slaveInfoJson(agent.info), pid: agent.pid, registered_time: agent.registered_ms / 1000 };
  if (agent.reregistered_ms !== null) out.reregistered_time = agent.reregistered_ms / 1000;
  const reserved = Object.fromEntries(Object.entries(byRole(resources)).map(([role, rs]) => [role, resourcesJson(rs)]));
  Object.assign(out, {
    resources: resourcesJson(resources),
    used_resources: resourcesJson((agents.tasks?.used(agent.id) ?? []) as Resource[]),
    offered_resources: resourcesJson((agents.tasks?.offered(agent.id) ?? []) as Resource[]),
    reserved_resources: reserved,
    unreserved_resources: resourcesJson(resources.filter((r) => reservedRole(r) === null)),
    active: agent.active,
    deactivated: agents.deactivated.has(agent.id),
    version: agent.version,
    capabilities: agent.capabilities.map((c) => c.type),
  });
  const drain = agents.draining.get(agent.id);
  if (drain !== undefined) out.drain_info = drain;
  return out;
}

/** /slaves: the agent objects plus the full resource lists, and the recovered agents; `slave_id` filters both. */
export function slavesJson(agents: Agents, slave_id: string | null): { slaves: unknown[]; recovered_slaves: unknown[] } {
  const slaves: unknown[] = [];
  for (const agent of agents.registered.values()) {
    if (slave_id !== null && agent.id !== slave_id) continue;
    const resources = resourcesOf(agent.info);
    slaves.push({
      ...agentJson(agents, agent),
      reserved_resources_full: byRole(resources),
      unreserved_resources_full: resources.filter((r) => reservedRole(r) === null),
      used_resources_full: agents.tasks?.used(agent.id) ?? [],
      offered_resources_full: agents.tasks?.offered(agent.id) ?? [],
    });
  }
  return { slaves, recovered_slaves: recoveredJson(agents, slave_id) };
}

export function recoveredJson(agents: Agents, slave_id: string | null = null): unknown[] {
  const out: unknown[] = [];
  for (const [id, info] of agents.recovered) if (slave_id === null || id === slave_id) out.push(slaveInfoJson(info));
  return out;
}

export const SUMMARY_STATES = ["TASK_STAGING", "TASK_STARTING", "TASK_RUNNING", "TASK_KILLING", "TASK_FINISHED", "TASK_KILLED",
  "TASK_FAILED", "TASK_LOST", "TASK_ERROR", "TASK_UNREACHABLE"] as const;

/** /state-summary's agents: the agent object with per-state task counts and the ids of the frameworks with tasks there. */
export function summaryAgentsJson(agents: Agents): unknown[] {
  return [...agents.registered.values()].map((agent) => {
    const summary = agents.tasks?.agentSummary(agent.id) ?? { counts: {}, framework_ids: [] };
    const counts = Object.fromEntries(SUMMARY_STATES.map((s) => [s, summary.counts[s] ?? 0]));
    return { ...agentJson(agents, agent), ...counts, framework_ids: summary.framework_ids };
  });
}

/** master.proto's Response.GetAgents.Agent (GET_AGENTS, AGENT_ADDED). */
export function v1AgentJson(agents: Agents, agent: Agent): Record<string, unknown> {
  const out: Record<string, unknown> = {
    agent_info: agent.info,
    active: agent.active,
    deactivated: agents.deactivated.has(agent.id),
    version: agent.version,
    pid: agent.pid,
    registered_time: { nanoseconds: agent.registered_ms * 1e6 },
  };
  if (agent.reregistered_ms !== null) out.reregistered_time = { nanoseconds: agent.reregistered_ms * 1e6 };
  const resources = resourcesOf(agent.info);
  if (resources.length > 0) out.total_resources = resources;
  if (agent.capabilities.length > 0) out.capabilities = agent.capabilities;
  const drain = agents.draining.get(agent.id);
  if (drain !== undefined) out.drain_info = drain;
  return out;
}

/** GET_AGENTS (v1): registered agents, and recovered SlaveInfos. */
export function getAgentsJson(agents: Agents): { agents: unknown[]; recovered_agents: unknown[] } {
  const list = [...agents.registered.values()].map((agent) => v1AgentJson(agents, agent));
  return { agents: list, recovered_agents: [...agents.recovered.values()] };
}

/** The master/slaves_* gauges and master/<resource>_total|used|percent of the registered agents. */
export function registerAgentGauges(metrics: Metrics, agents: Agents): void {
  const countOf = (test: (a: Agent) => boolean) => () => {
    let n = 0;
    for (const a of agents.registered.values()) if (test(a)) n++;
    return n;
  };
  metrics.gauge("master/slaves_connected", countOf((a) => a.connected));
  metrics.gauge("master/slaves_disconnected", countOf((a) => !a.connected));
  metrics.gauge("master/slaves_active", countOf((a) => a.active));
  metrics.gauge("master/slaves_inactive", countOf((a) => !a.active));
  metrics.gauge("master/slaves_unreachable", () => agents.unreachable.size);
  for (const name of ["cpus", "gpus", "mem", "disk"]) {
    for (const kind of ["", "_revocable"]) {
      const key = `${name}${kind}`;
      metrics.gauge(`master/${key}_total`, () => agents.resourceTotals()[key] ?? 0);
      const used = () => agents.tasks?.usedTotals()[key] ?? 0;
      const total = () => agents.resourceTotals()[key] ?? 0;
      metrics.gauge(`master/${key}_used`, used);
      metrics.gauge(`master/${key}_percent`, () => (total() > 0 ? used() / total() : 0));
    }
  }
}

/** Scalar resources as Mesos logs them: cpus:4; mem:1024. */
export function resourcesText(info: SlaveInfo): string {
  const parts = Object.entries(resourceTotals([{ info }])).filter(([, v]) => v > 0).map(([k, v]) => `${k}:${v}`);
  return parts.length > 0 ? parts.join("; ") : "no resources";
}
