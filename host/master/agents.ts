// The leader's agents (mesos-spec §5): registration, re-registration, unregistration, removal,
// the socket break, and the registry-first transitions to unreachable and gone. Every
// transition is written to the registry first and applied in memory once stored; while one is
// in flight for an agent (registering, reregistering, markingUnreachable, markingGone,
// removing) conflicting messages are ignored, as Mesos does. Health checks and the timeouts
// that mark agents unreachable live in agent_health.ts; operator calls in agent_operator.ts.
import type { AgentMessage, MasterMessage } from "../agent/protocol.ts";
import type { JsonObject, ReportedTask } from "../agent/task_protocol.ts";
import { logger } from "../logging.ts";
import type { Metrics } from "../metrics.ts";
import type { RegistrarService } from "../registry/service.ts";
import type { DrainInfo, MachineID, Operation, Registry, SlaveInfo } from "../registry/types.ts";
import type { Credentials } from "../security/credentials.ts";
import { addressRefusal, principalRefusal } from "./agent_admission.ts";
import { AgentAuthentication } from "./agent_auth.ts";
import { AgentHealth } from "./agent_health.ts";
import { type Agent, type AgentConnection, type AgentTaskHooks, canonical, COUNTERS, type Counter, describe, ipOfPid, versionRefusal } from "./agent_types.ts";
import { registerAgentGauges, resourcesText, resourceTotals } from "./agent_views.ts";
import type { MasterFlags } from "./flags.ts";
import { machineKey } from "./maintenance.ts";
import { NO_OPERATOR_EVENTS, type OperatorEventSink } from "./operator_events.ts";
import { type AgentClock, REAL_CLOCK } from "./rate_limiter.ts";

const log = logger("agents.ts");

export type AgentFlags = Pick<MasterFlags, "agent_ping_timeout" | "max_agent_ping_timeouts" | "agent_reregister_timeout"
  | "agent_removal_rate_limit" | "recovery_agent_removal_limit" | "require_agent_domain">;

export interface AgentsOptions {
  master_id: string;
  /** Whether this master has a fault domain (--domain): agents with one are refused otherwise. */
  master_has_domain: boolean;
  flags: AgentFlags;
  metrics: Metrics;
  registrar: RegistrarService;
  /** Mesos's EXIT(1) (the post-failover removal limit); tests replace it. */
  exit: (status: number) => void;
  clock?: AgentClock;
  /** --credentials and --authenticate_agents (agent_auth.ts); default: none loaded, not required. */
  authentication?: { credentials: Credentials | null; required: boolean };
}

export class Agents {
  readonly registered = new Map<string, Agent>();
  readonly by_pid = new Map<string, string>();
  /** Admitted agents read from the registry at recovery that have not re-registered yet. */
  readonly recovered = new Map<string, SlaveInfo>();
  /** Unreachable and gone agents with their registry timestamps (ns). */
  readonly unreachable = new Map<string, number>();
  readonly gone = new Map<string, number>();
  readonly draining = new Map<string, DrainInfo>();
  readonly deactivated = new Set<string>();
  // Transitions in flight (Mesos's slaves.registering, reregistering, ...).
  readonly registering = new Set<string>();
  readonly reregistering = new Set<string>();
  readonly marking_unreachable = new Set<string>();
  readonly marking_gone = new Set<string>();
  readonly removing = new Set<string>();
  readonly clock: AgentClock;
  readonly health: AgentHealth;
  readonly authentication: AgentAuthentication;
  /** The principal each agent id is bound to (agent_admission.ts); kept while unreachable, dropped on removal. */
  readonly principals = new Map<string, string>();
  private next_agent = 0;
  private is_ready = false;
  private readonly ready_listeners: (() => void)[] = [];
  private totals: ReturnType<typeof resourceTotals> | null = null;
  /** The task side (tasks.ts): told of agents added, deactivated and removed, and handed task messages. */
  tasks: AgentTaskHooks | null = null;
  /** The operator event stream: AGENT_ADDED and AGENT_REMOVED. */
  events: OperatorEventSink = NO_OPERATOR_EVENTS;

