// Operator actions on agents (mesos-spec §5.7, §6.3, §6.4): MARK_AGENT_GONE, DRAIN_AGENT,
// DEACTIVATE_AGENT, REACTIVATE_AGENT and /machine/down's shutdown and removal of the agents
// on machines brought DOWN. Checks and texts follow master/http.cpp; each change is written
// to the registry first, then applied in memory.
import { logger } from "../logging.ts";
import type { ExactNanoseconds, MachineID } from "../registry/types.ts";
import { describe } from "./agent_types.ts";
import type { Agents } from "./agents.ts";
import { ok, refuse, type Reply } from "./registry_requests.ts";

const log = logger("agent_operator.ts");

/** Applies the operation; resolves its Reply, or a 503 when the registrar failed (the master is aborting). */
function write(agents: Agents, op: Parameters<Agents["apply"]>[0], what: string, then: (applied: boolean) => Reply): Promise<Reply> {
  return agents.options.registrar.apply(op).then(then, (error: unknown) => {
    const reason = error instanceof Error ? error.message : String(error);
    log.error(`Failed to ${what} in the registry: ${reason}`);
    return refuse(`Registrar failed: ${reason}`, 503);
  });
}

const known = (agents: Agents, id: string) => agents.recovered.has(id) || agents.registered.has(id) || agents.unreachable.has(id);

/** MARK_AGENT_GONE: registry MARK_SLAVE_GONE; a connected agent is told to shut down. */
export function markAgentGone(agents: Agents, id: string): Promise<Reply> {
  log.info(`Marking agent '${id}' as gone`);
  if (agents.gone.has(id)) {
    log.warning(`Not marking agent '${id}' as gone because it has already transitioned to gone`);
    return Promise.resolve(ok());
  }
  if (agents.marking_gone.has(id)) return Promise.resolve(refuse(`Agent '${id}' is already being transitioned to gone`, 503));
  if (agents.removing.has(id)) return Promise.resolve(refuse(`Agent '${id}' is being transitioned to removed`, 503));
  if (agents.marking_unreachable.has(id)) return Promise.resolve(refuse(`Agent '${id}' is being transitioned to unreachable`, 503));
  if (!known(agents, id)) return Promise.resolve(refuse(`Agent '${id}' not found`, 404));
  agents.marking_gone.add(id);
  const time_ns = agents.clock.now_ms() * 1e6;
  return write(agents, { type: "MARK_SLAVE_GONE", id, time: { nanoseconds: time_ns } }, `mark agent ${id} as gone`, (applied) => {
    agents.marking_gone.delete(id);
    if (!applied) log.error(`The registry refused to mark agent ${id} gone`);
    agents.gone.set(id, time_ns);
    agents.recovered.delete(id);
    agents.unreachable.delete(id);
    agents.draining.delete(id);
    agents.deactivated.delete(id);
    const agent = agents.registered.get(id);
    if (agent !== undefined) {
      agents.send(agent.conn, { type: "SHUTDOWN", message: "Agent has been marked gone" });
      agents.forget(agent);
    }
    agents.tasks?.removed(id, "gone", time_ns, agent !== undefined);
    if (agent !== undefined) agents.events.agentRemoved(id);
    log.info(`Marked agent ${id} as gone`);
    return ok();
  });
}

/**
 * DRAIN_AGENT: registry DRAIN_AGENT, the agent deactivated. No tasks run on agents in this
 * build, so a draining agent has nothing to wait for: it is DRAINED at once (Mesos's
 * checkAndTransitionDrainingAgent), and marked gone when mark_gone asked for it.
 */
export async function drainAgent(agents: Agents, id: string, max_grace_period: ExactNanoseconds | undefined, mark_gone: boolean): Promise<Reply> {
  if (!known(agents, id)) return refuse("Unknown agent");
  if (agents.marking_gone.has(id)) return refuse("Agent is currently being marked gone", 409);
  const op = { type: "DRAIN_AGENT" as const, id, mark_gone, ...(max_grace_period ? { max_grace_period } : {}) };
  const reply = await write(agents, op, `drain agent ${id}`, () => {
    agents.draining.set(id, { state: "DRAINING", config: { mark_gone, ...(max_grace_period ? { max_grace_period } : {}) } });
    agents.deactivated.add(id);
    const agent = agents.registered.get(id);
    if (agent !== undefined) {
      log.info(`Transitioning agent ${describe(agent)} to the DRAINING state; agent has no tasks or operations`);
      agent.active = false;
    }
    agents.tasks?.deactivated(id);
    return ok();
  });
  if ("message" in reply || !agents.registered.has(id)) return reply;
  const drained = await write(agents, { type: "MARK_AGENT_DRAINED", id }, `mark agent ${id} drained`, () => {
    const info = agents.draining.get(id);
    if (info !== undefined) agents.draining.set(id, { ...info, state: "DRAINED" });
    log.info(`Transitioned agent ${id} to the DRAINED state`);
    return ok();
  });
  return "message" in drained || !mark_gone ? drained : markAgentGone(agents, id);
}

/** DEACTIVATE_AGENT: no offers for it until reactivated (persisted). */
export function deactivateAgent(agents: Agents, id: string): Promise<Reply> {
  if (!known(agents, id)) return Promise.resolve(refuse("Unknown agent"));
  return write(agents, { type: "DEACTIVATE_AGENT", id }, `deactivate agent ${id}`, () => {
    agents.deactivated.add(id);
    const agent = agents.registered.get(id);
    if (agent !== undefined) {
      log.info(`Deactivating agent ${describe(agent)}`);
      agent.active = false;
    }
    agents.tasks?.deactivated(id);
    return ok();
  });
}

/** REACTIVATE_AGENT: clears deactivation and a finished drain. */
export function reactivateAgent(agents: Agents, id: string): Promise<Reply> {
  if (!agents.deactivated.has(id)) return Promise.resolve(refuse("Agent is not deactivated"));
  if (agents.draining.get(id)?.state === "DRAINING") return Promise.resolve(refuse("Agent is still in the DRAINING state"));
  return write(agents, { type: "REACTIVATE_AGENT", id }, `reactivate agent ${id}`, () => {
    agents.draining.delete(id);
    agents.deactivated.delete(id);
    const agent = agents.registered.get(id);
    if (agent === undefined) return refuse("Agent removed while processing the call", 409);
    if (agent.connected) {
      log.info(`Reactivating agent ${describe(agent)}`);
      agent.active = true;
    } else {
      log.info(`Disconnected agent ${describe(agent)} will be reactivated upon reregistration.`);
    }
    return ok();
  });
}

/** /machine/down after START_MAINTENANCE was stored: every agent on those machines is shut down and removed. */
export function machinesDown(agents: Agents, machines: readonly MachineID[]): void {
  for (const agent of agents.agentsOn(machines)) {
    log.info(`Shutting down agent ${describe(agent)}: its machine was brought DOWN`);
    agents.send(agent.conn, { type: "SHUTDOWN", message: "Operator initiated 'Machine DOWN'" });
    agents.removeAgent(agent, "Operator initiated 'Machine DOWN'", null);
  }
}
