// Health checks and the timeouts that mark agents unreachable (mesos-spec §5.3, §5.4, §5.6).
// Mesos runs one SlaveObserver process with its own timer per agent; at 40,000 agents that is
// 40,000 timers, so here one interval timer sweeps the agents instead. Agents are spread over
// SWEEP_SLOTS slots; every agent_ping_timeout / SWEEP_SLOTS one slot is swept: each of its
// agents whose last ping got no pong counts a timeout, and is pinged again. Each agent is
// thus pinged every agent_ping_timeout, and a sweep touches 1/SWEEP_SLOTS of the agents.
// The same tick checks the (few) disconnected agents against agent_reregister_timeout.
import { logger } from "../logging.ts";
import { formatDuration } from "../duration.ts";
import type { Agent } from "./agent_types.ts";
import type { AgentFlags, Agents } from "./agents.ts";
import { type AgentClock, type Permit, RateLimiter } from "./rate_limiter.ts";

const log = logger("agent_health.ts");
export const SWEEP_SLOTS = 16;

export class AgentHealth {
  private readonly slots: Set<Agent>[] = Array.from({ length: SWEEP_SLOTS }, () => new Set());
  /** Disconnected agents waiting for agent_reregister_timeout. */
  private readonly disconnected_agents = new Set<Agent>();
  private readonly limiter: RateLimiter | null;
  private tick = 0;
  private sweeper: unknown = null;
  private recovered_timer: unknown = null;

  constructor(private readonly agents: Agents, private readonly flags: AgentFlags, private readonly clock: AgentClock) {
    this.limiter = flags.agent_removal_rate_limit === undefined ? null : new RateLimiter(flags.agent_removal_rate_limit, clock);
  }

  /** Starts the sweep and arms the post-failover re-registration timeout for `recovered` agents. */
  start(recovered: number): void {
    this.sweeper = this.clock.setInterval(() => this.sweep(), this.flags.agent_ping_timeout / SWEEP_SLOTS);
    this.recovered_timer = this.clock.setTimeout(() => this.recoveredTimeout(recovered), this.flags.agent_reregister_timeout);
  }

  stop(): void {
    if (this.sweeper !== null) this.clock.clearInterval(this.sweeper);
    if (this.recovered_timer !== null) this.clock.clearTimeout(this.recovered_timer);
    this.sweeper = this.recovered_timer = null;
    this.limiter?.stop();
  }

  /** A permit from the removal rate limiter (immediate without --agent_removal_rate_limit). */
  private acquire(run: () => void): Permit | null {
    if (this.limiter === null) {
      run();
      return null;
    }
    return this.limiter.acquire(run);
  }

  /** A newly (re-)registered agent: pinged at once (as a new SlaveObserver does), then every agent_ping_timeout. */
  add(agent: Agent): void {
    // The slot swept last: its next sweep is a full period away.
    agent.slot = (this.tick + SWEEP_SLOTS - 1) % SWEEP_SLOTS;
    this.slots[agent.slot]!.add(agent);
    this.ping(agent);
  }

  remove(agent: Agent): void {
    this.slots[agent.slot]!.delete(agent);
    this.disconnected_agents.delete(agent);
    agent.marking?.cancel();
    agent.marking = null;
  }

  disconnected(agent: Agent): void {
    this.disconnected_agents.add(agent);
  }

  reconnected(agent: Agent): void {
    this.disconnected_agents.delete(agent);
  }

  /** Any pong resets the count and cancels a scheduled, not yet executed, transition. */
  pong(agent: Agent): void {
    agent.timeouts = 0;
    agent.pinged = false;
    if (agent.marking !== null && !agent.marking.cancelled) {
      agent.marking.cancel();
      agent.marking = null;
      log.info(`Canceling transition of agent ${agent.id} to UNREACHABLE because a pong was received!`);
      this.agents.count("master/slave_unreachable_canceled");
    }
  }

