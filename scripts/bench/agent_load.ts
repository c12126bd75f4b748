// Load generator for `npm run bench:agents` (scripts/bench/agents.ts starts one or more of
// these): simulates --count agents, each with its own WebSocket to the leading master's
// /agent/channel, speaking the agent protocol of host/agent/protocol.ts with the behaviour of
// host/agent/agent.ts (reimplemented here, lighter, so 40,000 agents fit in a few processes):
//   - the leader comes from ZooKeeper through the agent's own detector (host/agent/leader.ts),
//     one ZooKeeper session per load process instead of one per agent;
//   - on each detected leader an agent waits a random time in [0, --backoff-ms] (the agent's
//     registration_backoff_factor, 1 s by default), connects and sends REGISTER_SLAVE (or
//     REREGISTER_SLAVE with the id it was given), resending on a random back-off whose maximum
//     doubles from 2 × factor up to 1 minute until the master answers; a failed socket (refused
//     upgrade, connection refused, closed) is reopened on the same schedule;
//   - messages are trusted only when their master_id is the detected leader's; every PING_SLAVE
//     is answered with PONG_SLAVE; no ping within total_ping_timeout_seconds (75 s until the
//     master says) or a ping saying connected=false re-registers on a fresh socket;
//   - a RUN_TASK is answered with one STATUS_UPDATE TASK_RUNNING (nothing is run; bench:ui's
//     10,000 tasks), and acknowledgements are counted.
// The WebSocket client is a minimal RFC 6455 one over Bun.connect (HTTP/1.1 upgrade, masked
// client frames, text/ping/close frames): the same bytes on the wire as the real agent's,
// without a WebSocket object and an event per message for each of 40,000 sockets.
// Connections are spread over --dest addresses (127.0.0.x, all loopback; the masters bind
// 0.0.0.0) so that 40,000 sockets to one master port do not run out of ephemeral ports.
//
// With --credential=FILE each agent authenticates on every socket before registering (the
// HMAC challenge-response of host/agent/protocol.ts, checking the master's proof too), and
// with LIBPROCESS_SSL_ENABLED=true it speaks TLS (verifying the master against the CA and
// presenting the certificate of LIBPROCESS_SSL_CERT_FILE/KEY_FILE). An agent's pid carries the
// address it connects from, as the master checks the socket's address against it.
//
// Parent protocol: stdout carries one JSON object per line ({"ev": ...}); stdin takes "go" (start
// the agents on the detected leader) and "stop". Stderr is for diagnostics.
import type { Socket } from "bun";
import { leaderSource, type Leader } from "../../host/agent/leader.ts";
import { setLoggingLevel } from "../../host/logging.ts";
import { parseZkUrl } from "../../host/zk/url.ts";
import { AGENT_MAC_LABEL, MASTER_MAC_LABEL } from "../../host/agent/protocol.ts";
import { mac, macEqual, nonce } from "../../host/security/hmac.ts";
import { parseCredential, readSecretFile } from "../../host/security/secrets.ts";
import { clientTls, loadTls } from "../../host/security/tls.ts";

const arg = (name: string, fallback?: string): string => {
  const value = process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
  if (value === undefined) throw new Error(`--${name} is required`);
  return value;
};
/** zk://.../path as the agents' --master; --master=host:port names a static master instead (for debugging). */
const ZK = arg("zk", "");
const STATIC = arg("master", "");
const FIRST = Number(arg("first", "0"));
const COUNT = Number(arg("count"));
const DESTS = arg("dest", "127.0.0.1").split(",");
const BACKOFF_FACTOR_MS = Number(arg("backoff-ms", "1000"));
const PROGRESS_MS = Number(arg("progress-ms", "250"));
const SESSION_MS = Number(arg("zk-session-ms", "10000"));
const CREDENTIAL_FILE = arg("credential", "");
const CREDENTIAL = CREDENTIAL_FILE === "" ? null : parseCredential(readSecretFile(CREDENTIAL_FILE).text, CREDENTIAL_FILE);
const SECRET = CREDENTIAL === null ? null : new TextEncoder().encode(CREDENTIAL.secret);
const TLS = loadTls(process.env);
const TLS_CLIENT = TLS === null ? null : clientTls(TLS);