  constructor(readonly options: AgentsOptions) {
    this.clock = options.clock ?? REAL_CLOCK;
    for (const name of COUNTERS) options.metrics.counter(name);
    registerAgentGauges(options.metrics, this);
    this.health = new AgentHealth(this, options.flags, this.clock);
    this.authentication = new AgentAuthentication({
      credentials: options.authentication?.credentials ?? null, required: options.authentication?.required ?? false,
      clock: this.clock, count: (name) => this.count(name), send: (conn, message) => this.send(conn, message),
    });
  }

  /** True once the registry was recovered on this leader: agents' messages are handled from then on. */
  ready(): boolean {
    return this.is_ready;
  }

  /** Runs `listener` once this leader has recovered the agents from the registry. */
  whenReady(listener: () => void): void {
    if (this.is_ready) listener();
    else this.ready_listeners.push(listener);
  }

  count(name: Counter, by = 1): void {
    this.options.metrics.increment(name, by);
  }

  /** The ping timeout sent to agents: agent_ping_timeout × max_agent_ping_timeouts, in seconds. */
  private connection() {
    return { total_ping_timeout_seconds: (this.options.flags.agent_ping_timeout * this.options.flags.max_agent_ping_timeouts) / 1000 };
  }

  /** Sends with this master's id on the message. */
  send(conn: AgentConnection | null, message: DistributiveOmit<MasterMessage, "master_id">): void {
    conn?.send({ ...message, master_id: this.options.master_id } as MasterMessage);
  }

  /**
   * Agents the registry GC pruned: gone from the unreachable and gone maps, and their drain
   * and deactivation (the registry no longer holds them; one re-registering is a new start).
   */
  forgetPruned(ids: readonly string[]): void {
    for (const id of ids) {
      if (!this.unreachable.delete(id) && !this.gone.delete(id)) continue;
      this.principals.delete(id);
      this.draining.delete(id);
      this.deactivated.delete(id);
      this.tasks?.removed(id, "pruned", 0);
    }
  }

  /** Leader recovery (§4.4): admitted agents become `recovered`, unreachable/gone keep their timestamps. */
  recover(registry: Registry): void {
    for (const s of registry.slaves?.slaves ?? []) {
      this.recovered.set(s.info.id.value, s.info);
      if (s.drain_info) this.draining.set(s.info.id.value, s.drain_info);
      if (s.deactivated) this.deactivated.add(s.info.id.value);
    }
    for (const s of registry.unreachable?.slaves ?? []) {
      this.unreachable.set(s.id.value, s.timestamp.nanoseconds);
      if (s.drain_info) this.draining.set(s.id.value, s.drain_info);
      if (s.deactivated) this.deactivated.add(s.id.value);
    }
    for (const s of registry.gone?.slaves ?? []) this.gone.set(s.id.value, s.timestamp.nanoseconds);
    this.health.start(this.recovered.size);
    this.is_ready = true;
    log.info(`Recovered ${this.recovered.size} agents, ${this.unreachable.size} unreachable and ${this.gone.size} gone agents from the registry; accepting agent connections`);
    for (const listener of this.ready_listeners.splice(0)) listener();
  }

  stop(): void {
    this.is_ready = false;
    this.health.stop();
    this.authentication.stop();
    for (const agent of this.registered.values()) agent.conn?.close("master stopping");
  }

  /** One parsed message from a connection. */
  receive(conn: AgentConnection, message: AgentMessage): void {
    if (message.type === "AUTHENTICATE" || message.type === "AUTHENTICATION_RESPONSE") return this.authentication.handle(conn, message);
    if (!this.authentication.admits(conn, message.type)) return;
    switch (message.type) {
      case "STATUS_UPDATE": {
        const agent = conn.agent_id === null ? undefined : this.registered.get(conn.agent_id);
        return this.tasks?.message(agent?.conn === conn ? agent : undefined, message);
      }
      case "REGISTER_SLAVE":
        return this.registerAgent(conn, message);
      case "REREGISTER_SLAVE":
        return this.reregisterAgent(conn, message);
      case "PONG_SLAVE":
        return this.pong(conn);
      case "UNREGISTER_SLAVE":
        return this.unregisterAgent(conn, message.slave_id.value);
    }
  }

