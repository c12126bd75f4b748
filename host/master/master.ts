// The master's identity and leadership as the rest of the process sees them: its MasterInfo,
// when it started and was elected, which master leads, and its metrics. Leadership changes
// follow Mesos (mesos-spec §2.5): a leader that detects another leader, or no leader, exits 1
// with one log line first, and a supervisor restarts it.
import { logger } from "../logging.ts";
import { Metrics } from "../metrics.ts";
import { MASTER_FLAGS, type MasterFlags } from "./flags.ts";
import { type ReplicationSource, STANDALONE } from "./replication.ts";
import { systemMetrics } from "../system_metrics.ts";
import { FrameworkMetrics } from "./frameworks/framework_metrics.ts";
import { TERMINAL_STATES } from "../agent/task_protocol.ts";
import type { MasterInfo } from "./info.ts";
import { renderFlags } from "../flags.ts";
import { MemoryStorage, type RegistryStorage } from "../registry/storage.ts";
import { Section } from "../registry/types.ts";
import { Registrar } from "./registrar.ts";
import { startRegistryGc } from "./registry_gc.ts";
import { Agents } from "./agents.ts";
import { Tasks } from "./tasks.ts";
import type { AgentClock } from "./rate_limiter.ts";
import { Frameworks } from "./frameworks/frameworks.ts";
import { v1FrameworkJson } from "./frameworks/views.ts";
import { v1AgentJson } from "./agent_views.ts";
import { OperatorEvents } from "./operator_events.ts";
import { getStateJson } from "./state.ts";
import { v1TaskJson } from "./task_views.ts";
import { loadMasterSecurity, type MasterSecurity } from "./security.ts";
import { MasterAuthorization } from "./authorization.ts";

const log = logger("master.ts");

export interface MasterOptions {
  flags: MasterFlags;
  info: MasterInfo;
  /** How the process ends on lost leadership; tests replace it. */
  exit?: (status: number) => never;
  /** How the process ends on a registry failure (Mesos: LOG(FATAL), abort()); tests replace it. */
  abort?: () => never;
  /** The registry's storage (or its promise, while the log's replicas are discovered); memory by default. */
  storage?: RegistryStorage | Promise<RegistryStorage>;
  now_ms?: () => number;
  /** The agents service's clock (health checks, re-registration timeouts); tests use a fake one. */
  agent_clock?: AgentClock;
  /** The frameworks service's clock (heartbeats, failover_timeout); tests use a fake one. */
  framework_clock?: AgentClock;
  /** HEARTBEAT period of scheduler and operator event streams (Mesos: 15 s); tests shorten it. */
  heartbeat_interval_ms?: number;
  /** Credentials, log secret, ACLs and TLS (main.ts loads them with the environment); from the flags alone by default. */
  security?: MasterSecurity;
}

export class Master {
  readonly flags: MasterFlags;
  readonly info: MasterInfo;
  readonly security: MasterSecurity;
  /** The --acls decisions of endpoints, operator calls and subscriptions. */
  readonly authorization: MasterAuthorization;
  readonly metrics = new Metrics();
  readonly start_time_ms: number;
  readonly registrar: Registrar;
  readonly agents: Agents;
  /**
   * Subscribed frameworks and their event streams (the scheduler API). The task side plugs in
   * with `this.frameworks.tasks = <TaskService>`; until then a stand-in without offers answers.
   */
  readonly frameworks: Frameworks;
  /** Offers, the allocator and tasks (host/master/tasks.ts): the frameworks' TaskService and the agents' task hooks. */
  readonly tasks: Tasks;
  /** Operator API SUBSCRIBE streams (host/master/operator_events.ts). */
  readonly operator_events: OperatorEvents;
  /** The log replica and ZooKeeper session this master runs with, for /log/status (main.ts sets it). */
  replication: ReplicationSource = STANDALONE;
  private elected_time_ms: number | null = null;
  private leader_info: MasterInfo | null = null;
  private readonly exit: (status: number) => never;
  private readonly abort: () => never;
  private readonly now_ms: () => number;
  private registry_gc: { stop(): void } | null = null;