const VERSION = "1.12.0";
const DEFAULT_PING_TIMEOUT_MS = 75_000;
const REGISTER_RETRY_MAX_MS = 60_000;
const RETRY_MIN_MS = 50;
const CONNECT_GRACE_MS = 5_000;
const CAPABILITIES = [{ type: "MULTI_ROLE" }, { type: "HIERARCHICAL_ROLE" }];
/** A fixed key: the server only echoes its hash; the agent does not check it either. */
const HANDSHAKE_KEY = Buffer.from("mesos-agent-benc").toString("base64"); // 16 bytes, as RFC 6455 requires

const counters = {
  connects: 0, connect_errors: 0, refused: 0, closed: 0, registrations_sent: 0, reregistrations_sent: 0, authentications: 0, authentication_failures: 0,
  registered_replies: 0, reregistered_replies: 0, pings: 0, ignored: 0, invalid: 0, shutdowns: 0, ping_timeouts: 0,
  tasks_launched: 0, acknowledgements: 0,
};

function emit(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ ...event, t: Date.now() })}\n`);
}

// ---- the WebSocket client ----------------------------------------------------------------

type Phase = "handshake" | "open" | "closed";

/** One agent socket; `agent` gets frames and the close. */
class Conn {
  phase: Phase = "handshake";
  socket: Socket<Conn> | null = null;
  readonly opened_at_ms = Date.now();
  private buffer: Buffer | null = null;
  /** Frames queued before the socket connected (the agent sends on open, so rarely used). */
  private queued: Buffer[] = [];
  /** This socket's authentication: its nonce while in progress, then done (always done without a credential). */
  nonce_a: Uint8Array | null = null;
  nonce_m: Uint8Array | null = null;
  authenticated = CREDENTIAL === null;

  constructor(readonly agent: SimAgent, readonly host: string, readonly port: number) {
    counters.connects++;
    Bun.connect<Conn>({ hostname: host, port, data: this, socket: HANDLERS, ...(TLS_CLIENT === null ? {} : { tls: TLS_CLIENT }) }).catch(() => {
      counters.connect_errors++;
      this.fail("connection refused");
    });
  }

  isOpen(): boolean {
    return this.phase === "open";
  }

  sendText(text: string): void {
    const frame = encodeFrame(0x1, Buffer.from(text));
    if (this.phase === "open" && this.socket !== null) this.write(frame);
    else this.queued.push(frame);
  }

  write(frame: Buffer): void {
    // Small frames on an idle socket go out at once; a short write keeps the rest (rare here).
    const n = this.socket!.write(frame);
    if (n < frame.length) this.queued.unshift(frame.subarray(Math.max(0, n)));
  }

  drain(): void {
    while (this.queued.length > 0 && this.phase === "open") {
      const frame = this.queued.shift()!;
      const n = this.socket!.write(frame);
      if (n < frame.length) {
        this.queued.unshift(frame.subarray(Math.max(0, n)));
        return;
      }
    }
  }

  close(): void {
    if (this.phase === "closed") return;
    this.phase = "closed";
    this.queued = [];
    this.socket?.end();
  }

  fail(reason: string): void {
    if (this.phase === "closed") return;
    this.close();
    this.agent.channelClosed(this, reason);
  }

  connected(socket: Socket<Conn>): void {
    this.socket = socket;
    if (this.phase === "closed") return void socket.end();
    socket.write(`GET /agent/channel HTTP/1.1\r\nHost: ${this.host}:${this.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${HANDSHAKE_KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  }

  received(chunk: Buffer): void {
    if (this.phase === "closed") return;
    let data = this.buffer === null ? chunk : Buffer.concat([this.buffer, chunk]);
    this.buffer = null;
    if (this.phase === "handshake") {
      const end = data.indexOf("\r\n\r\n");
      if (end < 0) {
        this.buffer = data;
        return;
      }
      const status = data.subarray(0, data.indexOf("\r\n")).toString("latin1");
      if (!status.startsWith("HTTP/1.1 101")) {
        if (counters.refused++ < 3) process.stderr.write(`upgrade refused by ${this.host}:${this.port}: ${data.toString("latin1").slice(0, 300)}\n`);
        return this.fail(`upgrade refused: ${status}`);
      }
      this.phase = "open";
      data = data.subarray(end + 4);
      this.drain();
      this.agent.opened(this);
    }
    let offset = 0;
    while (this.phase === "open") {
      if (data.length - offset < 2) break;
      const b0 = data[offset]!;
      const b1 = data[offset + 1]!;
      let length = b1 & 0x7f;
      let header = 2;
      if (length === 126) {
        if (data.length - offset < 4) break;
        length = data.readUInt16BE(offset + 2);
        header = 4;
      } else if (length === 127) {
        if (data.length - offset < 10) break;
        length = Number(data.readBigUInt64BE(offset + 2));
        header = 10;
      }
      if (b1 & 0x80) header += 4; // servers do not mask; tolerate it anyway (no unmasking needed for our checks)
      if (data.length - offset < header + length) break;
      const payload = data.subarray(offset + header, offset + header + length);
      offset += header + length;
      const opcode = b0 & 0x0f;
      if (opcode === 0x1 || opcode === 0x2) this.agent.frame(this, payload);
      else if (opcode === 0x9) this.write(encodeFrame(0xa, payload));
      else if (opcode === 0x8) return this.fail(`socket closed (code ${payload.length >= 2 ? payload.readUInt16BE(0) : 1005})`);
    }
    if (offset < data.length && this.phase === "open") this.buffer = Buffer.from(data.subarray(offset));
  }
}