  private ping(agent: Agent): void {
    agent.pinged = true;
    this.agents.send(agent.conn, { type: "PING_SLAVE", connected: agent.connected });
  }

  private sweep(): void {
    const slot = this.slots[this.tick % SWEEP_SLOTS]!;
    this.tick++;
    for (const agent of slot) {
      if (agent.pinged && ++agent.timeouts >= this.flags.max_agent_ping_timeouts) this.scheduleUnreachable(agent);
      // Pinging goes on after scheduling: a later pong still cancels the transition.
      this.ping(agent);
    }
    if (this.disconnected_agents.size > 0) this.checkReregisterTimeouts();
  }

  private scheduleUnreachable(agent: Agent): void {
    if (agent.marking !== null) return; // a transition is already scheduled
    if (this.limiter !== null) log.info(`Scheduling transition of agent ${agent.id} to UNREACHABLE because of health check timeout`);
    this.agents.count("master/slave_unreachable_scheduled");
    let ran = false;
    const permit = this.acquire(() => {
      ran = true;
      agent.marking = null;
      this.agents.count("master/slave_unreachable_completed");
      void this.agents.markUnreachable(agent.info, false, "health check timed out");
    });
    if (permit !== null && !ran) agent.marking = permit;
  }

  /** §5.4: a disconnected agent that has not re-registered within agent_reregister_timeout is marked unreachable. */
  private checkReregisterTimeouts(): void {
    const now = this.clock.now_ms();
    for (const agent of this.disconnected_agents) {
      if (agent.disconnected_ms === null || now - agent.disconnected_ms < this.flags.agent_reregister_timeout) continue;
      this.disconnected_agents.delete(agent);
      const within = formatDuration(this.flags.agent_reregister_timeout);
      if (this.limiter !== null) log.info(`Scheduling removal of agent ${agent.id}; did not reregister within ${within} after disconnecting`);
      this.agents.count("master/slave_unreachable_scheduled");
      this.acquire(() => {
        const current = this.agents.registered.get(agent.id);
        if (current === undefined || current.connected) return this.agents.count("master/slave_unreachable_canceled");
        this.agents.count("master/slave_unreachable_completed");
        void this.agents.markUnreachable(current.info, false, `agent did not reregister within ${within} after disconnecting`);
      });
    }
  }

  /**
   * §5.6: agent_reregister_timeout after recovery, the recovered agents that have not
   * re-registered are marked unreachable (rate limited), unless they are more than
   * --recovery_agent_removal_limit of the registry's agents: then the master exits 1.
   */
  private recoveredTimeout(registry_agents: number): void {
    this.recovered_timer = null;
    const recovered = this.agents.recovered;
    const fraction = recovered.size / registry_agents;
    const within = formatDuration(this.flags.agent_reregister_timeout);
    if (fraction > this.flags.recovery_agent_removal_limit) {
      const ids = [...recovered.keys()];
      const listed = ids.length > 10 ? `${ids.slice(0, 10).join(", ")}, ... (${ids.length - 10} more)` : ids.join(", ");
      log.error(`EXIT with status 1: Post-recovery agent removal limit exceeded! After ${within} there were ${recovered.size} (${(fraction * 100).toFixed(1)}%) agents recovered from the registry that did not reregister: [${listed}]. The configured removal limit is ${this.flags.recovery_agent_removal_limit * 100}%. Please investigate or increase this limit to proceed further`);
      this.agents.options.exit(1);
      return;
    }
    for (const [id, info] of [...recovered]) {
      if (this.agents.reregistering.has(id)) continue;
      if (this.limiter !== null) log.info(`Scheduling removal of agent ${id} (${info.hostname}); did not reregister within ${within} after master failover`);
      this.agents.count("master/slave_unreachable_scheduled");
      this.acquire(() => {
        void this.agents.markUnreachable(info, true, `did not reregister within ${within} after master failover`).then((marked) => {
          this.agents.count(marked ? "master/slave_unreachable_completed" : "master/slave_unreachable_canceled");
        });
      });
    }
  }
}