  constructor(options: MasterOptions) {
    this.flags = options.flags;
    this.info = options.info;
    this.security = options.security ?? loadMasterSecurity(options.flags, {});
    this.authorization = new MasterAuthorization(this.security.authorizer);
    this.exit = options.exit ?? ((status) => process.exit(status));
    this.abort = options.abort ?? (() => process.abort());
    this.now_ms = options.now_ms ?? Date.now;
    this.start_time_ms = this.now_ms();
    this.metrics.gauge("master/uptime_secs", () => (this.now_ms() - this.start_time_ms) / 1000);
    this.metrics.gauge("master/elected", () => (this.elected() ? 1 : 0));
    this.metrics.provide(systemMetrics);
    // Ours: whether this master's ZooKeeper session is usable (absent when standalone).
    this.metrics.provide(() => {
      const zk = this.replication.zookeeper();
      return zk === null ? [] : [{ name: "zookeeper/session_connected", value: zk.state === "ready" || zk.state === "connected" ? 1 : 0, kind: "gauge" as const }];
    });
    this.registrar = new Registrar({
      storage: options.storage ?? new MemoryStorage(),
      metrics: this.metrics,
      fetch_timeout_ms: this.flags.registry_fetch_timeout,
      store_timeout_ms: this.flags.registry_store_timeout,
      onAbort: (reason) => {
        log.fatal(`Registrar failed: ${reason}; aborting`);
        this.abort();
      },
    });
    this.agents = new Agents({
      master_id: this.info.id,
      master_has_domain: this.info.domain !== undefined,
      flags: this.flags,
      metrics: this.metrics,
      registrar: this.registrar,
      exit: (status) => this.exit(status),
      ...(options.agent_clock ? { clock: options.agent_clock } : {}),
      authentication: { credentials: this.security.credentials, required: this.flags.authenticate_agents },
    });
    const framework_metrics = new FrameworkMetrics();
    this.frameworks = new Frameworks({
      master_info: this.info, framework_metrics,
      authorization: this.authorization,
      metrics: this.metrics,
      max_completed_frameworks: this.flags.max_completed_frameworks,
      ...(options.framework_clock ? { clock: options.framework_clock } : {}),
      ...(options.heartbeat_interval_ms !== undefined ? { heartbeat_interval_ms: options.heartbeat_interval_ms } : {}),
    });
    this.tasks = new Tasks({
      master_id: this.info.id, flags: this.flags, metrics: this.metrics, agents: this.agents, registrar: this.registrar, clock: this.agents.clock,
      authorization: this.authorization,
      recoverFramework: (info) => this.frameworks.recover(info as Parameters<Frameworks["recover"]>[0]),
      framework_metrics,
    });
    this.metrics.provide(() => framework_metrics.values([...this.frameworks.registered.values()].map((f) => ({
      id: f.id, name: f.info.name, connected: f.stream !== null, roles: f.roles, suppressed: f.suppressed,
      activeStates: () => [...(this.tasks.frameworks.get(f.id)?.tasks.values() ?? [])].map((t) => t.state).filter((state) => !TERMINAL_STATES.has(state)),
    }))));
    this.agents.tasks = this.tasks;
    this.frameworks.tasks = this.tasks;
    this.agents.whenReady(() => this.tasks.start());
    this.operator_events = new OperatorEvents({
      metrics: this.metrics,
      max_subscribers: this.flags.max_operator_event_stream_subscribers,
      ...(options.framework_clock ? { clock: options.framework_clock } : {}),
      ...(options.heartbeat_interval_ms !== undefined ? { heartbeat_interval_ms: options.heartbeat_interval_ms } : {}),
      views: {
        state: (viewer) => getStateJson(this, viewer),
        frameworkUser: (framework_id) => this.tasks.frameworks.get(framework_id)?.info.user as string | undefined,
        task: v1TaskJson,
        agent: (agent) => v1AgentJson(this.agents, agent),
        framework: (framework) => v1FrameworkJson(this.frameworks, framework),
      },
    });
    this.agents.events = this.frameworks.events = this.tasks.events = this.operator_events;
  }

