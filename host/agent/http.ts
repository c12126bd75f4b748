// The agent's own HTTP port (--port, default 5051): /health, /state, /flags (and /version,
// /metrics/snapshot), each on `/` and under the agent's process id `/slave(1)/`, as Mesos's
// agent serves them. /state has Mesos's fields (resources and attributes in its summary form,
// plus the v1 Resource list as unreserved_resources_full) and `registered`, ours; its frameworks
// with their tasks, and slave/tasks_* metrics, come from the agent's tasks (tasks/tasks.ts).
// With TLS on the port speaks only TLS. Every endpoint here reads state, so with
// --authenticate_http_readonly all but /health and /version (open in Mesos too, for load
// balancers and probes) need HTTP Basic against --http_credentials (realm mesos-agent-readonly);
// --authenticate_http_readwrite guards no endpoint yet, as none changes state.
import { renderFlags } from "../flags.ts";
import { authenticateBasic, unauthorized } from "../security/basic.ts";
import { serverTls } from "../security/tls.ts";
import type { SlaveInfo } from "../registry/types.ts";
import { MESOS_VERSION } from "../version.ts";
import { AGENT_CAPABILITIES, type Agent } from "./agent.ts";
import { AGENT_FLAGS, type AgentFlags } from "./flags.ts";
import type { AgentSecurity } from "./security.ts";
import type { AgentTasks } from "./tasks/tasks.ts";
import { type Attribute, type Resource, summarizeAttributes, summarizeResources } from "./resources.ts";

const PROCESS_PREFIX = "/slave(1)";
export const READONLY_REALM = "mesos-agent-readonly";
/** Endpoints anyone may call, whatever the authentication flags. */
const OPEN_PATHS: ReadonlySet<string> = new Set(["/health", "/version"]);

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

export function serveAgentHttp(bind_ip: string, port: number, context: AgentHttpContext) {
  const tls = context.security?.tls ?? null;
  return Bun.serve({ hostname: bind_ip, port, fetch: (request) => route(request, context), ...(tls === null ? {} : { tls: serverTls(tls) }) });
}

function route(request: Request, context: AgentHttpContext): Response {
  let path = new URL(request.url).pathname;
  if (path.startsWith(`${PROCESS_PREFIX}/`)) path = path.slice(PROCESS_PREFIX.length);
  else if (path.startsWith("/slave%281%29/")) path = path.slice("/slave%281%29".length);
  const handler = ROUTES[path];
  if (handler === undefined) return new Response("", { status: 404 });
  if (request.method !== "GET" && request.method !== "HEAD") return new Response("", { status: 405, headers: { allow: "GET" } });
  const credentials = context.security?.http_credentials ?? null;
  if (context.flags.authenticate_http_readonly && !OPEN_PATHS.has(path)) {
    // parseAgentFlags refuses --authenticate_http_readonly without --http_credentials; none here refuses everyone.
    const result = credentials === null ? { ok: false as const, reason: "No HTTP credentials are configured" } : authenticateBasic(request, credentials);
    if (!result.ok) return unauthorized(READONLY_REALM, result.reason);
  }
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
