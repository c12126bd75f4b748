// Shared pieces of the agent task tests in both checkpoint modes (test/host/agent_tasks.test.ts
// on files, agent_tasks_journal.test.ts on the journal): polling, acknowledging updates as they
// come, and the agent-restart scenario both modes must pass.
import { expect } from "bun:test";
import { groupAlive, signalGroup } from "../../host/agent/tasks/runner.ts";
import type { AgentTasks } from "../../host/agent/tasks/tasks.ts";
import type { JsonObject, StatusUpdate, TaskInfo, TaskState } from "../../host/agent/task_protocol.ts";

export const until = async (ok: () => boolean, what = "condition", ms = 10_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
};

/** The updates of framework F1 an AgentTasks sent, by task, and a way to acknowledge them as they come. */
export function acknowledger(tasks: AgentTasks, sent: StatusUpdate[]) {
  const states = (id: string): TaskState[] => sent.filter((u) => u.status.task_id.value === id).map((u) => u.status.state);
  /** Acknowledges every update of `id` as it comes, until `state` was sent. */
  const ackUntil = async (id: string, state: TaskState): Promise<void> => {
    await until(() => {
      const last = sent.filter((u) => u.status.task_id.value === id).at(-1);
      if (last !== undefined && tasks.updates.pending("F1", id)[0]?.uuid === last.uuid && last.status.state !== state) {
        tasks.handle({ type: "STATUS_UPDATE_ACKNOWLEDGEMENT", master_id: "M", framework_id: { value: "F1" }, task_id: { value: id }, uuid: last.uuid });
      }
      return states(id).includes(state);
    }, `${state} for ${id}`);
  };
  return { states, ackUntil };
}

export interface TasksUnderTest extends ReturnType<typeof acknowledger> {
  tasks: AgentTasks;
  sent: StatusUpdate[];
  work_dir: string;
}

/**
 * An agent restart: r1 runs and its RUNNING is acknowledged, r2's updates are not; the agent
 * stops, r2's process group dies meanwhile. The restarted agent re-adopts r1, fails r2 ("Executor
 * terminated"), resends r2's updates once registered, and reads r1's end as the wrapper recorded
 * it. `groups` collects the process groups for the file's clean-up. Returns the restarted agent.
 */
export async function expectRestartRecovers(
  setup: (work_dir?: string) => TasksUnderTest, framework: JsonObject & { id: { value: string } }, task: (id: string, cmd: string) => TaskInfo, groups: number[],
): Promise<TasksUnderTest> {
  const first = setup();
  first.tasks.registered();
  first.tasks.handle({ type: "RUN_TASK", master_id: "M", framework, task: task("r1", "sleep 60") });
  first.tasks.handle({ type: "RUN_TASK", master_id: "M", framework, task: task("r2", "sleep 60") });
  await first.ackUntil("r1", "TASK_RUNNING");
  first.tasks.handle({ type: "STATUS_UPDATE_ACKNOWLEDGEMENT", master_id: "M", framework_id: { value: "F1" }, task_id: { value: "r1" }, uuid: first.sent.filter((u) => u.status.task_id.value === "r1").at(-1)!.uuid });
  await until(() => first.states("r2").length > 0, "r2 started");
  const executors = (first.tasks.state().frameworks[0] as { executors: { id: string; tasks: { pid: number }[] }[] }).executors;
  const [p1, p2] = ["r1", "r2"].map((id) => executors.find((e) => e.id === id)!.tasks[0]!.pid) as [number, number];
  groups.push(p1, p2);
  first.tasks.stop();
  signalGroup(p2, "SIGKILL"); // died while the agent was down (the wrapper too: no exit status)
  await until(() => !groupAlive(p2), "r2 gone");
  const second = setup(first.work_dir);
  second.tasks.recover("A1");
  const reported = second.tasks.reported();
  expect(reported.frameworks.map((f) => f.id.value)).toEqual(["F1"]);
  expect(reported.tasks.find((t) => t.task_id.value === "r1")!.state).toBe("TASK_RUNNING");
  expect(reported.tasks.find((t) => t.task_id.value === "r2")!.state).toBe("TASK_FAILED");
  expect(second.sent).toEqual([]);
  second.tasks.registered();
  await until(() => second.sent.length > 0, "a resent update");
  expect(second.states("r2")).toEqual(["TASK_STARTING"]); // r2's oldest unacknowledged update
  expect(second.sent.find((u) => u.status.task_id.value === "r1")).toBeUndefined(); // r1's are all acknowledged
  await second.ackUntil("r2", "TASK_FAILED");
  expect(second.sent.at(-1)!.status).toMatchObject({ reason: "REASON_EXECUTOR_TERMINATED", source: "SOURCE_AGENT" });
  signalGroup(p1, "SIGTERM"); // the re-adopted task ends: its recorded status is read
  await second.ackUntil("r1", "TASK_FAILED");
  expect(second.sent.at(-1)!.status.message).toBe("Command terminated with signal Terminated"); // as the wrapper recorded it
  return second;
}
