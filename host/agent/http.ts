// The agent's own HTTP port (--port, default 5051), as Mesos's agent serves it: /health, /state,
// /flags, /version, /metrics/snapshot (and /metrics, the same in Prometheus's format), /containers, /monitor/statistics, each on `/` and under
// the agent's process id `/slave(1)/`; the files service /files/{browse,read,download,debug}
// over its tasks' sandboxes (host/files/); and the v1 operator API, POST /api/v1
// (operator_api.ts). Every JSON read honours jsonp= (text/javascript) as the master does, which
// the Mesos web UI needs to read an agent from the master's page. With TLS the port speaks only
// TLS. With --authenticate_http_readonly every read but /health and /version (open in Mesos
// too, for load balancers and probes) needs HTTP Basic against --http_credentials (realm
// mesos-agent-readonly); /api/v1 needs it with either flag (realm mesos-agent-readwrite when
// --authenticate_http_readwrite is on): Mesos guards it only with the readwrite flag, but its
// reads show as much as /state.
import { renderFlags } from "../flags.ts";
import { json, text } from "../../http/respond.ts";
import { answerFormat, NOT_ACCEPTABLE_EITHER, protobufAnswer, readCallBody } from "../../http/negotiation.ts";
import { FILES_OPERATIONS, type FilesOperation, filesResponse } from "../files/http.ts";
import type { Files } from "../files/files.ts";
import { authenticateBasic, unauthorized } from "../security/basic.ts";
import { serverTls } from "../security/tls.ts";
import { MESOS_VERSION } from "../version.ts";
import { AGENT_FLAGS } from "./flags.ts";
import { containersJson, monitorStatisticsJson } from "./monitor.ts";
import { dispatchAgentCall, parseAgentJson, readAgentCall } from "./operator_api.ts";
import { agentMetrics, agentMetricValues, agentRuns, type AgentHttpContext, agentState, sandboxFiles } from "./state.ts";
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from "../prometheus.ts";

export { agentState, type AgentHttpContext } from "./state.ts";

const PROCESS_PREFIX = "/slave(1)";
export const READONLY_REALM = "mesos-agent-readonly";
export const READWRITE_REALM = "mesos-agent-readwrite";
/** Endpoints anyone may call, whatever the authentication flags. */
const OPEN_PATHS: ReadonlySet<string> = new Set(["/health", "/version"]);
/** A v1 call body larger than this is refused. */
const CALL_BODY_BYTES_MAX = 1024 * 1024;

type Read = (c: AgentHttpContext, request: Request, files: Files) => Response;

const READS: Record<string, Read> = {
  "/health": () => new Response("", { status: 200 }),
  "/state": (c, r) => json(agentState(c), r),
  "/state.json": (c, r) => json(agentState(c), r),
  "/flags": (c, r) => json({ flags: renderFlags(AGENT_FLAGS, c.flags) }, r),
  "/version": (_c, r) => json({ version: MESOS_VERSION }, r),
  "/metrics/snapshot": (c, r) => json(agentMetrics(c), r),
  "/metrics": (c) => new Response(renderPrometheus(agentMetricValues(c)), { headers: { "content-type": PROMETHEUS_CONTENT_TYPE } }),
  "/containers": (c, r) => json(containersJson(agentRuns(c)), r),
  "/monitor/statistics": (c, r) => json(monitorStatisticsJson(agentRuns(c)), r),
  "/monitor/statistics.json": (c, r) => json(monitorStatisticsJson(agentRuns(c)), r),
  ...Object.fromEntries(FILES_OPERATIONS.map((op: FilesOperation) => [`/files/${op}`, (_c: AgentHttpContext, r: Request, files: Files) => filesResponse(op, r, files)])),
};

export function serveAgentHttp(bind_ip: string, port: number, context: AgentHttpContext) {
  const tls = context.security?.tls ?? null;
  const files = sandboxFiles(context);
  return Bun.serve({ hostname: bind_ip, port, fetch: (request) => route(request, context, files), ...(tls === null ? {} : { tls: serverTls(tls) }) });
}

async function route(request: Request, context: AgentHttpContext, files: Files): Promise<Response> {
  let path = new URL(request.url).pathname;
  if (path.startsWith(`${PROCESS_PREFIX}/`)) path = path.slice(PROCESS_PREFIX.length);
  else if (path.startsWith("/slave%281%29/")) path = path.slice("/slave%281%29".length);
  if (path === "/api/v1") return operatorCall(request, context, files);
  const read = READS[path];
  if (read === undefined) return new Response("", { status: 404 });
  if (request.method !== "GET" && request.method !== "HEAD") return new Response("", { status: 405, headers: { allow: "GET" } });
  if (context.flags.authenticate_http_readonly && !OPEN_PATHS.has(path)) {
    const refused = authenticationRefusal(request, context, READONLY_REALM);
    if (refused !== null) return refused;
  }
  return read(context, request, files);
}

function authenticationRefusal(request: Request, context: AgentHttpContext, realm: string): Response | null {
  // parseAgentFlags refuses either flag without --http_credentials; none here refuses everyone.
  const credentials = context.security?.http_credentials ?? null;
  const result = credentials === null ? { ok: false as const, reason: "No HTTP credentials are configured" } : authenticateBasic(request, credentials);
  return result.ok ? null : unauthorized(realm, result.reason);
}

/** POST /api/v1 in Mesos's order: authentication, method, Content-Type, body, Accept, the call. */
async function operatorCall(request: Request, context: AgentHttpContext, files: Files): Promise<Response> {
  const { authenticate_http_readonly, authenticate_http_readwrite } = context.flags;
  if (authenticate_http_readonly || authenticate_http_readwrite) {
    const refused = authenticationRefusal(request, context, authenticate_http_readwrite ? READWRITE_REALM : READONLY_REALM);
    if (refused !== null) return refused;
  }
  if (request.method !== "POST") return text(`Expecting one of { 'POST' }, but received '${request.method}'`, 405, { allow: "POST" });
  const body = await readCallBody(request.headers, () => request.bytes(), { message: "mesos.v1.agent.Call", bytes_max: CALL_BODY_BYTES_MAX, parseJson: parseAgentJson });
  if (!("value" in body)) return text(body.message, body.status);
  const call = readAgentCall(body.value);
  if (!("type" in call)) return text(call.message, call.status);
  const format = answerFormat(request.headers.get("accept"));
  if (format === null) return text(NOT_ACCEPTABLE_EITHER, 406);
  const reply = dispatchAgentCall(context, files, call);
  if ("message" in reply) return text(reply.message, reply.status);
  return format === "protobuf" ? protobufAnswer(reply.json, "mesos.v1.agent.Response") : json(reply.json, request);
}
