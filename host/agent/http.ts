// The agent's own HTTP port (--port, default 5051): /health, /state, /flags (and /version,
// /metrics/snapshot), each on `/` and under the agent's process id `/slave(1)/`, as Mesos's
// agent serves them. /state has Mesos's fields (resources and attributes in its summary form,
// plus the v1 Resource list as unreserved_resources_full) and `registered`, ours; its frameworks
// with their tasks, and slave/tasks_* metrics, come from the agent's tasks (tasks/tasks.ts).
import { renderFlags } from "../flags.ts";
import type { SlaveInfo } from "../registry/types.ts";
import { MESOS_VERSION } from "../version.ts";
import { AGENT_CAPABILITIES, type Agent } from "./agent.ts";
import { AGENT_FLAGS, type AgentFlags } from "./flags.ts";
import type { AgentTasks } from "./tasks/tasks.ts";
import { type Attribute, type Resource, summarizeAttributes, summarizeResources } from "./resources.ts";

const PROCESS_PREFIX = "/slave(1)";

export interface AgentHttpContext {
  agent: Agent;
  tasks?: AgentTasks;
  flags: AgentFlags;
  info: Omit<SlaveInfo, "id"> & { resources: Resource[]; attributes: Attribute[] };
  pid: string;
  start_time_s: number;
}

export function serveAgentHttp(bind_ip: string, port: number, context: AgentHttpContext) {
  return Bun.serve({ hostname: bind_ip, port, fetch: (request) => route(request, context) });
}

function route(request: Request, context: AgentHttpContext): Response {
  let path = new URL(request.url).pathname;
  if (path.startsWith(`${PROCESS_PREFIX}/`)) path = path.slice(PROCESS_PREFIX.length);
  else if (path.startsWith("/slave%281%29/")) path = path.slice("/slave%281%29".length);
  const handler = ROUTES[path];
  if (handler === undefined) return new Response("", { status: 404 });
  if (request.method !== "GET" && request.method !== "HEAD") return new Response("", { status: 405, headers: { allow: "GET" } });
  return handler(context);
}

const json = (body: unknown) => Response.json(body);

const ROUTES: Record<string, (context: AgentHttpContext) => Response> = {
  "/health": () => new Response("", { status: 200 }),
  "/state": (c) => json(agentState(c)),
  "/state.json": (c) => json(agentState(c)),
  "/flags": (c) => json({ flags: renderFlags(AGENT_FLAGS, c.flags) }),
  "/version": () => json({ version: MESOS_VERSION }),
  "/metrics/snapshot": (c) => json(agentMetrics(c)),
};

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
    flags: renderFlags(AGENT_FLAGS, c.flags),
    ...(c.tasks?.state() ?? { frameworks: [], completed_frameworks: [] }),
  };
  // Mesos shows master_hostname only while a master is known.
  if (master !== null) state.master_hostname = master.leader.hostname;
  if (master?.id) state.master_id = master.id;
  return state;
}

function agentMetrics(c: AgentHttpContext): Record<string, number> {
  return {
    "slave/registered": c.agent.phase === "registered" ? 1 : 0,
    "slave/uptime_secs": Date.now() / 1000 - c.start_time_s,
    "slave/ignored_master_messages": c.agent.counters.ignored_messages,
    "slave/invalid_master_messages": c.agent.counters.invalid_messages,
    "slave/registration_attempts": c.agent.counters.registrations,
    ...c.tasks?.metrics(),
  };
}