/** A client frame: FIN, opcode, masked with a zero key (valid per RFC 6455; the payload is unchanged). */
function encodeFrame(opcode: number, payload: Uint8Array): Buffer {
  const n = payload.length;
  const header = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + 4 + n);
  frame[0] = 0x80 | opcode;
  if (n < 126) {
    frame[1] = 0x80 | n;
  } else if (n < 65536) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(n, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(n), 2);
  }
  frame.writeUInt32BE(0, header);
  frame.set(payload, header + 4);
  return frame;
}

const PONG_FRAME = encodeFrame(0x1, Buffer.from(JSON.stringify({ type: "PONG_SLAVE" })));

const HANDLERS = {
  open(socket: Socket<Conn>) {
    socket.data.connected(socket);
  },
  data(socket: Socket<Conn>, chunk: Buffer) {
    socket.data.received(chunk);
  },
  drain(socket: Socket<Conn>) {
    socket.data.drain();
  },
  close(socket: Socket<Conn>) {
    counters.closed++;
    socket.data.fail("socket closed");
  },
  error(socket: Socket<Conn>) {
    socket.data.fail("socket error");
  },
  connectError(socket: Socket<Conn>) {
    counters.connect_errors++;
    socket.data.fail("connection refused");
  },
};

// ---- the agents ---------------------------------------------------------------------------

let leader: Leader | null = null;
/** Agents whose latest (re-)registration reply came from the current leader. */
let current_count = 0;
let epoch = 0;
let epoch_started_ms = 0;
let epoch_reported = false;
let registered_count = 0;

class SimAgent {
  state: "master_less" | "waiting" | "registering" | "registered" | "stopped" = "master_less";
  slave_id: string | null = null;
  conn: Conn | null = null;
  retry: ReturnType<typeof setTimeout> | null = null;
  backoff_max_ms = 0;
  ping_timeout_ms = DEFAULT_PING_TIMEOUT_MS;
  last_ping_ms = 0;
  epoch = 0;
  private readonly info: Record<string, unknown>;
  private readonly pid: string;
  private readonly dest: string;

