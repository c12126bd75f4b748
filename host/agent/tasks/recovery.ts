// Reading a restarted agent's task checkpoints (layout.ts's header has both layouts): each task
// with its framework, its run's meta directory and its update stream. What the agent then does
// with each (re-adopt, end, resend) is AgentTasks.recover's business. An unreadable or orphan
// checkpoint is skipped with a warning; in the journal it is also erased.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { logger } from "../../logging.ts";
import type { Id, JsonObject } from "../task_protocol.ts";
import { readJson } from "./checkpoint.ts";
import type { Journal } from "./journal.ts";
import { parseStreamCheckpoint, type StreamCheckpoint } from "./status_updates.ts";
import type { TaskCheckpoint } from "./types.ts";

const log = logger("recovery.ts");

type FrameworkInfo = JsonObject & { id: Id };

export interface RecoveredTask {
  info: FrameworkInfo;
  meta_dir: string;
  checkpoint: TaskCheckpoint;
  stream: StreamCheckpoint | null;
}

export interface Recovered {
  tasks: RecoveredTask[];
  /** Frameworks checkpointed on their own (journal): erased by the caller once none of their tasks was kept. */
  frameworks: string[];
}

const runDir = (work_dir: string, agent_id: string, framework_id: string, task_id: string, run_id: string) =>
  join(work_dir, "meta", "slaves", agent_id, "frameworks", framework_id, "executors", task_id, "runs", run_id);

/** The "files" layout: meta/slaves/<agent>/frameworks/<framework>/executors/<task>/runs/<run>/tasks/<task>/. */
export function readFileCheckpoints(work_dir: string, agent_id: string): Recovered {
  const tasks: RecoveredTask[] = [];
  const root = join(work_dir, "meta", "slaves", agent_id, "frameworks");
  for (const framework_id of list(root)) {
    const info = readJson(join(root, framework_id, "framework.json")) as FrameworkInfo | null;
    if (info === null || info.id?.value !== framework_id) continue;
    const executors = join(root, framework_id, "executors");
    for (const executor of list(executors)) {
      for (const run of list(join(executors, executor, "runs"))) {
        const meta_dir = join(executors, executor, "runs", run);
        for (const task_id of list(join(meta_dir, "tasks"))) {
          const found = readTaskDir(info, meta_dir, join(meta_dir, "tasks", task_id));
          if (found !== null) tasks.push(found);
        }
      }
    }
  }
  return { tasks, frameworks: [] };
}

function readTaskDir(info: FrameworkInfo, meta_dir: string, task_dir: string): RecoveredTask | null {
  let checkpoint: TaskCheckpoint | null;
  let stream: StreamCheckpoint | null;
  try {
    checkpoint = readJson(join(task_dir, "task.json")) as TaskCheckpoint | null;
    stream = parseStreamCheckpoint(readJson(join(task_dir, "task.updates")));
  } catch (error) {
    log.warning(`Skipping the unreadable checkpoint ${task_dir}: ${(error as Error).message}`);
    return null;
  }
  if (checkpoint === null || checkpoint.task?.task_id?.value === undefined) {
    log.warning(`Skipping ${task_dir}: it holds no task`);
    return null;
  }
  return { info, meta_dir, checkpoint, stream };
}

/** The "journal" layout: keys ["framework", f], ["task", f, t] and ["stream", f, t] of one journal. */
export function readJournalCheckpoints(work_dir: string, agent_id: string, journal: Journal): Recovered {
  const entries = journal.entries();
  const infos = new Map<string, FrameworkInfo>();
  for (const [k, value] of entries) {
    const [kind, framework_id] = JSON.parse(k) as string[];
    if (kind === "framework" && (value as FrameworkInfo | null)?.id?.value === framework_id) infos.set(framework_id!, value as FrameworkInfo);
  }
  const tasks: RecoveredTask[] = [];
  for (const [k, value] of entries) {
    const [kind, framework_id, task_id] = JSON.parse(k) as string[];
    if (kind !== "task") continue;
    const info = infos.get(framework_id!);
    const checkpoint = value as TaskCheckpoint | null;
    if (info === undefined || checkpoint === null || checkpoint.task?.task_id?.value !== task_id || typeof checkpoint.run_id !== "string") {
      log.warning(`Skipping the checkpoint of task ${task_id} of framework ${framework_id}: ${info === undefined ? "its framework is unknown" : "it holds no task"}`);
      journal.write(k, null);
      continue;
    }
    const stream = parseStreamCheckpoint(entries.get(JSON.stringify(["stream", framework_id, task_id])) ?? null);
    tasks.push({ info, meta_dir: runDir(work_dir, agent_id, framework_id!, task_id!, checkpoint.run_id), checkpoint, stream });
  }
  return { tasks, frameworks: [...infos.keys()] };
}

function list(dir: string): string[] {
  if (!existsSync(dir)) return [];
  try {
    return readdirSync(dir).filter((name) => !name.endsWith(".tmp"));
  } catch {
    return [];
  }
}
