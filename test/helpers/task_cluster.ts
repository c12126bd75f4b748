// Three masters in a real ZooKeeper group and two agents following them (--master=zk://), for
// the end-to-end framework tests: short allocation and health-check flags, the sandbox of a
// task found under an agent's work dir, and the tasks' process groups (which outlive a killed
// agent, as in Mesos) read from the agents' logs so that cleanup can kill them too.
import { Glob } from "bun";
import { readFileSync } from "node:fs";
import { afterEach, beforeEach } from "bun:test";
import { type AgentProcess, Cluster, FAST_HEALTH, type MasterProcess, masterAt, until } from "./agents.ts";
import { Ensemble } from "./ensemble.ts";
import { run } from "./process.ts";

export const TASK_MASTER_FLAGS = [...FAST_HEALTH, "--allocation_interval=100ms"];

export interface TaskCluster {
  ensemble: Ensemble;
  /** Every master as host:port. */
  masters: string[];
  leader: number;
  /** A master that is not the leader, as host:port. */
  standby: string;
  agents: AgentProcess[];
  agent_ids: string[];
  leaderProcess(): MasterProcess;
}

let clusters = 0;
/** Task clusters of the running test: their task process groups are killed after it. */
const live: TaskCluster[] = [];

/**
 * A file's per-test set-up and clean-up: a fresh Cluster before each test; after it, the
 * scheduler clients (and event streams) pushed to `clients` closed, the task process groups of every task cluster
 * killed (they outlive a killed agent), and every process of the cluster stopped.
 */
export function useTaskClusters(): { readonly cluster: Cluster; clients: { close(): Promise<void> }[] } {
  const context = { cluster: null as unknown as Cluster, clients: [] as { close(): Promise<void> }[] };
  beforeEach(() => {
    context.cluster = new Cluster();
  });
  afterEach(async () => {
    await Promise.all(context.clients.splice(0).map((c) => c.close()));
    for (const tc of live.splice(0)) killTaskGroups(tc.agents);
    await context.cluster.destroy();
  });
  return context;
}

/** Three masters (quorum 2) and two agents registered with the leader. */
export async function taskCluster(cluster: Cluster, zk_connect: string, extra: string[] = []): Promise<TaskCluster> {
  const path = `/mesos-tasks-${process.pid}-${++clusters}`;
  const ensemble = await Ensemble.create(cluster.dir, zk_connect, path, 3, [...TASK_MASTER_FLAGS, ...extra]);
  for (let i = 0; i < 3; i++) cluster.track(ensemble.start(i));
  const leader = await ensemble.settledLeader();
  const url = `zk://${zk_connect}${path}`;
  const agents = await Promise.all([cluster.agent(url), cluster.agent(url)]);
  const agent_ids = await Promise.all(agents.map((a) => a.registered()));
  const master = masterAt(ensemble.masters[leader]!.port, ensemble.masters[leader]!.running!);
  await until(async () => (await master.agentIds()).length === 2, "both agents at the leader");
  const masters = ensemble.masters.map((m) => `127.0.0.1:${m.port}`);
  const tc: TaskCluster = {
    ensemble, masters, leader, standby: masters[(leader + 1) % 3]!, agents, agent_ids,
    leaderProcess: () => master,
  };
  live.push(tc);
  return tc;
}

/** The task's stdout in the agent's sandbox (slaves/<aid>/frameworks/<fid>/executors/<tid>/runs/<run>/stdout), or null. */
export function sandboxFile(agent: AgentProcess, framework_id: string, task_id: string, file = "stdout"): string | null {
  const glob = new Glob(`slaves/*/frameworks/${framework_id}/executors/${task_id}/runs/*/${file}`);
  for (const path of glob.scanSync({ cwd: agent.workDir, absolute: true })) return readFileSync(path, "utf8");
  return null;
}

/** The process group of a launched task, as the agent logs it. */
export function taskGroup(agent: AgentProcess, task_id: string): number | null {
  const match = new RegExp(`Launched task ${task_id.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} of framework \\S+ \\(process group (\\d+)\\)`).exec(agent.running.stderr());
  return match ? Number(match[1]) : null;
}

/** Pids (with their command lines) of the live processes in process group `pgid`, as `ps` lists them. */
export async function groupProcesses(pgid: number): Promise<string[]> {
  const { stdout } = await run(["ps", "-eo", "pgid=,pid=,stat=,args="]);
  return stdout.split("\n").map((l) => l.trim().split(/\s+/)).filter((f) => Number(f[0]) === pgid && !f[2]?.startsWith("Z")).map((f) => f.slice(1).join(" "));
}

/** SIGKILLs the process group of every task the agents launched (they outlive their agent). */
export function killTaskGroups(agents: AgentProcess[]): void {
  for (const agent of agents) {
    for (const match of agent.running.stderr().matchAll(/\(process group (\d+)\)/g)) {
      try {
        process.kill(-Number(match[1]), "SIGKILL");
      } catch {
        // gone already
      }
    }
  }
}

