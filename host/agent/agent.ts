// The agent's side of registration and health (mesos-spec §2.6, §5.1–5.3). On each detected
// leader it waits a random time in [0, registration_backoff_factor], connects, and registers
// (or re-registers with its checkpointed id), resending with exponential back-off (random in
// [0, max], max doubling from 2×factor up to 1 minute) until the master answers; a failed socket
// is reopened on the same schedule. It trusts only messages on the socket it opened to the
// detected leader that carry that leader's id; with no leader it has no socket and acts on
// nothing. Pings are answered and re-arm a no-ping timer (total_ping_timeout_seconds, 75 s until
// a master says otherwise) whose expiry, like a ping saying connected=false while registered,
// re-detects: a fresh socket and re-registration.
// With a credential the agent authenticates first on every socket (authenticatee.ts), and
// registers only once the master proved it holds the secret too; until then it acts on nothing
// else from that socket. A master that refuses the credential makes it exit 1 (its tasks keep
// running, as Mesos's agent exits on refused authentication); a master that fails to prove
// itself, answers AUTHENTICATION_ERROR or does not answer in AUTHENTICATION_TIMEOUT_MS is
// left: a fresh socket follows on the registration back-off.
import { formatDuration } from "../duration.ts";
import { logger } from "../logging.ts";
import type { SlaveInfo } from "../registry/types.ts";
import type { Credential } from "../security/secrets.ts";
import { MESOS_VERSION } from "../version.ts";
import { AUTHENTICATION_TIMEOUT_MS, Authenticatee } from "./authenticatee.ts";
import type { AgentChannel, ChannelFactory } from "./channel.ts";
import type { Leader } from "./leader.ts";
import { type AgentMessage, type AuthenticationMasterMessage, type MasterMessage, parseMasterMessage, ProtocolError } from "./protocol.ts";
import type { SlaveMeta } from "./state_dir.ts";
import type { ReportedTask, StatusUpdate, TaskMasterMessage } from "./task_protocol.ts";

/** The agent's tasks as registration sees them (tasks/tasks.ts's AgentTasks). */
export interface AgentTaskHandler {
  handle(message: TaskMasterMessage): void;
  /** (Re-)registered: unacknowledged updates go out. */
  registered(): void;
  /** No registered master any more. */
  disconnected(): void;
  reported(): { tasks: ReportedTask[]; frameworks: ({ id: { value: string } } & Record<string, unknown>)[] };
  /** The master shut the agent down: every task is killed. */
  killAll(): void;
}

const log = logger("agent.ts");

export const DEFAULT_PING_TIMEOUT_MS = 75_000;
export const REGISTER_RETRY_MAX_MS = 60_000;
/** Shortest wait between attempts, so a zero backoff factor cannot spin. */
const RETRY_MIN_MS = 50;
/** A socket still connecting after this long is replaced by a fresh one on the next attempt. */
const CONNECT_GRACE_MS = 5_000;
/** What this agent can do, as Mesos's SlaveInfo capabilities. */
export const AGENT_CAPABILITIES = ["MULTI_ROLE", "HIERARCHICAL_ROLE"] as const;

export type AgentPhase = "master_less" | "waiting" | "authenticating" | "registering" | "registered";

export interface AgentOptions {
  /** The SlaveInfo without id: {hostname, port, resources, attributes, checkpoint}. */
  info: Omit<SlaveInfo, "id">;
  pid: string;
  recovered: SlaveMeta | null;
  registration_backoff_factor_ms: number;
  channel: ChannelFactory;
  /** Checkpoints the identity (writeSlaveMeta); throws on failure. */
  persist(meta: SlaveMeta): void;
  exit(status: number): void;
  random?: () => number;
  tasks?: AgentTaskHandler;
  /** --credential: authenticate with the master on every socket before registering. */
  credential?: Credential | null;
}