  /** A frame that failed validation: dropped and counted, the connection stays (protocol.ts). */
  invalid(conn: AgentConnection, reason: string): void {
    log.warning(`Dropping an invalid message from agent connection ${conn.remote}${conn.agent_id ? ` (agent ${conn.agent_id})` : ""}: ${reason}`);
    this.count("master/invalid_agent_messages");
    this.count("master/dropped_messages");
  }

  private drop(conn: AgentConnection, why: string): void {
    log.warning(`Dropping a message from agent connection ${conn.remote}: ${why}`);
    this.count("master/dropped_messages");
  }

  /** A (re-)registration from a socket that may not speak for that pid or id: dropped, as Mesos drops unauthenticated ones. */
  private refuse(conn: AgentConnection, what: string, why: string): void {
    log.warning(`Refusing ${what} from agent connection ${conn.remote}: ${why}`);
    this.count("master/refused_agent_registrations");
    this.count("master/dropped_messages");
  }

  private machineDown(hostname: string, ip: string): boolean {
    const key = machineKey({ hostname, ip });
    return (this.options.registrar.current().machines?.machines ?? []).some((m) => m.mode === "DOWN" && machineKey(m.id) === key);
  }

  /** Version and domain rules shared by (re-)registration; null when the agent may proceed. */
  private refusal(slave: SlaveInfo, version: string): string | null {
    const bad_version = versionRefusal(version);
    if (bad_version !== null) return bad_version;
    if (slave.domain !== undefined && !this.options.master_has_domain) return "the agent has a domain but the master has none";
    if (this.options.flags.require_agent_domain && slave.domain === undefined) return "this master requires agent domains (--require_agent_domain)";
    return null;
  }

  private registerAgent(conn: AgentConnection, m: Extract<AgentMessage, { type: "REGISTER_SLAVE" }>): void {
    this.count("master/messages_register_slave");
    const bound = conn.agent_id === null ? undefined : this.registered.get(conn.agent_id);
    if (bound !== undefined && bound.pid !== m.pid) return this.drop(conn, `REGISTER_SLAVE from ${m.pid} on the connection of agent ${bound.id}`);
    const misplaced = addressRefusal(conn, m.pid);
    if (misplaced !== null) return this.refuse(conn, `the registration of ${m.pid}`, misplaced);
    if (this.registering.has(m.pid)) return log.info(`Ignoring register agent message from ${m.pid} (${m.slave.hostname}) as registration is already in progress`);
    const ip = ipOfPid(m.pid);
    if (this.machineDown(m.slave.hostname, ip)) {
      log.warning(`Refusing registration of agent at ${m.pid} because the machine '${JSON.stringify({ hostname: m.slave.hostname, ip })}' that it is running on is \`DOWN\``);
      return this.send(conn, { type: "SHUTDOWN", message: "Machine is `DOWN`" });
    }
    const refused = this.refusal(m.slave, m.version);
    if (refused !== null) return log.warning(`Ignoring registration attempt from agent at ${m.pid}: ${refused}`);
    const existing = this.registered.get(this.by_pid.get(m.pid) ?? "");
    const taken = existing === undefined ? null : principalRefusal(existing.id, this.principals.get(existing.id), conn);
    if (taken !== null) return this.refuse(conn, `the registration of ${m.pid}`, taken);
    if (existing !== undefined && existing.connected) {
      log.info(`Agent ${describe(existing)} already registered, resending acknowledgement`);
      this.bind(conn, existing);
      return this.send(conn, { type: "SLAVE_REGISTERED", slave_id: { value: existing.id }, connection: this.connection() });
    }
    if (existing !== undefined) {
      log.info(`Removing old disconnected agent ${describe(existing)} because a registration attempt occurred`);
      this.removeAgent(existing, "a new agent registered at the same address", "master/slave_removals/reason_registered");
    }
    log.info(`Received register agent message from ${m.pid} (${m.slave.hostname})`);
    this.registering.add(m.pid);
    const id = `${this.options.master_id}-S${this.next_agent++}`;
    const info: SlaveInfo = { ...m.slave, id: { value: id } };
    log.info(`Registering agent at ${m.pid} (${info.hostname}) with id ${id}`);
    this.apply({ type: "ADMIT_SLAVE", info }, `admit agent ${id} at ${m.pid}`, (admitted) => {
      this.registering.delete(m.pid);
      if (!admitted) return log.warning(`Agent ${id} at ${m.pid} was assigned an agent ID that already appears in the registry; ignoring registration attempt`);
      const agent = this.addAgent(conn, info, m, false);
      this.count("master/slave_registrations");
      this.send(conn, { type: "SLAVE_REGISTERED", slave_id: { value: id }, connection: this.connection() });
      this.health.add(agent); // after the reply: the agent's first ping follows its registration
      this.events.agentAdded(agent);
      this.tasks?.added(agent, null);
      log.info(`Registered agent ${describe(agent)} with ${resourcesText(info)}`);
    });
  }

