// A fake agent for the agent channel's security tests: a raw WebSocket to a master's
// /agent/channel speaking the channel's JSON by hand (host/agent/protocol.ts), recording
// everything the master sends, able to run the authentication handshake with any principal
// and secret (a right one, a wrong one, none at all) and to send whatever a test forges.
import { AGENT_CHANNEL_PATH, AGENT_MAC_LABEL, encodeMessage, MASTER_MAC_LABEL } from "../../host/agent/protocol.ts";
import { mac, macEqual, nonce } from "../../host/security/hmac.ts";
import { until } from "./log_cluster.ts";

type Json = Record<string, any>;

export class FakeAgent {
  readonly received: Json[] = [];
  opened = false;
  closed = false;
  private readonly socket: WebSocket;

  /** Dials ws:// (or wss:// with `tls`) to the master at 127.0.0.1:`port`. */
  constructor(port: number, tls?: { ca: string; cert: string; key: string }) {
    const url = `${tls ? "wss" : "ws"}://127.0.0.1:${port}${AGENT_CHANNEL_PATH}`;
    this.socket = tls ? new WebSocket(url, { tls }) : new WebSocket(url);
    this.socket.onopen = () => (this.opened = true);
    this.socket.onmessage = (event) => this.received.push(JSON.parse(String(event.data)) as Json);
    this.socket.onclose = () => (this.closed = true);
    this.socket.onerror = () => (this.closed = true);
  }

  async open(): Promise<this> {
    await until(() => this.opened || this.closed, "the fake agent's socket");
    if (!this.opened) throw new Error("the fake agent's socket did not open");
    return this;
  }

  send(message: Json): void {
    this.socket.send(encodeMessage(message as never));
  }

  /** The first message of `type` the master sent. */
  async next(type: string): Promise<Json> {
    return await until(() => this.received.find((m) => m.type === type), `${type} at the fake agent`);
  }

  types(): string[] {
    return this.received.map((m) => m.type as string);
  }

  /**
   * Runs the handshake as `principal` with `secret`; resolves with the master's last answer
   * (AUTHENTICATED, whose proof is checked, AUTHENTICATION_FAILED or AUTHENTICATION_ERROR).
   */
  async authenticate(principal: string, secret: string): Promise<Json> {
    const key = new TextEncoder().encode(secret);
    const nonce_a = nonce();
    this.send({ type: "AUTHENTICATE", principal, nonce: nonce_a });
    const challenge = await this.next("AUTHENTICATION_CHALLENGE");
    const nonce_m = new Uint8Array(Buffer.from(challenge.nonce as string, "base64"));
    this.send({ type: "AUTHENTICATION_RESPONSE", mac: mac(key, AGENT_MAC_LABEL, [principal, nonce_m, nonce_a]) });
    const answer = await until(() => this.received.find((m) => ["AUTHENTICATED", "AUTHENTICATION_FAILED", "AUTHENTICATION_ERROR"].includes(m.type)), "the master's answer");
    if (answer.type === "AUTHENTICATED") {
      const proof = new Uint8Array(Buffer.from(answer.mac as string, "base64"));
      if (!macEqual(proof, mac(key, MASTER_MAC_LABEL, [principal, nonce_a, nonce_m]))) throw new Error("the master's proof is wrong");
    }
    return answer;
  }

  close(): void {
    this.socket.close();
  }
}
