// Cross-origin reads between the masters of one cluster, for the web UI: a page loaded from one
// master keeps working when that master dies or is not the leader, by calling the others
// directly. Only origins that are this cluster's masters are allowed (this master, the leader
// it sees, the log's replicas and --masters, each as host:port); the page sends credentials
// itself (an Authorization header), never cookies, so no Allow-Credentials. Any other origin
// gets no CORS headers, and the browser keeps the answer from it.
import type { Master } from "../host/master/master.ts";
import { ipOfPid, portOfPid } from "../host/master/agent_types.ts";

const ALLOWED_HEADERS = "authorization, content-type, accept";
const PREFLIGHT_MAX_AGE_S = 600;

function clusterHosts(master: Master): Set<string> {
  const hosts = new Set<string>();
  const add = (host: string, port: number) => hosts.add(`${host}:${port}`.toLowerCase());
  for (const info of [master.info, master.leader()]) {
    if (info === null) continue;
    add(info.hostname, info.port);
    add(ipOfPid(info.pid), portOfPid(info.pid));
  }
  for (const replica of master.replication.log()?.describe().replicas ?? []) hosts.add(replica.toLowerCase());
  for (const m of master.flags.masters ?? []) add(m.host, m.port);
  return hosts;
}

/** The Origin header when it names one of this cluster's masters, else null. */
export function allowedOrigin(master: Master, request: Request): string | null {
  const origin = request.headers.get("origin");
  if (origin === null) return null;
  let host: string;
  try {
    const url = new URL(origin);
    host = `${url.hostname}:${url.port === "" ? (url.protocol === "https:" ? 443 : 80) : url.port}`;
  } catch {
    return null;
  }
  return clusterHosts(master).has(host.toLowerCase()) ? origin : null;
}

/** The preflight answer for an allowed origin (204), or null to handle the request as usual. */
export function preflight(master: Master, request: Request): Response | null {
  if (request.method !== "OPTIONS") return null;
  const origin = allowedOrigin(master, request);
  if (origin === null) return null;
  return new Response(null, {
    status: 204,
    headers: {
      "access-control-allow-origin": origin, "access-control-allow-methods": "GET, POST", "access-control-allow-headers": ALLOWED_HEADERS,
      "access-control-max-age": String(PREFLIGHT_MAX_AGE_S), vary: "Origin",
    },
  });
}

/** Adds the CORS headers to an answer for an allowed origin. */
export function withCors(master: Master, request: Request, response: Response): Response {
  const origin = allowedOrigin(master, request);
  if (origin === null) return response;
  response.headers.set("access-control-allow-origin", origin);
  response.headers.set("access-control-expose-headers", "location");
  response.headers.append("vary", "Origin");
  return response;
}
