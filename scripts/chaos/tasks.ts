// The chaos suite's task workload: the example framework (scripts/example_framework.ts, the v1
// scheduler API only) run again and again through the faults, each run launching a few short
// command tasks on the agent. A run must see every one of its tasks reach a terminal state
// (re-subscribing and reconciling after each master failover) within its timeout; one that
// does not is a violation.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ChaosCluster } from "./cluster.ts";

const TASKS_PER_RUN = 20;
const RUN_TIMEOUT_S = 120;

export interface TaskSummary {
  runs: number;
  tasks_launched: number;
  tasks_finished: number;
  /** Runs that ended before every task was terminal, with their last words. */
  stuck: string[];
}

export async function runFrameworks(cluster: ChaosCluster, dir: string, until: () => boolean): Promise<TaskSummary> {
  const summary: TaskSummary = { runs: 0, tasks_launched: 0, tasks_finished: 0, stuck: [] };
  const masters = cluster.masters.map((m) => `${m.host}:${m.port}`).join(",");
  mkdirSync(join(dir, "frameworks"), { recursive: true });
  while (until()) {
    const run = ++summary.runs;
    const child = Bun.spawn([process.execPath, join(import.meta.dir, "..", "example_framework.ts"), `--master=${masters}`, `--tasks=${TASKS_PER_RUN}`,
      "--cmd=true", "--cpus=0.1", "--mem=16", `--name=chaos-${run}`, `--timeout-s=${RUN_TIMEOUT_S}`, "--principal=framework",
      `--secret_file=${cluster.security.framework_secret_file}`], {
      cwd: dir, env: cluster.env(), stdout: "pipe", stderr: "pipe",
    });
    const [out, err] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
    writeFileSync(join(dir, "frameworks", `run-${run}.log`), out + err);
    summary.tasks_launched += TASKS_PER_RUN;
    const finished = /^(\d+)\/(\d+) tasks finished/m.exec(out);
    summary.tasks_finished += finished === null ? 0 : Number(finished[1]);
    // Terminal states other than FINISHED are allowed (the framework prints them); never
    // reaching one is not.
    if (finished === null || /not done within/.test(err)) summary.stuck.push(`framework run ${run}: ${(out + err).trim().split("\n").slice(-3).join(" | ")}`);
  }
  return summary;
}
