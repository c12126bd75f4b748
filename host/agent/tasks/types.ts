// The agent's view of its tasks and their frameworks (tasks.ts): what a task's checkpoint
// holds, and what the agent keeps beside it while the task lives.
import type { Id, JsonObject, TaskInfo, TaskState, TaskStatus } from "../task_protocol.ts";
import type { TaskProcess } from "./runner.ts";

export type FrameworkInfo = JsonObject & { id: Id };
/** What task.json holds. */
export interface TaskCheckpoint {
  framework_id: string;
  task: TaskInfo;
  run_id: string;
  sandbox: string;
  /** The wrapper's pid (= process group id) once spawned. */
  pid: number | null;
  start_time: string | null;
  state: TaskState;
  /** Set once a kill began: the grace period before SIGKILL. */
  killing: { grace_ms: number } | null;
  statuses: TaskStatus[];
  /**
   * The task ids of its task group, itself included (RUN_TASK_GROUP); absent for a task launched
   * alone, and in checkpoints written before groups were kept.
   */
  group?: string[];
}

/** A task the agent holds: its checkpoint, where its run's meta files are, its process and kill timer. */
export interface Task extends TaskCheckpoint {
  meta_dir: string;
  process: TaskProcess | null;
  kill_timer: ReturnType<typeof setTimeout> | null;
}

/** What of a task its checkpoint holds. */
export function checkpointOf(task: Task): TaskCheckpoint {
  const { meta_dir: _m, process: _p, kill_timer: _k, ...checkpoint } = task;
  return checkpoint;
}

export interface Framework {
  info: FrameworkInfo;
  tasks: Map<string, Task>;
  /** SHUTDOWN_FRAMEWORK received and some of its tasks still run. */
  terminating: boolean;
  /** The FrameworkInfo as last checkpointed (JSON): it is written again only when it changed. */
  checkpointed?: string;
}