  private reregisterAgent(conn: AgentConnection, m: Extract<AgentMessage, { type: "REREGISTER_SLAVE" }>): void {
    this.count("master/messages_reregister_slave");
    const id = m.slave.id.value;
    if (conn.agent_id !== null && conn.agent_id !== id) return this.drop(conn, `REREGISTER_SLAVE for agent ${id} on the connection of agent ${conn.agent_id}`);
    const refused_by = addressRefusal(conn, m.pid) ?? principalRefusal(id, this.principals.get(id), conn);
    if (refused_by !== null) return this.refuse(conn, `the re-registration of agent ${id}`, refused_by);
    const ignore = (why: string) => log.info(`Ignoring reregister agent message from agent ${id} at ${m.pid} (${m.slave.hostname}) as ${why}`);
    if (this.reregistering.has(id)) return ignore("re-registration is already in progress");
    if (this.marking_unreachable.has(id)) return ignore("a mark unreachable operation is already in progress");
    if (this.marking_gone.has(id)) return ignore("a gone operation is already in progress");
    if (this.gone.has(id)) {
      log.warning(`Refusing re-registration of agent at ${m.pid} because it is already marked gone`);
      return this.send(conn, { type: "SHUTDOWN", message: "Agent has been marked gone" });
    }
    const ip = ipOfPid(m.pid);
    if (this.machineDown(m.slave.hostname, ip)) {
      log.warning(`Refusing re-registration of agent at ${m.pid} because the machine '${JSON.stringify({ hostname: m.slave.hostname, ip })}' that it is running on is \`DOWN\``);
      return this.send(conn, { type: "SHUTDOWN", message: "Machine is `DOWN`" });
    }
    const refused = this.refusal(m.slave, m.version);
    if (refused !== null) return log.warning(`Ignoring re-registration attempt from agent at ${m.pid}: ${refused}`);
    log.info(`Received reregister agent message from agent ${id} at ${m.pid} (${m.slave.hostname})`);
    const agent = this.registered.get(id);
    if (agent !== undefined && (agent.ip !== ip || agent.info.hostname !== m.slave.hostname)) {
      log.warning(`Agent ${id} at ${m.pid} (${m.slave.hostname}) attempted to reregister with different IP / hostname; expected ${agent.ip} (${agent.info.hostname}) shutting it down`);
      return this.send(conn, { type: "SHUTDOWN", message: "Agent attempted to reregister with different IP / hostname" });
    }
    this.reregistering.add(id);
    const known = agent?.info ?? this.recovered.get(id);
    const then = agent !== undefined ? () => this.reregisterKnown(conn, m) : () => this.readmit(conn, m);
    if (known !== undefined && canonical(known) === canonical(m.slave)) return then();
    const op: Operation = known !== undefined ? { type: "UPDATE_SLAVE", info: m.slave } : { type: "MARK_SLAVE_REACHABLE", info: m.slave };
    this.apply(op, `update the registry for agent ${id} at ${m.pid}`, () => then());
  }

