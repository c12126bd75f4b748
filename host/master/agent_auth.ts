// The master's side of agent authentication (the handshake: host/agent/protocol.ts's header).
// One exchange per socket; its outcome is the socket's principal, which agents.ts binds to the
// agent ids registered on it. Like Mesos's master: with credentials loaded, any agent that asks
// is authenticated (even without --authenticate_agents); with none, every request is refused
// (Mesos's CRAM-MD5 authenticator "refuses authentication requests" without credentials, and
// the agent exits); with --authenticate_agents an unauthenticated socket's frames are dropped.
// Challenges in flight are bounded (AUTHENTICATIONS_PENDING_MAX) and expire after
// AUTHENTICATION_TIMEOUT_MS (Mesos's --authentication_v0_timeout default), so sockets that
// open an exchange and go quiet cannot pin the master's memory.
import { AGENT_MAC_LABEL, type AuthenticationAgentMessage, MASTER_MAC_LABEL } from "../agent/protocol.ts";
import { logger } from "../logging.ts";
import type { Credentials } from "../security/credentials.ts";
import { mac, macEqual, nonce } from "../security/hmac.ts";
import type { AgentConnection, Counter } from "./agent_types.ts";
import type { AgentClock } from "./rate_limiter.ts";

const log = logger("agent_auth.ts");

export const AUTHENTICATIONS_PENDING_MAX = 1024;
export const AUTHENTICATION_TIMEOUT_MS = 15_000;
/** MAC'd in place of an unknown principal's secret, so the answer takes as long as for a known one. */
const UNKNOWN_SECRET = new TextEncoder().encode("\u0000no-such-principal\u0000");

type AuthenticationReply =
  | { type: "AUTHENTICATION_CHALLENGE"; nonce: Uint8Array }
  | { type: "AUTHENTICATED"; mac: Uint8Array }
  | { type: "AUTHENTICATION_FAILED" | "AUTHENTICATION_ERROR"; message: string };

export interface AgentAuthenticationOptions {
  /** --credentials; null: requests are refused. */
  credentials: Credentials | null;
  /** --authenticate_agents: only authenticated sockets may speak. */
  required: boolean;
  clock: AgentClock;
  count(name: Counter): void;
  /** Sends with the master's id added. */
  send(conn: AgentConnection, message: AuthenticationReply): void;
}

interface Pending {
  principal: string;
  nonce_a: Uint8Array;
  nonce_m: Uint8Array;
  timer: unknown;
}

export class AgentAuthentication {
  private readonly pending = new Map<AgentConnection, Pending>();
  /** Sockets that began an exchange, whatever came of it: a socket authenticates once. */
  private readonly attempted = new WeakSet<AgentConnection>();

  constructor(private readonly options: AgentAuthenticationOptions) {}

  get required(): boolean {
    return this.options.required;
  }

  /** How many exchanges are waiting for the agent's response. */
  get inProgress(): number {
    return this.pending.size;
  }

  handle(conn: AgentConnection, m: AuthenticationAgentMessage): void {
    if (m.type === "AUTHENTICATE") return this.begin(conn, m.principal, m.nonce);
    this.respond(conn, m.mac);
  }

  /**
   * Whether a frame other than the handshake may go on: not while an exchange is in progress
   * (the agent registers only once it is answered), and with --authenticate_agents only on an
   * authenticated socket. A refused frame is logged and counted.
   */
  admits(conn: AgentConnection, type: string): boolean {
    const why = this.pending.has(conn) ? "its authentication is still in progress"
      : this.options.required && conn.principal === null ? "it is not authenticated" : null;
    if (why === null) return true;
    log.warning(`Refusing ${type} from agent connection ${conn.remote} because ${why}`);
    this.options.count("master/unauthenticated_agent_messages");
    this.options.count("master/dropped_messages");
    return false;
  }

  /** The socket closed: its exchange, if any, is over. */
  closed(conn: AgentConnection): void {
    this.release(conn);
  }

  stop(): void {
    for (const conn of [...this.pending.keys()]) this.release(conn);
  }

  private begin(conn: AgentConnection, principal: string, nonce_a: Uint8Array): void {
    this.options.count("master/messages_authenticate");
    if (this.attempted.has(conn)) {
      log.warning(`Dropping AUTHENTICATE from agent connection ${conn.remote}: it already authenticated or tried to (one exchange per socket)`);
      return this.options.count("master/dropped_messages");
    }
    this.attempted.add(conn);
    if (this.options.credentials === null) {
      return this.end(conn, "AUTHENTICATION_FAILED", "Authentication refused: this master has no --credentials",
        `Refusing to authenticate principal ${JSON.stringify(principal)} at ${conn.remote}: no credentials are loaded`);
    }
    if (this.pending.size >= AUTHENTICATIONS_PENDING_MAX) {
      return this.end(conn, "AUTHENTICATION_ERROR", "Too many authentications in progress; try again later",
        `Refusing to authenticate ${conn.remote}: ${AUTHENTICATIONS_PENDING_MAX} authentications already in progress`);
    }
    log.info(`Authenticating principal ${JSON.stringify(principal)} at ${conn.remote}`);
    const nonce_m = nonce();
    const timer = this.options.clock.setTimeout(() => this.expire(conn), AUTHENTICATION_TIMEOUT_MS);
    this.pending.set(conn, { principal, nonce_a, nonce_m, timer });
    this.options.send(conn, { type: "AUTHENTICATION_CHALLENGE", nonce: nonce_m });
  }

  private respond(conn: AgentConnection, given: Uint8Array): void {
    const p = this.pending.get(conn);
    if (p === undefined) {
      log.warning(`Dropping AUTHENTICATION_RESPONSE from agent connection ${conn.remote}: no challenge is outstanding`);
      return this.options.count("master/dropped_messages");
    }
    this.release(conn);
    const secret = this.options.credentials?.secretOf(p.principal) ?? null;
    const expected = mac(secret ?? UNKNOWN_SECRET, AGENT_MAC_LABEL, [p.principal, p.nonce_m, p.nonce_a]);
    if (!macEqual(expected, given) || secret === null) {
      return this.end(conn, "AUTHENTICATION_FAILED", "Authentication failed: invalid credentials",
        `Authentication of principal ${JSON.stringify(p.principal)} at ${conn.remote} was unsuccessful: invalid credentials`);
    }
    conn.principal = p.principal;
    log.info(`Successfully authenticated principal ${JSON.stringify(p.principal)} at ${conn.remote}`);
    this.options.send(conn, { type: "AUTHENTICATED", mac: mac(secret, MASTER_MAC_LABEL, [p.principal, p.nonce_a, p.nonce_m]) });
  }

  private expire(conn: AgentConnection): void {
    if (!this.pending.has(conn)) return;
    this.release(conn);
    this.end(conn, "AUTHENTICATION_ERROR", "Authentication timed out", `Authentication of ${conn.remote} timed out`);
  }

  /** Answers a failed or impossible exchange and closes the socket (the agent starts afresh on a new one). */
  private end(conn: AgentConnection, type: "AUTHENTICATION_FAILED" | "AUTHENTICATION_ERROR", message: string, line: string): void {
    log.warning(line);
    this.options.count("master/agent_authentication_failures");
    this.options.send(conn, { type, message });
    conn.close(message);
  }

  private release(conn: AgentConnection): void {
    const p = this.pending.get(conn);
    if (p === undefined) return;
    this.options.clock.clearTimeout(p.timer);
    this.pending.delete(conn);
  }
}
