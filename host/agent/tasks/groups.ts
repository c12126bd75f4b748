// Task groups (RUN_TASK_GROUP, a scheduler's LAUNCH_GROUP) as Mesos's default executor runs
// them (src/launcher/default_executor.cpp): the tasks of a group are launched together, and once
// one of them ends TASK_FAILED or TASK_KILLED the executor kills every other live task of the
// group; a task that finishes leaves the others alone. Also the queue that spawns launches.
import { TERMINAL_STATES } from "../task_protocol.ts";
import type { Task } from "./types.ts";

/**
 * The live tasks of `task`'s group that its end kills: none unless it is TASK_FAILED or
 * TASK_KILLED; not those being killed already, nor those the agent no longer holds (finished, or
 * not yet read on recovery). A sibling must name `task` in its own group too, since a task id
 * may be reused once its task is gone.
 */
export function siblingsToKill(task: Task, held: ReadonlyMap<string, Task>): Task[] {
  if (task.group === undefined || (task.state !== "TASK_FAILED" && task.state !== "TASK_KILLED")) return [];
  const task_id = task.task.task_id.value;
  return task.group.flatMap((id) => {
    const sibling = held.get(id);
    if (sibling === undefined || sibling === task || !sibling.group?.includes(task_id)) return [];
    return TERMINAL_STATES.has(sibling.state) || sibling.killing !== null ? [] : [sibling];
  });
}

/**
 * Spawns launches once their checkpoints are durable, with the journal: a burst is spawned a few
 * at a time, a turn of the event loop each, so that the first ones' updates are committed and
 * sent while the rest are still spawning. A group is one batch, never split across turns.
 */
export class StartQueue<T> {
  private readonly batches: T[][] = [];

  /** per_turn: tasks spawned per turn of the event loop (more only for a larger group). */
  constructor(private readonly start: (task: T) => void, private readonly per_turn = 32) {}

  /** Queues one task, or one task group, to be spawned in one turn. */
  push(batch: T[]): void {
    if (batch.length === 0) return;
    this.batches.push(batch);
    if (this.batches.length === 1) setImmediate(() => this.drain());
  }

  private drain(): void {
    let started = 0;
    // Whole batches up to per_turn tasks; one at least, so a group larger than per_turn still starts.
    while (this.batches.length > 0 && (started === 0 || started + this.batches[0]!.length <= this.per_turn)) {
      const batch = this.batches.shift()!;
      for (const task of batch) this.start(task);
      started += batch.length;
    }
    if (this.batches.length > 0) setImmediate(() => this.drain());
  }
}