  /** The gone checks Mesos repeats after every registry step of a re-registration; true when it ended here. */
  private goneDuringReregistration(conn: AgentConnection, id: string, pid: string): boolean {
    if (this.marking_gone.has(id)) {
      log.info(`Ignoring reregister agent message from agent ${id} at ${pid} as a gone operation is already in progress`);
    } else if (this.gone.has(id)) {
      log.warning(`Refusing re-registration of agent at ${pid} because it is already marked gone`);
      this.send(conn, { type: "SHUTDOWN", message: "Agent has been marked gone" });
    } else {
      return false;
    }
    this.reregistering.delete(id);
    return true;
  }

  /** An agent that was recovered, unreachable or unknown becomes registered again. */
  private readmit(conn: AgentConnection, m: Extract<AgentMessage, { type: "REREGISTER_SLAVE" }>): void {
    const id = m.slave.id.value;
    if (this.goneDuringReregistration(conn, id, m.pid)) return;
    const previously = this.recovered.has(id) ? "recovered" : this.unreachable.has(id) ? "unreachable" : "unknown";
    this.recovered.delete(id);
    this.unreachable.delete(id);
    const agent = this.addAgent(conn, m.slave, m, true);
    this.count("master/slave_reregistrations");
    if (this.deactivated.has(id)) agent.active = false;
    this.events.agentAdded(agent);
    this.send(conn, { type: "SLAVE_REREGISTERED", slave_id: { value: id }, connection: this.connection() });
    this.health.add(agent);
    log.info(`Re-registered agent ${describe(agent)} with ${resourcesText(m.slave)}`);
    this.reregistering.delete(id);
    this.tasks?.added(agent, { ...report(m), previously });
  }

  /** A registered agent re-registers (its socket broke, or a connected=false ping told it to). */
  private reregisterKnown(conn: AgentConnection, m: Extract<AgentMessage, { type: "REREGISTER_SLAVE" }>): void {
    const id = m.slave.id.value;
    if (this.goneDuringReregistration(conn, id, m.pid)) return;
    const agent = this.registered.get(id);
    if (agent === undefined) {
      log.warning(`Dropping ongoing re-registration attempt of agent ${id} at ${m.pid} (${m.slave.hostname}) because the re-registration timeout was reached`);
      return void this.reregistering.delete(id);
    }
    if (agent.pid !== m.pid) {
      this.by_pid.delete(agent.pid);
      agent.pid = m.pid;
      this.by_pid.set(m.pid, id);
    }
    Object.assign(agent, { info: m.slave, version: m.version, capabilities: m.agent_capabilities, reregistered_ms: this.clock.now_ms() });
    this.totals = null;
    this.bind(conn, agent);
    if (!agent.connected) {
      agent.connected = true;
      agent.disconnected_ms = null;
      this.health.reconnected(agent);
      if (!this.deactivated.has(id)) {
        log.info(`Reactivating re-registered agent ${describe(agent)}`);
        agent.active = true;
      }
    }
    this.send(conn, { type: "SLAVE_REREGISTERED", slave_id: { value: id }, connection: this.connection() });
    log.info(`Re-registered agent ${describe(agent)} with ${resourcesText(m.slave)}`);
    this.reregistering.delete(id);
    this.tasks?.added(agent, { ...report(m), previously: "registered" });
  }

