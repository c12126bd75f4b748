// Where an agent's task checkpoints go: the store, each framework's and task's location in it,
// and the exit status file the runner's wrapper writes for a run. Two layouts (the agent's
// `checkpoints` option):
//  - "files" (the default) writes, synchronously, Mesos's meta layout under
//    <work_dir>/meta/slaves/<agent>/frameworks/<framework>/: framework.json, and per run
//    executors/<task>/runs/<run>/tasks/<task>/task.json and task.updates; the exit status is the
//    run's meta directory's exit_status.
//  - "journal" keeps the framework, each task (and its process) and each task's update stream as
//    keys of one group-committed log per agent, <work_dir>/meta/slaves/<agent>/tasks.journal
//    (journal.ts): everything a turn of the event loop produced is made durable with one
//    fdatasync before any of it is sent and before the commands it launches are spawned; the
//    exit status is <work_dir>/meta/slaves/<agent>/exit_statuses/<run> (no directory per task).
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type CheckpointStore, fileStore, Journal } from "./journal.ts";
import type { Task } from "./types.ts";

export class CheckpointLayout {
  /** The agent whose checkpoints these are (the registered one, or the one recovered). */
  meta_agent: string | null = null;
  private opened: Journal | null = null;
  private status_dir: string | null = null;

  constructor(private readonly work_dir: string, readonly journaled: boolean, private readonly agent_id: () => string | null) {}

  /** The checkpoint store of the current agent (its journal opened on first use). */
  store(): CheckpointStore {
    return this.journal() ?? fileStore;
  }

  /** The current agent's journal; null with the "files" layout. */
  journal(): Journal | null {
    if (!this.journaled) return null;
    const agent_id = this.agent_id() ?? this.meta_agent ?? "";
    if (this.opened === null || this.meta_agent !== agent_id) {
      this.opened?.close();
      this.meta_agent = agent_id;
      this.opened = new Journal(join(this.work_dir, "meta", "slaves", agent_id, "tasks.journal"));
    }
    return this.opened;
  }

  frameworkLocation(framework_id: string): string {
    if (this.journaled) return JSON.stringify(["framework", framework_id]);
    return join(this.work_dir, "meta", "slaves", this.agent_id() ?? "", "frameworks", framework_id, "framework.json");
  }

  taskLocation(task: Task, file: "task.json" | "task.updates"): string {
    if (this.journaled) return JSON.stringify([file === "task.json" ? "task" : "stream", task.framework_id, task.task.task_id.value]);
    return join(task.meta_dir, "tasks", task.task.task_id.value, file);
  }

  /** Where the runner's wrapper records how the task's command ended. */
  statusFile(task: Task): string {
    if (this.journaled) return join(this.work_dir, "meta", "slaves", this.meta_agent ?? "", "exit_statuses", task.run_id);
    return join(task.meta_dir, "exit_status");
  }

  /** Makes the journal's exit status directory (once per agent). */
  statusDirectory(): void {
    const dir = join(this.work_dir, "meta", "slaves", this.meta_agent ?? "", "exit_statuses");
    if (this.status_dir === dir) return;
    mkdirSync(dir, { recursive: true });
    this.status_dir = dir;
  }

  /** The run's checkpoints go: files, the run's meta directory; journal, the task's `keys` and its exit status. */
  removeRun(task: Task, keys: ("task.json" | "task.updates")[]): void {
    if (!this.journaled) return rmSync(task.meta_dir, { recursive: true, force: true });
    for (const key of keys) this.store().write(this.taskLocation(task, key), null);
    if (task.run_id !== "") rmSync(this.statusFile(task), { force: true });
  }

  /** Commits what is pending and closes the journal. */
  close(): void {
    this.opened?.close();
  }
}
