// The tasks' sandboxes through the master (beyond Mesos, whose master's /files serves only its
// own log): /files/{browse,read,download} on the leader answer for the virtual path
// `/agents/<agent id><path on that agent>` by asking that agent's own /files/* with the
// caller's credentials (the agent authenticates them again) over the master's TLS identity,
// so a page on the master's origin reads any sandbox without reaching agents itself (no jsonp,
// no cross-origin requests, redirects to the leader as every leader-only route). Browse
// listings come back with their paths under the same prefix; /files/debug maps each
// registered agent's prefix to the agent's files service.
import { clientTls, schemes } from "../security/tls.ts";
import { ipOfPid, portOfPid } from "./agent_types.ts";
import type { Master } from "./master.ts";

export const AGENT_FILES_PREFIX = "/agents/";
/** How long the master waits for an agent's answer. */
const FORWARD_TIMEOUT_MS = 10_000;

export type ForwardedOperation = "browse" | "read" | "download";

/** The agent's files service base URL, `http(s)://ip:port/files`. */
function agentFilesUrl(master: Master, pid: string): string {
  return `${schemes(master.security.tls).http}://${ipOfPid(pid)}:${portOfPid(pid)}/files`;
}

export function sandboxesDebug(master: Master): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [id, agent] of [...master.agents.registered].sort(([a], [b]) => (a < b ? -1 : 1))) out[`${AGENT_FILES_PREFIX}${id}`] = agentFilesUrl(master, agent.pid);
  return out;
}

/**
 * The agent's answer for `path` (already checked to start with the prefix): its JSON (for the
 * caller to send, jsonp= applied), its response as it is (a download, a refusal), or the
 * master's own: 404 for an agent it does not know, 503 when the agent cannot be reached.
 */
export async function forwardToAgent(master: Master, operation: ForwardedOperation, path: string, request: Request): Promise<Response | { json: unknown }> {
  const rest = path.slice(AGENT_FILES_PREFIX.length);
  const slash = rest.indexOf("/");
  const agent_id = slash < 0 ? rest : rest.slice(0, slash);
  const agent = master.agents.registered.get(agent_id);
  if (agent === undefined) return new Response("", { status: 404 });
  const query = new URLSearchParams(new URL(request.url).search);
  query.set("path", slash < 0 ? "/" : rest.slice(slash));
  query.delete("jsonp"); // the master wraps the rewritten answer itself
  const headers: Record<string, string> = {};
  const authorization = request.headers.get("authorization");
  if (authorization !== null) headers.authorization = authorization;
  const tls = master.security.tls;
  let answer: Response;
  try {
    answer = await fetch(`${agentFilesUrl(master, agent.pid)}/${operation}?${query}`, {
      headers, signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS), ...(tls === null ? {} : { tls: clientTls(tls) }),
    } as RequestInit);
  } catch (error) {
    return new Response(`Failed to reach agent ${agent_id} at ${agent.pid}: ${(error as Error).message}`, { status: 503 });
  }
  // A fetched Response's headers are immutable; the caller may add CORS headers.
  if (answer.status !== 200 || operation === "download") return new Response(answer.body, { status: answer.status, headers: answer.headers });
  const body = (await answer.json()) as unknown;
  if (operation !== "browse" || !Array.isArray(body)) return { json: body };
  const prefix = `${AGENT_FILES_PREFIX}${agent_id}`;
  return { json: body.map((f: { path: string }) => ({ ...f, path: `${prefix}${f.path}` })) };
}