  private addAgent(conn: AgentConnection, info: SlaveInfo, m: { pid: string; version: string; agent_capabilities: { type: string }[] }, re: boolean): Agent {
    const now = this.clock.now_ms();
    const agent: Agent = {
      id: info.id.value, info, pid: m.pid, ip: ipOfPid(m.pid), version: m.version, capabilities: m.agent_capabilities,
      registered_ms: now, reregistered_ms: re ? now : null, connected: true, active: true, conn: null,
      slot: 0, pinged: false, timeouts: 0, marking: null, disconnected_ms: null,
    };
    this.registered.set(agent.id, agent);
    this.by_pid.set(agent.pid, agent.id);
    this.totals = null;
    this.bind(conn, agent);
    return agent;
  }

  /** Binds the connection to the agent; an older connection of the agent no longer speaks for it. */
  private bind(conn: AgentConnection, agent: Agent): void {
    if (conn.principal !== null) this.principals.set(agent.id, conn.principal);
    const old = agent.conn;
    conn.agent_id = agent.id;
    agent.conn = conn;
    if (old !== null && old !== conn) {
      old.agent_id = null;
      old.close("the agent connected again");
    }
  }

  private pong(conn: AgentConnection): void {
    if (conn.agent_id === null) return this.drop(conn, "PONG_SLAVE on a connection that registered no agent");
    const agent = this.registered.get(conn.agent_id);
    if (agent === undefined || agent.conn !== conn) return this.drop(conn, `PONG_SLAVE from agent ${conn.agent_id}, which is not registered`);
    this.health.pong(agent);
  }

  private unregisterAgent(conn: AgentConnection, id: string): void {
    this.count("master/messages_unregister_slave");
    if (conn.agent_id === null || conn.agent_id !== id) return this.drop(conn, `UNREGISTER_SLAVE for agent ${id} on the connection of ${conn.agent_id ?? "no agent"}`);
    const agent = this.registered.get(id);
    if (agent === undefined) return log.warning(`Ignoring unregister agent message from ${conn.remote} for unknown agent ${id}`);
    this.removeAgent(agent, "the agent unregistered", "master/slave_removals/reason_unregistered");
  }

  /** The agent's socket closed (§5.4): disconnected and deactivated; agent_health.ts times the re-registration. */
  disconnected(conn: AgentConnection): void {
    const agent = conn.agent_id === null ? undefined : this.registered.get(conn.agent_id);
    if (agent === undefined || agent.conn !== conn) return;
    agent.conn = null;
    if (!agent.connected) return log.warning(`Ignoring duplicate disconnection of agent ${describe(agent)}`);
    log.info(`Agent ${describe(agent)} disconnected`);
    agent.connected = false;
    agent.active = false;
    agent.disconnected_ms = this.clock.now_ms();
    this.health.disconnected(agent);
    this.tasks?.deactivated(agent.id);
  }

  /** Explicit removal (§5.7): registry REMOVE_SLAVE, then forgotten; the reason counter names why. */
  removeAgent(agent: Agent, message: string, reason: Counter | null): void {
    const id = agent.id;
    const skip = this.marking_unreachable.has(id) ? "being marked unreachable" : this.marking_gone.has(id) ? "being marked gone" : this.removing.has(id) ? "being removed" : null;
    if (skip !== null) return log.warning(`Ignoring removal of agent ${describe(agent)} that is in the process of ${skip}`);
    this.removing.add(id);
    log.info(`Removing agent ${describe(agent)}: ${message}`);
    this.apply({ type: "REMOVE_SLAVE", info: agent.info }, `remove agent ${id}`, (removed) => {
      this.removing.delete(id);
      if (!removed) log.error(`Agent ${describe(agent)} was already removed from the registry`);
      log.info(`Removed agent ${describe(agent)}: ${message}`);
      this.count("master/slave_removals");
      if (reason !== null) this.count(reason);
      this.forget(agent);
      this.principals.delete(id);
      this.tasks?.removed(id, "removed", this.clock.now_ms() * 1e6);
      this.events.agentRemoved(id); // after the TASK_UPDATEDs of its tasks, as Mesos orders them
    });
  }

