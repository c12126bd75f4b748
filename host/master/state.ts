// The /state and /state-summary bodies (mesos-spec §6.2): agents from the agents service,
// frameworks from the frameworks service with their tasks and offers from the task side.
import { buildInfo, MESOS_VERSION } from "../version.ts";
import { MASTER_CAPABILITIES, type MasterInfo } from "./info.ts";
import type { Master } from "./master.ts";
import { agentJson, getAgentsJson, recoveredJson, SUMMARY_STATES, summaryAgentsJson } from "./agent_views.ts";
import { frameworkJson, frameworksJson, getFrameworksJson, visibleFramework } from "./frameworks/views.ts";
import { getTasksJson } from "./task_views.ts";
import { SEE_ALL, type Viewer } from "./authorization.ts";

/**
 * GET_AGENTS as `viewer` may see it: view_agents (beyond Mesos) shows every agent or none. The
 * agent counts of /state and the metrics stay, as they name no agent.
 */
export function visibleAgentsJson(master: Master, viewer: Viewer = SEE_ALL): ReturnType<typeof getAgentsJson> {
  return viewer.agents ? getAgentsJson(master.agents) : { agents: [], recovered_agents: [] };
}

/** The v1 GET_STATE body (also the operator stream's SUBSCRIBED; no executors exist in this build). */
export function getStateJson(master: Master, viewer: Viewer = SEE_ALL): Record<string, unknown> {
  return {
    get_tasks: getTasksJson(master.tasks, viewer), get_executors: {}, get_frameworks: getFrameworksJson(master.frameworks, viewer),
    get_agents: visibleAgentsJson(master, viewer),
  };
}

/** /state as `viewer` may see it: only its frameworks and tasks, the flags only with view_flags, the agents only with view_agents. */
export function stateJson(master: Master, viewer: Viewer = SEE_ALL): Record<string, unknown> {
  const build = buildInfo();
  const state: Record<string, unknown> = {
    version: MESOS_VERSION,
    ...(build.git_sha ? { git_sha: build.git_sha } : {}),
    ...(build.git_branch ? { git_branch: build.git_branch } : {}),
    build_date: build.build_date,
    build_time: build.build_time,
    build_user: build.build_user,
    start_time: master.start_time_ms / 1000,
  };
  const elected_ms = master.electedTimeMs();
  if (elected_ms !== null) state.elected_time = elected_ms / 1000;
  Object.assign(state, {
    id: master.info.id,
    pid: master.info.pid,
    hostname: master.info.hostname,
    capabilities: [...MASTER_CAPABILITIES],
    ...agentCounts(master),
  });
  if (master.info.domain) state.domain = master.info.domain;
  const leader = master.leader();
  if (leader) {
    state.leader = leader.pid;
    state.leader_info = leaderInfoJson(leader);
  }
  // Mesos shows the cluster name and the flags only to those who may view the flags.
  if (viewer.flags && master.flags.cluster !== undefined) state.cluster = master.flags.cluster;
  if (viewer.flags) state.flags = master.flagsJson();
  Object.assign(state, {
    slaves: viewer.agents ? [...master.agents.registered.values()].map((agent) => agentJson(master.agents, agent)) : [],
    recovered_slaves: viewer.agents ? recoveredJson(master.agents) : [],
    ...(({ frameworks, completed_frameworks }) => ({ frameworks, completed_frameworks }))(frameworksJson(master.frameworks, null, viewer)),
    orphan_tasks: [],
    unregistered_frameworks: [],
  });
  return state;
}

function leaderInfoJson(leader: MasterInfo): Record<string, unknown> {
  const out: Record<string, unknown> = { id: leader.id, pid: leader.pid, port: leader.port, hostname: leader.hostname };
  if (leader.domain) out.domain = leader.domain;
  return out;
}

function agentCounts(master: Master): { activated_slaves: number; deactivated_slaves: number; unreachable_slaves: number } {
  let active = 0;
  for (const agent of master.agents.registered.values()) if (agent.active) active++;
  return { activated_slaves: active, deactivated_slaves: master.agents.registered.size - active, unreachable_slaves: master.agents.unreachable.size };
}

/** /state-summary: hostname, cluster, agents with their task counts, frameworks. */
export function stateSummaryJson(master: Master, viewer: Viewer = SEE_ALL): Record<string, unknown> {
  const summary: Record<string, unknown> = { hostname: master.info.hostname };
  if (master.flags.cluster !== undefined) summary.cluster = master.flags.cluster;
  summary.slaves = viewer.agents ? summaryAgentsJson(master.agents) : [];
  summary.frameworks = [...master.frameworks.registered.values()].filter((f) => visibleFramework(f, viewer)).map((framework) => {
    const full = frameworkJson(master.frameworks, framework, viewer);
    const counts: Record<string, number> = Object.fromEntries(SUMMARY_STATES.map((s) => [s, 0]));
    const agents = new Set<string>();
    for (const task of full.tasks as { state: string; slave_id: string }[]) {
      if (task.state in counts) counts[task.state]!++;
      agents.add(task.slave_id);
    }
    const { id, name, pid, used_resources, offered_resources, capabilities, hostname, webui_url, active, connected, recovered } = full;
    return { id, name, ...(pid !== undefined ? { pid } : {}), used_resources, offered_resources, capabilities, hostname, webui_url, active, connected, recovered, ...counts, slave_ids: [...agents] };
  });
  return summary;
}