  constructor(readonly index: number) {
    // Unique hostname and pid per agent (the master keys agents by pid); ports stay below 65536.
    // The master compares the pid's IP with the socket's address: each agent connects from one dest.
    this.dest = DESTS[index % DESTS.length]!;
    const port = 1024 + (Math.floor(index / DESTS.length) % 64000);
    this.pid = `slave(1)@${this.dest}:${port}`;
    this.info = {
      hostname: `agent-${index}.bench.local`, port,
      resources: [
        { name: "cpus", type: "SCALAR", scalar: { value: 16 }, role: "*" },
        { name: "mem", type: "SCALAR", scalar: { value: 63_488 }, role: "*" },
        { name: "disk", type: "SCALAR", scalar: { value: 470_000 }, role: "*" },
        { name: "ports", type: "RANGES", ranges: { range: [{ begin: 31000, end: 32000 }] }, role: "*" },
      ],
      attributes: [
        { name: "rack", type: "TEXT", text: { value: `rack-${index % 200}` } },
        { name: "zone", type: "TEXT", text: { value: `zone-${index % 3}` } },
      ],
      checkpoint: true,
    };
  }

  detected(next: Leader | null): void {
    if (this.state === "stopped") return;
    this.disconnect();
    if (next === null) {
      this.state = "master_less";
      return;
    }
    this.state = "waiting";
    this.backoff_max_ms = Math.max(RETRY_MIN_MS, 2 * BACKOFF_FACTOR_MS);
    this.last_ping_ms = Date.now();
    this.retry = setTimeout(() => this.attempt(), Math.random() * BACKOFF_FACTOR_MS);
  }

  stop(): void {
    this.disconnect();
    this.state = "stopped";
  }

  private disconnect(): void {
    if (this.retry !== null) clearTimeout(this.retry);
    this.retry = null;
    this.conn?.close();
    this.conn = null;
  }

