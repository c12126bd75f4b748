// Where an agent's task checkpoints go (tasks.ts's header describes both layouts): the store
// ("files": Mesos's meta directories, written synchronously; "journal": one group-committed
// journal per agent), each framework's and task's location in it, and the exit status file the
// runner's wrapper writes for a run.
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

  /** The run's checkpoints outside the store go (journal: the exit status; files: the run's meta directory). */
  removeRun(task: Task): void {
    if (!this.journaled) return rmSync(task.meta_dir, { recursive: true, force: true });
    if (task.run_id !== "") rmSync(this.statusFile(task), { force: true });
  }

  /** Commits what is pending and closes the journal. */
  close(): void {
    this.opened?.close();
  }
}