export class Agent {
  readonly counters = { ignored_messages: 0, invalid_messages: 0, pongs: 0, registrations: 0, authentication_failures: 0 };
  private state: AgentPhase = "master_less";
  private leader: Leader | null = null;
  /** The id this agent trusts: the detected leader's, or learned from a static master's first message. */
  private master_id: string | null = null;
  private channel: AgentChannel | null = null;
  private slave_id: string | null;
  private ping_timeout_ms = DEFAULT_PING_TIMEOUT_MS;
  private backoff_max_ms = 0;
  private retry_timer: ReturnType<typeof setTimeout> | null = null;
  private ping_timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private readonly random: () => number;
  private readonly authenticatee: Authenticatee | null;
  /** The socket whose master proved itself (with a credential, registration goes out only on it). */
  private authenticated: AgentChannel | null = null;
  private auth_timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly options: AgentOptions) {
    this.slave_id = options.recovered?.id ?? null;
    this.random = options.random ?? Math.random;
    this.authenticatee = options.credential ? new Authenticatee(options.credential) : null;
  }

  get phase(): AgentPhase {
    return this.state;
  }

  get id(): string | null {
    return this.slave_id;
  }

  get master(): { leader: Leader; id: string | null } | null {
    return this.leader === null ? null : { leader: this.leader, id: this.master_id };
  }

  /** A new leader (or the same one again, to re-register), or null for "no leader". */
  detected(leader: Leader | null): void {
    if (this.stopped) return;
    this.disconnect();
    this.leader = leader;
    this.master_id = leader?.id ?? null;
    if (leader === null) {
      this.state = "master_less";
      log.warning("Lost leading master; waiting for a new one to be detected (ignoring every master until then)");
      return;
    }
    this.state = "waiting";
    log.info(`New master detected at ${leader.pid}${leader.id === null ? "" : ` (id ${leader.id})`}`);
    this.backoff_max_ms = Math.max(RETRY_MIN_MS, 2 * this.options.registration_backoff_factor_ms);
    this.armPingTimer();
    this.retry_timer = setTimeout(() => this.attempt(), this.random() * this.options.registration_backoff_factor_ms);
  }

  stop(): void {
    this.stopped = true;
    this.disconnect();
  }

  /** Sends a status update to the master; false unless registered (the update manager retries). */
  sendUpdate(update: StatusUpdate): boolean {
    if (this.state !== "registered" || this.channel === null) return false;
    return this.channel.send({ type: "STATUS_UPDATE", update });
  }

  private disconnect(): void {
    this.options.tasks?.disconnected();
    if (this.retry_timer !== null) clearTimeout(this.retry_timer);
    if (this.ping_timer !== null) clearTimeout(this.ping_timer);
    if (this.auth_timer !== null) clearTimeout(this.auth_timer);
    this.retry_timer = this.ping_timer = this.auth_timer = null;
    this.channel?.close();
    this.channel = this.authenticated = null;
  }

  /** One registration attempt: connect (registration goes out on open) or resend; then re-arm. */
  private attempt(): void {
    this.retry_timer = null;
    const leader = this.leader;
    if (this.stopped || leader === null || this.state === "registered") return;
    if (this.channel !== null && !this.channel.isOpen() && Date.now() - this.channel.opened_at_ms > CONNECT_GRACE_MS) {
      log.warning(`Connecting to ${this.channel.url} takes over ${formatDuration(CONNECT_GRACE_MS)}; trying again`);
      this.channel.close();
      this.channel = null;
    }
    if (this.channel === null) this.connect(leader);
    else if (this.channel.isOpen() && (this.authenticatee === null || this.authenticated === this.channel)) this.sendRegistration();
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.retry_timer !== null) clearTimeout(this.retry_timer);
    const delay_ms = Math.max(RETRY_MIN_MS, this.random() * this.backoff_max_ms);
    this.backoff_max_ms = Math.min(REGISTER_RETRY_MAX_MS, this.backoff_max_ms * 2);
    this.retry_timer = setTimeout(() => this.attempt(), delay_ms);
  }

  private connect(leader: Leader): void {
    // A static master's id is learned anew on every socket: a restarted master has a new one.
    this.master_id = leader.id;
    const channel: AgentChannel = this.options.channel(leader.host, leader.port, {
      open: () => channel === this.channel && this.opened(channel),
      frame: (data) => this.received(channel, data),
      closed: (reason) => this.channelClosed(channel, reason),
    });
    this.channel = channel;
  }

  /** A new socket: authenticate first when the agent has a credential, else register. */
  private opened(channel: AgentChannel): void {
    if (this.authenticatee === null) return this.sendRegistration();
    this.state = "authenticating";
    log.info(`Authenticating with master ${this.leader?.pid} as principal ${JSON.stringify(this.authenticatee.principal)}`);
    if (this.auth_timer !== null) clearTimeout(this.auth_timer);
    this.auth_timer = setTimeout(() => {
      this.auth_timer = null;
      if (channel === this.channel && this.authenticated !== channel) this.abandon(channel, "timed out");
    }, AUTHENTICATION_TIMEOUT_MS);
    channel.send(this.authenticatee.start());
  }

  /** Leaves a socket whose authentication did not succeed; the retry timer opens a fresh one. */
  private abandon(channel: AgentChannel, why: string): void {
    this.counters.authentication_failures++;
    log.warning(`Failed to authenticate with master ${this.leader?.pid ?? "none"}: ${why}`);
    if (this.auth_timer !== null) clearTimeout(this.auth_timer);
    this.auth_timer = null;
    channel.close();
    if (channel === this.channel) this.channel = null;
    this.state = "waiting";
    if (this.retry_timer === null) this.scheduleRetry();
  }

  private channelClosed(channel: AgentChannel, reason: string): void {
    if (channel !== this.channel) return;
    this.channel = null;
    log.warning(`Connection to master ${this.leader?.pid ?? "none"} lost: ${reason}`);
    if (this.state === "registered") {
      this.options.tasks?.disconnected();
      this.state = "waiting";
      this.backoff_max_ms = Math.max(RETRY_MIN_MS, 2 * this.options.registration_backoff_factor_ms);
    }
    if (this.state === "authenticating") this.state = "waiting";
    if (this.retry_timer === null) this.scheduleRetry();
  }

  private sendRegistration(): void {
    if (this.channel === null) return;
    this.state = "registering";
    const common = { pid: this.options.pid, version: MESOS_VERSION, agent_capabilities: AGENT_CAPABILITIES.map((type) => ({ type })) };
    const message: AgentMessage = this.slave_id === null
      ? { type: "REGISTER_SLAVE", ...common, slave: this.options.info as SlaveInfo }
      : {
        type: "REREGISTER_SLAVE", ...common, slave: { ...this.options.info, id: { value: this.slave_id } } as SlaveInfo,
        ...(this.options.tasks?.reported() ?? { tasks: [], frameworks: [] }),
      };
    log.info(`${this.slave_id === null ? "Registering" : `Re-registering agent ${this.slave_id}`} with master ${this.leader?.pid}`);
    this.counters.registrations++;
    this.channel.send(message);
  }

  private received(channel: AgentChannel, data: string | Uint8Array): void {
    if (channel !== this.channel) {
      this.counters.ignored_messages++;
      return;
    }
    let message: MasterMessage;
    try {
      message = parseMasterMessage(data);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.counters.invalid_messages++;
      log.warning(`Dropping a malformed message from master ${this.leader?.pid ?? "none"}: ${error.message}`);
      return;
    }
    if (!this.trusted(message)) return;
    if (this.authenticatee !== null && this.authenticated !== channel) return this.authenticating(channel, message);
    if (isAuthentication(message)) return this.ignore(message, "no authentication is in progress");
    if (message.type === "SLAVE_REGISTERED" || message.type === "SLAVE_REREGISTERED") this.registered(message);
    else if (message.type === "PING_SLAVE") this.pinged(message);
    else if (message.type === "SHUTDOWN") this.shutdown(message);
    else if (this.state !== "registered" || this.options.tasks === undefined) {
      this.counters.ignored_messages++;
      log.warning(`Ignoring ${message.type} from master ${message.master_id}: the agent is ${this.options.tasks === undefined ? "running no tasks" : "not registered"}`);
    } else this.options.tasks.handle(message);
  }

  /** A frame on a socket still authenticating: only the handshake's are acted on. */
  private authenticating(channel: AgentChannel, message: MasterMessage): void {
    const who = this.leader?.pid ?? "none";
    switch (message.type) {
      case "AUTHENTICATION_CHALLENGE": {
        const response = this.authenticatee!.respond(message.nonce);
        if (response === null) return this.ignore(message, "no challenge was asked for");
        return void channel.send(response);
      }
      case "AUTHENTICATED":
        if (!this.authenticatee!.verify(message.mac)) return this.abandon(channel, "the master did not prove it holds the agent's secret (an impostor?)");
        if (this.auth_timer !== null) clearTimeout(this.auth_timer);
        this.auth_timer = null;
        this.authenticated = channel;
        log.info(`Successfully authenticated with master ${who}`);
        return this.sendRegistration();
      case "AUTHENTICATION_ERROR":
        return this.abandon(channel, message.message);
      case "AUTHENTICATION_FAILED":
        // Mesos's agent exits rather than shuts down, so that its tasks keep running.
        log.error(`EXIT with status 1: Master ${who} refused authentication: ${message.message}`);
        this.stop();
        return this.options.exit(1);
      default:
        return this.ignore(message, "the agent has not authenticated with this master yet");
    }
  }

  private ignore(message: MasterMessage, why: string): void {
    this.counters.ignored_messages++;
    log.warning(`Ignoring ${message.type} from master ${message.master_id}: ${why}`);
  }

  private trusted(message: MasterMessage): boolean {
    if (this.leader !== null && this.master_id === null) {
      this.master_id = message.master_id;
      log.info(`Master ${this.leader.pid} has id ${message.master_id} (learned from its ${message.type})`);
    }
    if (this.leader !== null && message.master_id === this.master_id) return true;
    this.counters.ignored_messages++;
    log.warning(`Ignoring ${message.type} from master ${message.master_id}: the leading master is ${this.master_id ?? "none"}`);
    return false;
  }

  private registered(message: Extract<MasterMessage, { type: "SLAVE_REGISTERED" | "SLAVE_REREGISTERED" }>): void {
    const given = message.slave_id.value;
    if (this.slave_id !== null && given !== this.slave_id) {
      log.error(`EXIT with status 1: ${message.type} from master ${message.master_id} names agent ${given}, but this agent is ${this.slave_id}`);
      return this.options.exit(1);
    }
    if (this.slave_id === null) {
      try {
        this.options.persist({ id: given, info: { ...this.options.info, id: { value: given } } as SlaveInfo });
      } catch (error) {
        log.error(`EXIT with status 1: failed to checkpoint agent id ${given}: ${(error as Error).message}`);
        return this.options.exit(1);
      }
      this.slave_id = given;
    }
    this.ping_timeout_ms = message.connection.total_ping_timeout_seconds * 1000;
    this.armPingTimer();
    if (this.state === "registered") return; // a duplicate answer to a resent registration
    this.state = "registered";
    if (this.retry_timer !== null) clearTimeout(this.retry_timer);
    this.retry_timer = null;
    const verb = message.type === "SLAVE_REGISTERED" ? "Registered" : "Re-registered";
    log.info(`${verb} with master ${this.leader?.pid} (id ${message.master_id}); agent ID ${given}`);
    this.options.tasks?.registered();
  }

  private pinged(message: Extract<MasterMessage, { type: "PING_SLAVE" }>): void {
    this.counters.pongs++;
    this.channel?.send({ type: "PONG_SLAVE" });
    this.armPingTimer();
    if (!message.connected && this.state === "registered") {
      log.warning("Master marked the agent as disconnected but the agent considers itself registered! Forcing re-registration.");
      this.detected(this.leader);
    }
  }

  private shutdown(message: Extract<MasterMessage, { type: "SHUTDOWN" }>): void {
    log.info(`Agent asked to shut down by master ${message.master_id}: ${message.message}`);
    this.options.tasks?.killAll();
    this.stop();
    this.options.exit(0);
  }

  private armPingTimer(): void {
    if (this.ping_timer !== null) clearTimeout(this.ping_timer);
    this.ping_timer = setTimeout(() => {
      this.ping_timer = null;
      log.warning(`No pings from master received within ${formatDuration(this.ping_timeout_ms)}; re-detecting the master`);
      this.detected(this.leader);
    }, this.ping_timeout_ms);
  }
}

function isAuthentication(message: MasterMessage): message is AuthenticationMasterMessage {
  return message.type === "AUTHENTICATION_CHALLENGE" || message.type === "AUTHENTICATED" ||
    message.type === "AUTHENTICATION_FAILED" || message.type === "AUTHENTICATION_ERROR";
}