  elected(): boolean {
    return this.leader_info !== null && this.leader_info.id === this.info.id;
  }

  leader(): MasterInfo | null {
    return this.leader_info;
  }

  /**
   * Whether this master's ZooKeeper sessions are known alive now: a leader that is not sure
   * (it was paused past its session, say) answers no leader-only request until ZooKeeper
   * tells, so it never serves state another leader may have changed.
   */
  sessionFresh(): boolean {
    return this.replication.fresh();
  }

  electedTimeMs(): number | null {
    return this.elected_time_ms;
  }

  /** The detector's verdict: `leader` leads now, or nobody (null). */
  detected(leader: MasterInfo | null): void {
    const was_elected = this.elected();
    this.leader_info = leader;
    if (was_elected && leader === null) {
      log.error("EXIT with status 1: Lost leadership after indecisive election; committing suicide");
      this.exit(1);
    } else if (was_elected && leader !== null && leader.id !== this.info.id) {
      log.error(`EXIT with status 1: Conceded leadership to another master ${leader.pid}; committing suicide`);
      this.exit(1);
    } else if (!was_elected && this.elected()) {
      this.elected_time_ms = this.now_ms();
      log.info("Elected as the leading master!");
      void this.recoverRegistry();
    } else if (leader === null) {
      log.info("No master is currently elected");
    } else if (!this.elected()) {
      log.info(`The newly elected leader is ${leader.pid} with id ${leader.id}`);
    }
  }

  /**
   * Mesos's leader recovery (§4.4): recover the registrar (fetch, replay, store Recover with
   * this MasterInfo), write --weights when the registry has none, then arm the registry GC.
   * A failure has already aborted the process through the registrar's onAbort.
   */
  private async recoverRegistry(): Promise<void> {
    let registry;
    try {
      // --weights go into a registry that has none, in the same batch as the Recover operation.
      const weights = this.flags.weights;
      registry = await this.registrar.recover(this.info as unknown as Record<string, unknown>, (replayed) =>
        (replayed.weights ?? []).length === 0 && weights !== undefined && Object.keys(weights).length > 0
          ? [{ type: "UPDATE_WEIGHTS", weights: Object.entries(weights).map(([role, weight]) => ({ role, weight })) }]
          : []);
    } catch {
      return;
    }
    const agents = await this.registrar.read(Section.SLAVES | Section.UNREACHABLE | Section.GONE);
    log.info(`Recovered ${agents.slaves?.slaves.length ?? 0} agents from the registry (${this.registrar.sizeBytes()}B); allowing ${this.flags.agent_reregister_timeout / 60000}mins for agents to reregister`);
    this.agents.recover(agents);
    this.registry_gc = startRegistryGc(this.registrar, {
      interval_ms: this.flags.registry_gc_interval,
      max_age_ms: this.flags.registry_max_agent_age,
      max_count: this.flags.registry_max_agent_count,
      onPruned: (unreachable, gone) => this.agents.forgetPruned([...unreachable, ...gone]),
    });
  }

  /** Stops the master's timers (a clean shutdown). */
  stop(): void {
    this.operator_events.stop();
    this.frameworks.stop();
    this.agents.stop();
    this.tasks.stop();
    this.registry_gc?.stop();
    this.registrar.stop();
  }

  /** `{name: value}` for /flags and /state, the zk password hidden. */
  flagsJson(): Record<string, string> {
    return renderFlags(MASTER_FLAGS, this.flags);
  }
}