  /** Drops a registered agent from memory (its health checks too); its socket stays open but speaks for no one. */
  forget(agent: Agent): void {
    if (this.registered.get(agent.id) !== agent) return;
    this.registered.delete(agent.id);
    if (this.by_pid.get(agent.pid) === agent.id) this.by_pid.delete(agent.pid);
    this.health.remove(agent);
    this.totals = null;
  }

  /**
   * Mesos's markUnreachable (§5.5): skipped when the agent re-registered, is being
   * re-registered, removed or marked gone, or is already being marked unreachable (a second
   * health-check failure during a slow registry write); else MARK_SLAVE_UNREACHABLE first,
   * then the in-memory move. Resolves whether it marked the agent.
   */
  markUnreachable(info: SlaveInfo, failover: boolean, reason: string): Promise<boolean> {
    const id = info.id.value;
    const skip = (why: string) => {
      log.warning(`Skipping transition of agent ${id} (${info.hostname}) to unreachable because ${why}`);
      return Promise.resolve(false);
    };
    if (failover && !this.recovered.has(id)) return skip("it reregistered in the interim");
    if (!failover && !this.registered.has(id)) return skip("it has already been removed or marked unreachable");
    if (this.reregistering.has(id)) return skip("it is reregistering");
    if (this.marking_unreachable.has(id)) return skip("another unreachable transition is already in progress");
    if (this.removing.has(id)) return skip("it is being removed");
    if (this.marking_gone.has(id) || this.gone.has(id)) return skip("it is being or has been marked as gone");
    log.info(`Marking agent ${id} (${info.hostname}) unreachable: ${reason}`);
    this.marking_unreachable.add(id);
    const time_ns = this.clock.now_ms() * 1e6;
    return new Promise((resolve) => {
      this.apply({ type: "MARK_SLAVE_UNREACHABLE", info, time: { nanoseconds: time_ns } }, `mark agent ${id} (${info.hostname}) as unreachable`, (marked) => {
        this.marking_unreachable.delete(id);
        if (!marked) log.error(`The registry refused to mark agent ${id} unreachable: it is not admitted`);
        log.info(`Marked agent ${id} (${info.hostname}) unreachable: ${reason}`);
        this.count("master/slave_removals");
        this.count("master/slave_removals/reason_unhealthy");
        this.unreachable.set(id, time_ns);
        if (failover) {
          this.recovered.delete(id);
          this.count("master/recovery_slave_removals");
        }
        const agent = failover ? undefined : this.registered.get(id);
        if (agent !== undefined) this.forget(agent);
        this.tasks?.removed(id, "unreachable", time_ns);
        if (agent !== undefined) this.events.agentRemoved(id);
        resolve(true);
      });
    });
  }

  /**
   * Applies a registry operation; `then` runs once it is stored. A failed registrar future is
   * fatal: the registrar's onAbort has already aborted the master, so nothing is answered.
   */
  apply(op: Operation, what: string, then: (applied: boolean) => void): void {
    this.options.registrar.apply(op).then(then, (error: unknown) => {
      log.error(`Failed to ${what} in the registry: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  /** Registered agents on these machines (hostname from SlaveInfo, IP from the pid). */
  agentsOn(machines: readonly MachineID[]): Agent[] {
    const keys = new Set(machines.map(machineKey));
    return [...this.registered.values()].filter((a) => keys.has(machineKey({ hostname: a.info.hostname, ip: a.ip })));
  }

  /** Sum of the registered agents' scalar resources, cached until the agents change. */
  resourceTotals(): ReturnType<typeof resourceTotals> {
    this.totals ??= resourceTotals(this.registered.values());
    return this.totals;
  }
}

/** The tasks and frameworks a REREGISTER_SLAVE reports. */
function report(m: Extract<AgentMessage, { type: "REREGISTER_SLAVE" }>): { tasks: ReportedTask[]; frameworks: JsonObject[] } {
  return { tasks: m.tasks ?? [], frameworks: m.frameworks ?? [] };
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