  private attempt(): void {
    this.retry = null;
    if (leader === null || this.state === "registered" || this.state === "stopped") return;
    if (this.conn !== null && !this.conn.isOpen() && Date.now() - this.conn.opened_at_ms > CONNECT_GRACE_MS) {
      this.conn.close();
      this.conn = null;
    }
    if (this.conn === null) {
      const host = leader.host === "127.0.0.1" || leader.host === "0.0.0.0" ? this.dest : leader.host;
      this.conn = new Conn(this, host, leader.port);
    } else if (this.conn.isOpen() && this.conn.authenticated) {
      this.sendRegistration();
    }
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.retry !== null) clearTimeout(this.retry);
    const delay = Math.max(RETRY_MIN_MS, Math.random() * this.backoff_max_ms);
    this.backoff_max_ms = Math.min(REGISTER_RETRY_MAX_MS, this.backoff_max_ms * 2);
    this.retry = setTimeout(() => this.attempt(), delay);
  }

  opened(conn: Conn): void {
    if (conn !== this.conn) return;
    if (conn.authenticated) return this.sendRegistration();
    conn.nonce_a = nonce();
    conn.sendText(JSON.stringify({ type: "AUTHENTICATE", principal: CREDENTIAL!.principal, nonce: Buffer.from(conn.nonce_a).toString("base64") }));
  }

  /** The master's side of the exchange; false when the message is not one of it. */
  private authentication(conn: Conn, m: { type?: string; nonce?: string; mac?: string; message?: string }): boolean {
    const bytes = (b64: string | undefined) => new Uint8Array(Buffer.from(b64 ?? "", "base64"));
    switch (m.type) {
      case "AUTHENTICATION_CHALLENGE":
        if (conn.nonce_a === null || conn.nonce_m !== null) return true;
        conn.nonce_m = bytes(m.nonce);
        conn.sendText(JSON.stringify({ type: "AUTHENTICATION_RESPONSE",
          mac: Buffer.from(mac(SECRET!, AGENT_MAC_LABEL, [CREDENTIAL!.principal, conn.nonce_m, conn.nonce_a])).toString("base64") }));
        return true;
      case "AUTHENTICATED":
        if (conn.nonce_a === null || conn.nonce_m === null) return true;
        if (!macEqual(mac(SECRET!, MASTER_MAC_LABEL, [CREDENTIAL!.principal, conn.nonce_a, conn.nonce_m]), bytes(m.mac))) {
          counters.authentication_failures++;
          conn.fail("the master's proof is wrong");
          return true;
        }
        counters.authentications++;
        conn.authenticated = true;
        this.sendRegistration();
        return true;
      case "AUTHENTICATION_FAILED":
      case "AUTHENTICATION_ERROR":
        if (counters.authentication_failures++ < 3) process.stderr.write(`agent ${this.index}: ${m.type}: ${m.message}\n`);
        conn.fail(`${m.type}: ${m.message}`);
        return true;
      default:
        return false;
    }
  }

  channelClosed(conn: Conn, _reason: string): void {
    if (conn !== this.conn) return;
    this.conn = null;
    if (this.state === "registered") {
      this.state = "waiting";
      registered_count--;
      this.backoff_max_ms = Math.max(RETRY_MIN_MS, 2 * BACKOFF_FACTOR_MS);
    }
    if (this.retry === null && this.state !== "stopped" && this.state !== "master_less") this.scheduleRetry();
  }

  private sendRegistration(): void {
    if (this.conn === null) return;
    if (this.state === "registered") registered_count--;
    this.state = "registering";
    const common = { pid: this.pid, version: VERSION, agent_capabilities: CAPABILITIES };
    if (this.slave_id === null) {
      counters.registrations_sent++;
      this.conn.sendText(JSON.stringify({ type: "REGISTER_SLAVE", ...common, slave: this.info }));
    } else {
      counters.reregistrations_sent++;
      this.conn.sendText(JSON.stringify({ type: "REREGISTER_SLAVE", ...common, slave: { ...this.info, id: { value: this.slave_id } } }));
    }
  }

  frame(conn: Conn, payload: Buffer): void {
    if (conn !== this.conn) return void counters.ignored++;
    let m: { type?: string; master_id?: string; slave_id?: { value?: string }; connected?: boolean; connection?: { total_ping_timeout_seconds?: number } };
    try {
      m = JSON.parse(payload.toString("utf8"));
    } catch {
      return void counters.invalid++;
    }
    if (leader !== null && leader.id === null && typeof m.master_id === "string") leader.id = m.master_id; // a static master's id
    if (leader === null || m.master_id !== leader.id) return void counters.ignored++;
    if (this.authentication(conn, m as never)) return;
    switch (m.type) {
      case "SLAVE_REGISTERED":
      case "SLAVE_REREGISTERED":
        return this.registered(m.type, m.slave_id?.value ?? "", m.connection?.total_ping_timeout_seconds ?? 75);
      case "PING_SLAVE":
        counters.pings++;
        conn.write(PONG_FRAME);
        this.last_ping_ms = Date.now();
        if (m.connected === false && this.state === "registered") this.detected(leader);
        return;
      case "RUN_TASK":
        return this.runTask(conn, m as never);
      case "STATUS_UPDATE_ACKNOWLEDGEMENT":
        counters.acknowledgements++;
        return;
      case "SHUTDOWN":
        counters.shutdowns++;
        process.stderr.write(`agent ${this.index}: SHUTDOWN from the master: ${JSON.stringify(m)}\n`);
        return this.stop();
      default:
        counters.invalid++;
    }
  }

  /** A launched task is at once TASK_RUNNING, and stays so (nothing runs): enough for the master's and the UI's views of many tasks. */
  private runTask(conn: Conn, m: { framework?: { id?: { value?: string } }; task?: { task_id?: { value?: string } } }): void {
    counters.tasks_launched++;
    const uuid = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
    const timestamp = Date.now() / 1000;
    const status = { task_id: m.task?.task_id, state: "TASK_RUNNING", source: "SOURCE_EXECUTOR", agent_id: { value: this.slave_id }, timestamp, uuid };
    conn.sendText(JSON.stringify({ type: "STATUS_UPDATE", update: { framework_id: m.framework?.id, status, timestamp, uuid } }));
  }

  private registered(type: string, id: string, total_ping_timeout_seconds: number): void {
    if (type === "SLAVE_REGISTERED") counters.registered_replies++;
    else counters.reregistered_replies++;
    if (this.slave_id !== null && id !== this.slave_id) {
      process.stderr.write(`agent ${this.index}: ${type} names agent ${id}, but this agent is ${this.slave_id}; stopping it\n`);
      return this.stop();
    }
    this.slave_id = id;
    this.ping_timeout_ms = total_ping_timeout_seconds * 1000;
    this.last_ping_ms = Date.now();
    if (this.state === "registered") return;
    this.state = "registered";
    registered_count++;
    if (this.retry !== null) clearTimeout(this.retry);
    this.retry = null;
    if (this.epoch !== epoch) {
      this.epoch = epoch;
      current_count++;
      if (current_count === COUNT && !epoch_reported) {
        epoch_reported = true;
        emit({ ev: "all_current", leader: leader?.id, epoch, elapsed_ms: Date.now() - epoch_started_ms, counters });
      }
    }
  }

  /** The agent's no-ping timer, checked by one sweep instead of a timer per agent. */
  checkPing(now: number): void {
    if ((this.state === "registered" || this.state === "registering" || this.state === "waiting") && now - this.last_ping_ms > this.ping_timeout_ms) {
      counters.ping_timeouts++;
      this.detected(leader);
    }
  }
}

