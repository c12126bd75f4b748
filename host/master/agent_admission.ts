// Who may speak for an agent id (issue #13). A pid is only what the client says, so the IP it
// names must be the socket's own peer address; and an agent id, once (re-)registered by an
// authenticated principal, may be re-registered only by that principal while this master
// leads. The registry stores no principals, so after a failover the first principal to
// re-register an id binds it (still from the IP its pid names). An id bound by no principal
// (registered unauthenticated, on a master without --authenticate_agents) is bound by the
// first principal that re-registers it.
import type { AgentConnection } from "./agent_types.ts";
import { ipOfPid } from "./agent_types.ts";

/** Null when the pid's IP is the socket's, else why not. */
export function addressRefusal(conn: AgentConnection, pid: string): string | null {
  const ip = ipOfPid(pid);
  return ip === conn.ip ? null : `its pid ${pid} names ${ip} but its socket comes from ${conn.ip}`;
}

/** Null when `conn` may speak for agent `id` bound to `bound` (undefined or null: no principal), else why not. */
export function principalRefusal(id: string, bound: string | null | undefined, conn: AgentConnection): string | null {
  if (bound === undefined || bound === null || bound === conn.principal) return null;
  const who = conn.principal === null ? "an unauthenticated socket" : `principal ${JSON.stringify(conn.principal)}`;
  return `agent ${id} is bound to principal ${JSON.stringify(bound)}, not to ${who}`;
}
