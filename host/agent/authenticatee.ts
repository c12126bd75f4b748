// The agent's side of authentication with the master (the handshake: protocol.ts's header):
// one exchange per socket, begun afresh on every socket, so no nonce outlives its socket. The
// agent answers a challenge only after asking for one on that socket, and believes the master
// only once it proved it holds the same secret.
import { type Credential } from "../security/secrets.ts";
import { mac, macEqual, nonce } from "../security/hmac.ts";
import { AGENT_MAC_LABEL, type AuthenticationAgentMessage, MASTER_MAC_LABEL } from "./protocol.ts";

/**
 * How long the agent waits for the master to finish an exchange before it drops the socket
 * and retries (Mesos's --authentication_timeout_min default; the retry backs off like registration).
 */
export const AUTHENTICATION_TIMEOUT_MS = 5_000;

export class Authenticatee {
  private readonly secret: Uint8Array;
  private nonce_a: Uint8Array | null = null;
  private nonce_m: Uint8Array | null = null;

  constructor(private readonly credential: Credential) {
    this.secret = new TextEncoder().encode(credential.secret);
  }

  get principal(): string {
    return this.credential.principal;
  }

  /** The first frame of a new socket; forgets any earlier exchange. */
  start(): AuthenticationAgentMessage {
    this.nonce_a = nonce();
    this.nonce_m = null;
    return { type: "AUTHENTICATE", principal: this.credential.principal, nonce: this.nonce_a };
  }

  /** The answer to the master's challenge; null when this exchange asked for none or was already challenged. */
  respond(nonce_m: Uint8Array): AuthenticationAgentMessage | null {
    if (this.nonce_a === null || this.nonce_m !== null) return null;
    this.nonce_m = nonce_m;
    return { type: "AUTHENTICATION_RESPONSE", mac: mac(this.secret, AGENT_MAC_LABEL, [this.principal, nonce_m, this.nonce_a]) };
  }

  /** Whether the master's proof is right for this exchange (which then ends either way). */
  verify(mac_m: Uint8Array): boolean {
    const { nonce_a, nonce_m } = this;
    this.nonce_a = this.nonce_m = null;
    if (nonce_a === null || nonce_m === null) return false;
    return macEqual(mac(this.secret, MASTER_MAC_LABEL, [this.principal, nonce_a, nonce_m]), mac_m);
  }
}