// ---- main ---------------------------------------------------------------------------------

setLoggingLevel("WARNING");
const zk = STATIC !== "" ? null : parseZkUrl(ZK);
if (typeof zk === "string") throw new Error(`--zk: expected ${zk}`);
const agents = Array.from({ length: COUNT }, (_, i) => new SimAgent(FIRST + i));
let started = false;

function newLeader(next: Leader | null): void {
  if (next?.id === leader?.id && next?.host === leader?.host && next?.port === leader?.port) return;
  leader = next;
  emit({ ev: "leader", leader: next === null ? null : { id: next.id, host: next.host, port: next.port } });
  if (!started) return;
  startEpoch();
}

function startEpoch(): void {
  epoch++;
  epoch_started_ms = Date.now();
  epoch_reported = false;
  current_count = 0;
  for (const agent of agents) agent.detected(leader);
}

const [static_host, static_port] = STATIC.split(":");
const source = leaderSource(zk === null ? { kind: "static", host: static_host!, port: Number(static_port), text: STATIC } : { kind: "zk", url: zk, text: ZK }, SESSION_MS);
source.start(newLeader, (reason) => {
  emit({ ev: "error", message: `leader detection failed: ${reason}` });
  process.exit(1);
});

setInterval(() => {
  const now = Date.now();
  for (const agent of agents) agent.checkPing(now);
}, 1000).unref();

let open_sockets = 0;
const progress = setInterval(() => {
  open_sockets = 0;
  for (const agent of agents) if (agent.conn?.isOpen()) open_sockets++;
  emit({ ev: "progress", epoch, current: current_count, registered: registered_count, open: open_sockets, counters });
}, PROGRESS_MS);

const reader = (async () => {
  let pending = "";
  for await (const chunk of Bun.stdin.stream()) {
    pending += new TextDecoder().decode(chunk);
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (line === "go" && !started) {
        started = true;
        emit({ ev: "started", leader: (leader as Leader | null)?.id ?? null });
        startEpoch();
      } else if (line === "stop") {
        return;
      }
    }
  }
})();

await reader; // "stop" or the parent closed our stdin
clearInterval(progress);
for (const agent of agents) agent.stop();
source.stop();
emit({ ev: "stopped", counters });
process.exit(0);
