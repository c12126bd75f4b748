// The agent's tasks (mesos-spec §5.2; task_protocol.ts): RUN_TASK / RUN_TASK_GROUP launch
// command tasks (runner.ts), KILL_TASK and SHUTDOWN_FRAMEWORK kill them (SIGTERM to the process
// group, SIGKILL after the kill policy's grace period, 3 s by default), and every state change
// becomes a status update through the status update manager (status_updates.ts), as Mesos's
// command executor and agent send them:
//   launched: TASK_STARTING, TASK_RUNNING; exit 0: TASK_FINISHED; other exits: TASK_FAILED
//   ("Command exited with status N"); killed: TASK_KILLING (only for frameworks with the
//   TASK_KILLING_STATE capability, as Mesos) then TASK_KILLED; sandbox or spawn failure:
//   TASK_FAILED (REASON_CONTAINER_LAUNCH_FAILED); an invalid TaskInfo: TASK_ERROR
//   (REASON_TASK_INVALID); a launch for a framework being shut down: TASK_DROPPED
//   (PARTITION_AWARE) or TASK_LOST; a kill of a task the agent does not know: TASK_LOST;
//   a task the master reconciles (RECONCILE_TASKS) that the agent does not know: TASK_DROPPED
//   (PARTITION_AWARE) or TASK_LOST, REASON_RECONCILIATION;
//   a launch beyond TASKS_PER_AGENT_MAX: TASK_DROPPED, sent once and not retried. A launch
//   reusing the id of a task the agent still holds is dropped with a warning and no update (an
//   update on that id would speak for the task that is running).
// Checkpoints (`checkpoints` option): "journal" (the agent's) keeps the framework, each task (and
// its process) and each task's update stream as keys of one group-committed log per agent,
// <work_dir>/meta/slaves/<agent>/tasks.journal (journal.ts): everything a turn of the event loop
// produced is made durable with one fdatasync before any of it is sent and before the commands
// it launches are spawned. "files" (the default) writes, synchronously, Mesos's meta layout under
// <work_dir>/meta/slaves/<agent>/frameworks/<framework>/: framework.json, and per run
// executors/<task>/runs/<run>/tasks/<task>/task.json and task.updates. The exit status the
// runner's wrapper writes is the run's meta directory's exit_status (files) or
// <work_dir>/meta/slaves/<agent>/exit_statuses/<run> (journal: no directory per task). When a terminal update is acknowledged the run's checkpoints go (the sandbox stays)
// and the task is kept, bounded, as completed for /state.
// Agent restart: checkpointed tasks are recovered; a task whose process is still running is
// re-adopted (watched until it ends, its exit status read from exit_status); one whose process
// is gone ends as exit_status says, else TASK_FAILED "Executor terminated" (source
// SOURCE_AGENT, REASON_EXECUTOR_TERMINATED). Updates not yet acknowledged go out again once
// the agent is re-registered.
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { logger } from "../../logging.ts";
import {
  DEFAULT_KILL_GRACE_PERIOD_MS, type Id, type JsonObject, type ReportedTask, type StatusUpdate, type TaskInfo, type TaskMasterMessage,
  TASKS_PER_AGENT_MAX, type TaskState, type TaskStatus, TERMINAL_STATES,
} from "../task_protocol.ts";
import { readJson } from "./checkpoint.ts";
import { type CheckpointStore, fileStore, Journal } from "./journal.ts";
import {
  adopt, commandArgv, describeExit, type Exit, isRunning, launch, recordedExit, sandboxPath, signalGroup, taskEnvironment, type TaskProcess,
} from "./runner.ts";
import { type Clock, type NewStatus, newUuid, parseStreamCheckpoint, StatusUpdateManager, systemClock } from "./status_updates.ts";

const log = logger("tasks.ts");

/** Completed tasks kept for /state (Mesos keeps a bounded history too). */
export const COMPLETED_TASKS_MAX = 1000;
/** Commands spawned per event-loop turn in a burst of launches (journal only). */
const STARTS_PER_TURN = 32;
/** Statuses kept per task (its history in /state). */
const STATUSES_PER_TASK_MAX = 16;

type FrameworkInfo = JsonObject & { id: Id };
type Source = NonNullable<TaskStatus["source"]>;

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
}

interface Task extends TaskCheckpoint {
  meta_dir: string;
  process: TaskProcess | null;
  kill_timer: ReturnType<typeof setTimeout> | null;
}

interface Framework {
  info: FrameworkInfo;
  tasks: Map<string, Task>;
  /** SHUTDOWN_FRAMEWORK received and some of its tasks still run. */
  terminating: boolean;
}

export interface AgentTasksOptions {
  work_dir: string;
  /** The agent's id (tasks only arrive once it is registered). */
  agent_id(): string | null;
  /** Sends a STATUS_UPDATE to the master if the agent is registered; false otherwise. */
  send(update: StatusUpdate): boolean;
  clock?: Clock;
  retry_ms?: number;
  /** How often a re-adopted process is checked. */
  poll_ms?: number;
  /** How checkpoints are kept (see the header): "files" (default) or "journal". */
  checkpoints?: "files" | "journal";
}

export class AgentTasks {
  readonly counters = {
    tasks_finished: 0, tasks_failed: 0, tasks_killed: 0, tasks_lost: 0, tasks_error: 0, tasks_dropped: 0,
    invalid_task_launches: 0, unknown_acknowledgements: 0,
  };
  readonly updates: StatusUpdateManager;
  private readonly frameworks = new Map<string, Framework>();
  private readonly completed: { framework: FrameworkInfo; task: TaskCheckpoint }[] = [];
  private readonly clock: Clock;
  private stopped = false;
  private journal: Journal | null = null;
  /** The agent whose checkpoints these are (the registered one, or the one recovered). */
  private meta_agent: string | null = null;
  /** Launches whose checkpoints are durable, waiting to be spawned (journal only). */
  private readonly starting: Task[] = [];
  private status_dir: string | null = null;

  constructor(private readonly options: AgentTasksOptions) {
    this.clock = options.clock ?? systemClock;
    const store: CheckpointStore = { write: (location, value) => this.store().write(location, value), whenDurable: (fn) => this.store().whenDurable(fn) };
    this.updates = new StatusUpdateManager({
      send: (update) => options.send(update), ended: (f, t) => this.ended(f, t), clock: this.clock, retry_ms: options.retry_ms, store,
    });
  }

  private get journaled(): boolean {
    return this.options.checkpoints === "journal";
  }

  /** The checkpoint store of the current agent (its journal opened on first use). */
  private store(): CheckpointStore {
    if (!this.journaled) return fileStore;
    const agent_id = this.options.agent_id() ?? this.meta_agent ?? "";
    if (this.journal === null || this.meta_agent !== agent_id) {
      this.journal?.close();
      this.meta_agent = agent_id;
      this.journal = new Journal(join(this.options.work_dir, "meta", "slaves", agent_id, "tasks.journal"));
    }
    return this.journal;
  }

  private frameworkLocation(framework_id: string): string {
    if (this.journaled) return JSON.stringify(["framework", framework_id]);
    return join(this.options.work_dir, "meta", "slaves", this.agentId().value, "frameworks", framework_id, "framework.json");
  }

  /** Where the runner's wrapper records how the task's command ended. */
  private statusFile(task: Task): string {
    if (this.journaled) return join(this.options.work_dir, "meta", "slaves", this.meta_agent ?? "", "exit_statuses", task.run_id);
    return join(task.meta_dir, "exit_status");
  }

  /** The run's checkpoints outside the store go (journal: the exit status; files: the run's meta directory). */
  private removeRun(task: Task): void {
    if (!this.journaled) return rmSync(task.meta_dir, { recursive: true, force: true });
    if (task.run_id !== "") rmSync(this.statusFile(task), { force: true });
  }

  private taskLocation(task: Task, file: "task.json" | "task.updates"): string {
    if (this.journaled) return JSON.stringify([file === "task.json" ? "task" : "stream", task.framework_id, task.task.task_id.value]);
    return join(task.meta_dir, "tasks", task.task.task_id.value, file);
  }

  // ---- Agent events

  handle(message: TaskMasterMessage): void {
    switch (message.type) {
      case "RUN_TASK":
        return this.run(message.framework, message.task);
      case "RUN_TASK_GROUP":
        for (const task of message.task_group.tasks) this.run(message.framework, task);
        return;
      case "KILL_TASK":
        return this.kill(message.framework_id.value, message.task_id.value, message.kill_policy);
      case "STATUS_UPDATE_ACKNOWLEDGEMENT": {
        const result = this.updates.acknowledge(message.framework_id.value, message.task_id.value, message.uuid);
        if (result === "unknown_stream") {
          this.counters.unknown_acknowledgements++;
          log.warning(`Ignoring an acknowledgement of update ${message.uuid} for unknown task ${message.task_id.value} of framework ${message.framework_id.value}`);
        }
        return;
      }
      case "SHUTDOWN_FRAMEWORK":
        return this.shutdownFramework(message.framework_id.value);
      case "RECONCILE_TASKS":
        return this.reconcile(message.framework, message.statuses);
    }
  }

  /** (Re-)registered with a master: unacknowledged updates go out. */
  registered(): void {
    this.updates.resume();
  }

  /** No master: updates wait. */
  disconnected(): void {
    this.updates.pause();
  }

  /** What REREGISTER_SLAVE carries. */
  reported(): { tasks: ReportedTask[]; frameworks: FrameworkInfo[] } {
    const tasks: ReportedTask[] = [];
    const frameworks: FrameworkInfo[] = [];
    for (const [framework_id, framework] of this.frameworks) {
      if (framework.tasks.size === 0) continue;
      frameworks.push(framework.info);
      for (const task of framework.tasks.values()) {
        const reported: ReportedTask = {
          task_id: task.task.task_id, framework_id: { value: framework_id }, name: task.task.name, agent_id: task.task.agent_id,
          state: task.state, resources: task.task.resources ?? [],
        };
        const status = task.statuses[task.statuses.length - 1];
        if (status !== undefined) reported.status = status;
        tasks.push(reported);
      }
    }
    return { tasks, frameworks };
  }

  /** The master told the agent to shut down: every task's process group is killed at once. */
  killAll(): void {
    for (const framework of this.frameworks.values()) {
      for (const task of framework.tasks.values()) if (task.pid !== null && !TERMINAL_STATES.has(task.state)) signalGroup(task.pid, "SIGKILL");
    }
  }

  /** The agent stops (its tasks keep running, as Mesos's checkpointed executors do). */
  stop(): void {
    this.stopped = true;
    this.updates.stop();
    for (const framework of this.frameworks.values()) for (const task of framework.tasks.values()) this.clearKillTimer(task);
    this.journal?.close(); // what is pending is committed; nothing more is sent or spawned
  }

  // ---- Recovery

  /** Reads the checkpoints of agent `agent_id` (a restarted agent); see the header. */
  recover(agent_id: string): void {
    this.meta_agent = agent_id;
    if (this.journaled) return this.recoverJournal(agent_id);
    const root = join(this.options.work_dir, "meta", "slaves", agent_id, "frameworks");
    for (const framework_id of list(root)) {
      const info = readJson(join(root, framework_id, "framework.json")) as FrameworkInfo | null;
      if (info === null || info.id?.value !== framework_id) continue;
      const executors = join(root, framework_id, "executors");
      for (const executor of list(executors)) {
        for (const run of list(join(executors, executor, "runs"))) {
          const meta_dir = join(executors, executor, "runs", run);
          for (const task_id of list(join(meta_dir, "tasks"))) this.recoverTask(info, meta_dir, join(meta_dir, "tasks", task_id));
        }
      }
    }
    const count = [...this.frameworks.values()].reduce((n, f) => n + f.tasks.size, 0);
    if (count > 0) log.info(`Recovered ${count} tasks of ${this.frameworks.size} frameworks`);
  }

  private recoverJournal(agent_id: string): void {
    const journal = this.store() as Journal;
    const entries = journal.entries();
    const infos = new Map<string, FrameworkInfo>();
    for (const [k, value] of entries) {
      const [kind, framework_id] = JSON.parse(k) as string[];
      if (kind === "framework" && (value as FrameworkInfo | null)?.id?.value === framework_id) infos.set(framework_id!, value as FrameworkInfo);
    }
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
      const meta_dir = join(this.options.work_dir, "meta", "slaves", agent_id, "frameworks", framework_id!, "executors", task_id!, "runs", checkpoint.run_id);
      const stream = parseStreamCheckpoint(entries.get(JSON.stringify(["stream", framework_id, task_id])) ?? null);
      this.recoverCheckpoint(info, meta_dir, checkpoint, stream);
    }
    for (const framework_id of infos.keys()) if (!this.frameworks.has(framework_id)) journal.write(this.frameworkLocation(framework_id), null);
    const count = [...this.frameworks.values()].reduce((n, f) => n + f.tasks.size, 0);
    if (count > 0) log.info(`Recovered ${count} tasks of ${this.frameworks.size} frameworks from ${journal.path}`);
  }

  private recoverTask(info: FrameworkInfo, meta_dir: string, task_dir: string): void {
    let checkpoint: TaskCheckpoint | null;
    let stream;
    try {
      checkpoint = readJson(join(task_dir, "task.json")) as TaskCheckpoint | null;
      stream = parseStreamCheckpoint(readJson(join(task_dir, "task.updates")));
    } catch (error) {
      log.warning(`Skipping the unreadable checkpoint ${task_dir}: ${(error as Error).message}`);
      return;
    }
    if (checkpoint === null || checkpoint.task?.task_id?.value === undefined) {
      log.warning(`Skipping ${task_dir}: it holds no task`);
      return;
    }
    this.recoverCheckpoint(info, meta_dir, checkpoint, stream);
  }

  private recoverCheckpoint(info: FrameworkInfo, meta_dir: string, checkpoint: TaskCheckpoint, stream: ReturnType<typeof parseStreamCheckpoint>): void {
    const task: Task = { ...checkpoint, meta_dir, process: null, kill_timer: null };
    const latest = stream?.updates[stream.updates.length - 1];
    if (latest !== undefined && latest.status.state !== task.state) {
      task.state = latest.status.state; // the update was checkpointed, task.json not yet
      task.statuses = [...task.statuses, latest.status].slice(-STATUSES_PER_TASK_MAX);
    }
    const terminal = TERMINAL_STATES.has(task.state);
    if (terminal && (stream === null || stream.updates.length === 0)) {
      this.remember(info, task);
      if (this.journaled) {
        this.store().write(this.taskLocation(task, "task.json"), null);
        this.store().write(this.taskLocation(task, "task.updates"), null);
      }
      this.removeRun(task);
      return;
    }
    this.framework(info).tasks.set(task.task.task_id.value, task);
    if (stream !== null) this.updates.recover(stream, this.taskLocation(task, "task.updates"));
    if (terminal) return;
    const status_file = this.statusFile(task);
    if (task.pid !== null && isRunning(task.pid, task.start_time)) {
      log.info(`Re-adopting task ${task.task.task_id.value} of framework ${checkpoint.framework_id} (process group ${task.pid})`);
      this.watch(task, adopt(task.pid, task.start_time, status_file, this.options.poll_ms));
      if (task.killing !== null) this.signalKill(task);
      return;
    }
    this.exited(task, task.pid === null ? { code: null, signal: null } : recordedExit(status_file));
  }

  // ---- Launch

  private run(info: FrameworkInfo, task: TaskInfo): void {
    const framework_id = info.id.value;
    const task_id = task.task_id.value;
    const held = this.frameworks.get(framework_id);
    if (held?.tasks.has(task_id)) {
      this.counters.invalid_task_launches++;
      log.warning(`Dropping the launch of task ${task_id} of framework ${framework_id}: the agent holds a task of that id`);
      return;
    }
    const bad_id = invalidId("Framework", framework_id) ?? invalidId("Task", task_id);
    if (bad_id !== null) {
      this.counters.invalid_task_launches++;
      this.counters.tasks_error++;
      return this.sendOnce(info.id, task.task_id, "TASK_ERROR", "REASON_TASK_INVALID", bad_id);
    }
    if (this.taskCount() >= TASKS_PER_AGENT_MAX) {
      this.counters.invalid_task_launches++;
      this.counters.tasks_dropped++;
      return this.sendOnce(info.id, task.task_id, "TASK_DROPPED", "REASON_INVALID_OFFERS", `The agent holds ${TASKS_PER_AGENT_MAX} tasks already`);
    }
    const framework = this.framework(info);
    const run_id = randomUUID();
    const agent_id = this.agentId().value;
    const meta_dir = join(this.options.work_dir, "meta", "slaves", agent_id, "frameworks", framework_id, "executors", task_id, "runs", run_id);
    const record: Task = {
      framework_id, task, run_id, sandbox: sandboxPath(this.options.work_dir, agent_id, framework_id, task_id, run_id), pid: null, start_time: null,
      state: "TASK_STAGING", killing: null, statuses: [], meta_dir, process: null, kill_timer: null,
    };
    const invalid = invalidTask(task, agent_id);
    if (invalid !== null) {
      this.counters.invalid_task_launches++;
      return this.refuse(framework, record, "TASK_ERROR", "REASON_TASK_INVALID", invalid);
    }
    if (framework.terminating) {
      const aware = capabilities(info).includes("PARTITION_AWARE");
      return this.refuse(framework, record, aware ? "TASK_DROPPED" : "TASK_LOST", "REASON_FRAMEWORK_REMOVED", "The framework is being shut down");
    }
    framework.tasks.set(task_id, record);
    try {
      this.store().write(this.frameworkLocation(framework_id), info);
      this.store().write(this.taskLocation(record, "task.json"), checkpointOf(record));
      if (this.journaled) this.statusDirectory(); // for the wrapper's exit status
    } catch (error) {
      framework.tasks.delete(task_id);
      log.error(`Failed to checkpoint task ${task_id} of framework ${framework_id}: ${(error as Error).message}`);
      return this.refuse(framework, record, "TASK_FAILED", "REASON_CONTAINER_LAUNCH_FAILED", `Failed to checkpoint the task: ${(error as Error).message}`);
    }
    // Spawned once the task's checkpoint is durable (a restarted agent knows every process it started).
    this.store().whenDurable(() => this.queueStart(record));
  }

  /**
   * With the journal, a burst of launches is spawned STARTS_PER_TURN at a time, a turn each, so
   * that the first ones' updates are committed and sent while the rest are still spawning.
   */
  private queueStart(record: Task): void {
    if (!this.journaled) return this.start(record);
    this.starting.push(record);
    if (this.starting.length === 1) setImmediate(() => this.drainStarts());
  }

  private drainStarts(): void {
    const batch = this.starting.splice(0, STARTS_PER_TURN);
    for (const record of batch) this.start(record);
    if (this.starting.length > 0) setImmediate(() => this.drainStarts());
  }

  /** Makes the journal's exit status directory (once per agent). */
  private statusDirectory(): void {
    const dir = join(this.options.work_dir, "meta", "slaves", this.meta_agent ?? "", "exit_statuses");
    if (this.status_dir === dir) return;
    mkdirSync(dir, { recursive: true });
    this.status_dir = dir;
  }

  private start(record: Task): void {
    if (this.stopped || record.killing !== null || record.state !== "TASK_STAGING") return; // killed (or stopping) before it started
    const { framework_id, task } = record;
    const task_id = task.task_id.value;
    const agent_id = this.agentId().value;
    const argv = commandArgv(task.command)!;
    let process: TaskProcess;
    try {
      const env = taskEnvironment(task.command, { sandbox: record.sandbox, task_id, framework_id, agent_id });
      process = launch(argv, record.sandbox, env, this.statusFile(record));
    } catch (error) {
      log.warning(`Failed to launch task ${task_id} of framework ${framework_id}: ${(error as Error).message}`);
      return this.status(record, "TASK_FAILED", "SOURCE_AGENT", { reason: "REASON_CONTAINER_LAUNCH_FAILED", message: `Failed to launch the command: ${(error as Error).message}` });
    }
    record.pid = process.pid;
    record.start_time = process.start_time;
    log.info(`Launched task ${task_id} of framework ${framework_id} (process group ${process.pid}) in sandbox ${record.sandbox}`);
    this.status(record, "TASK_STARTING", "SOURCE_EXECUTOR");
    this.status(record, "TASK_RUNNING", "SOURCE_EXECUTOR");
    this.watch(record, process);
  }

  /**
   * An update that cannot be checkpointed (its ids are no directory names) or held (the agent
   * is full): sent once, not retried; its acknowledgement is ignored.
   */
  private sendOnce(framework_id: Id, task_id: Id, state: TaskState, reason: string, message: string): void {
    log.warning(`Task ${task_id.value} of framework ${framework_id.value} is ${state}: ${message}`);
    const timestamp = this.clock.now() / 1000;
    const uuid = newUuid();
    const status: TaskStatus = { task_id, state, source: "SOURCE_AGENT", reason, message, agent_id: this.agentId(), timestamp, uuid };
    this.options.send({ framework_id, status, timestamp, uuid, latest_state: state });
  }

  /** A task that never runs: held with its one terminal update until that is acknowledged. */
  private refuse(framework: Framework, record: Task, state: TaskState, reason: string, message: string): void {
    log.warning(`Task ${record.task.task_id.value} of framework ${record.framework_id} is ${state}: ${message}`);
    framework.tasks.set(record.task.task_id.value, record);
    try {
      this.store().write(this.frameworkLocation(record.framework_id), framework.info);
    } catch {
      // the status below fails the same way and says so
    }
    this.status(record, state, "SOURCE_AGENT", { reason, message });
  }

  private watch(task: Task, process: TaskProcess): void {
    task.process = process;
    void process.exited.then((exit) => this.stopped || this.exited(task, exit));
  }

  private exited(task: Task, exit: Exit): void {
    this.clearKillTimer(task);
    if (task.pid !== null) signalGroup(task.pid, "SIGKILL"); // what the command left behind goes with it (Mesos destroys the container)
    if (TERMINAL_STATES.has(task.state)) return;
    const message = describeExit(exit);
    if (task.killing !== null) this.status(task, "TASK_KILLED", "SOURCE_EXECUTOR", { message });
    else if (exit.code === 0) this.status(task, "TASK_FINISHED", "SOURCE_EXECUTOR", { message });
    else if (exit.code !== null || exit.signal !== null) this.status(task, "TASK_FAILED", "SOURCE_EXECUTOR", { reason: "REASON_COMMAND_EXECUTOR_FAILED", message });
    else this.status(task, "TASK_FAILED", "SOURCE_AGENT", { reason: "REASON_EXECUTOR_TERMINATED", message: "Executor terminated: the task's process ended while the agent was down" });
    const framework = this.frameworks.get(task.framework_id);
    if (framework?.terminating && [...framework.tasks.values()].every((t) => TERMINAL_STATES.has(t.state))) framework.terminating = false;
  }

  // ---- Kill

  private kill(framework_id: string, task_id: string, policy: TaskInfo["kill_policy"] | undefined): void {
    const task = this.frameworks.get(framework_id)?.tasks.get(task_id);
    if (task === undefined) {
      log.warning(`Cannot kill task ${task_id} of framework ${framework_id}: the agent does not know it; sending TASK_LOST`);
      const info = this.frameworks.get(framework_id)?.info ?? { id: { value: framework_id } };
      return this.unknownTask(info, task_id, "TASK_LOST", "REASON_EXECUTOR_TERMINATED", "Cannot find the task (or its executor) on this agent");
    }
    if (TERMINAL_STATES.has(task.state)) return log.info(`Ignoring a kill of task ${task_id} of framework ${framework_id}: it is ${task.state}`);
    if (task.killing !== null) return log.info(`Task ${task_id} of framework ${framework_id} is being killed already`);
    const grace_ms = durationMs(policy?.grace_period?.nanoseconds ?? task.task.kill_policy?.grace_period?.nanoseconds) ?? DEFAULT_KILL_GRACE_PERIOD_MS;
    task.killing = { grace_ms };
    const info = this.frameworks.get(framework_id)!.info;
    log.info(`Killing task ${task_id} of framework ${framework_id} (process group ${task.pid}, grace period ${grace_ms}ms)`);
    if (task.pid === null || task.process === null) {
      this.status(task, "TASK_KILLED", "SOURCE_AGENT", { message: "The task had no process" });
      return;
    }
    if (capabilities(info).includes("TASK_KILLING_STATE")) this.status(task, "TASK_KILLING", "SOURCE_EXECUTOR");
    else this.persist(task);
    this.signalKill(task);
  }

  /**
   * A terminal update for a task the agent does not know (a kill, a reconciliation): held, and
   * retried, until acknowledged like any other; sent once when its ids are no directory names
   * or the agent is full.
   */
  private unknownTask(info: FrameworkInfo, task_id: string, state: TaskState, reason: string, message: string): void {
    const framework_id = info.id.value;
    const bad_id = invalidId("Framework", framework_id) ?? invalidId("Task", task_id);
    if (bad_id !== null) return this.sendOnce(info.id, { value: task_id }, state, reason, bad_id);
    if (this.taskCount() >= TASKS_PER_AGENT_MAX) return this.sendOnce(info.id, { value: task_id }, state, reason, message);
    const agent_id = this.agentId();
    const meta_dir = join(this.options.work_dir, "meta", "slaves", agent_id.value, "frameworks", framework_id, "executors", task_id, "runs", randomUUID());
    const record: Task = {
      framework_id, task: { name: "", task_id: { value: task_id }, agent_id, resources: [], command: {} }, run_id: "", sandbox: "", pid: null,
      start_time: null, state: "TASK_STAGING", killing: null, statuses: [], meta_dir, process: null, kill_timer: null,
    };
    this.refuse(this.framework(info), record, state, reason, message);
  }

  /**
   * RECONCILE_TASKS (Mesos's reconciliations in SlaveReregisteredMessage): each task the master
   * holds here that the agent does not know ends TASK_DROPPED (PARTITION_AWARE) or TASK_LOST,
   * so the master frees it; a task the agent knows needs nothing (its updates follow).
   */
  private reconcile(info: FrameworkInfo, statuses: { task_id: Id }[]): void {
    const framework = this.frameworks.get(info.id.value);
    const state: TaskState = capabilities(info).includes("PARTITION_AWARE") ? "TASK_DROPPED" : "TASK_LOST";
    for (const { task_id } of statuses) {
      if (framework?.tasks.has(task_id.value)) continue;
      log.warning(`Agent reconciling task ${task_id.value} of framework ${info.id.value} in state ${state}: task unknown to the agent`);
      this.unknownTask(info, task_id.value, state, "REASON_RECONCILIATION", "Reconciliation: task unknown to the agent");
    }
  }

  /** SIGTERM to the group now, SIGKILL after the grace period. */
  private signalKill(task: Task): void {
    const pid = task.pid!;
    signalGroup(pid, "SIGTERM");
    this.clearKillTimer(task);
    task.kill_timer = setTimeout(() => {
      task.kill_timer = null;
      if (signalGroup(pid, "SIGKILL")) log.info(`Task ${task.task.task_id.value}'s process group ${pid} outlived its grace period; sent SIGKILL`);
    }, task.killing!.grace_ms);
  }

  private shutdownFramework(framework_id: string): void {
    const framework = this.frameworks.get(framework_id);
    if (framework === undefined) return log.info(`Ignoring SHUTDOWN_FRAMEWORK for unknown framework ${framework_id}`);
    log.info(`Shutting down framework ${framework_id}`);
    const running = [...framework.tasks.values()].filter((t) => !TERMINAL_STATES.has(t.state));
    framework.terminating = running.length > 0;
    for (const task of running) this.kill(framework_id, task.task.task_id.value, undefined);
  }

  // ---- Updates and state

  private status(task: Task, state: TaskState, source: Source, extra: { reason?: string; message?: string } = {}): void {
    const status: NewStatus = { task_id: task.task.task_id, state, source, agent_id: this.agentId(), ...extra };
    let update: StatusUpdate | null;
    try {
      update = this.updates.add(task.framework_id, status, this.taskLocation(task, "task.updates"));
    } catch (error) {
      log.error(`Failed to checkpoint status update ${state} of task ${task.task.task_id.value}: ${(error as Error).message}`);
      return;
    }
    if (update === null) return;
    task.state = state;
    task.statuses = [...task.statuses, update.status].slice(-STATUSES_PER_TASK_MAX);
    const counter = `tasks_${state.slice("TASK_".length).toLowerCase()}` as keyof typeof this.counters;
    if (TERMINAL_STATES.has(state) && counter in this.counters) this.counters[counter]++;
    this.persist(task);
  }

  private persist(task: Task): void {
    try {
      this.store().write(this.taskLocation(task, "task.json"), checkpointOf(task));
    } catch (error) {
      log.error(`Failed to checkpoint task ${task.task.task_id.value}: ${(error as Error).message}`);
    }
  }

  /** The terminal update was acknowledged: the task is completed and its run's checkpoints go. */
  private ended(framework_id: string, task_id: string): void {
    const framework = this.frameworks.get(framework_id);
    const task = framework?.tasks.get(task_id);
    if (framework === undefined || task === undefined) return;
    framework.tasks.delete(task_id);
    this.remember(framework.info, task);
    if (this.journaled) this.store().write(this.taskLocation(task, "task.json"), null);
    this.removeRun(task);
    if (framework.tasks.size === 0) {
      this.frameworks.delete(framework_id);
      if (this.journaled) this.store().write(this.frameworkLocation(framework_id), null);
      else rmSync(join(task.meta_dir, "..", "..", "..", ".."), { recursive: true, force: true });
    }
  }

  private remember(framework: FrameworkInfo, task: Task): void {
    this.completed.push({ framework, task: checkpointOf(task) });
    if (this.completed.length > COMPLETED_TASKS_MAX) this.completed.shift();
  }

  private framework(info: FrameworkInfo): Framework {
    let framework = this.frameworks.get(info.id.value);
    if (framework === undefined) this.frameworks.set(info.id.value, (framework = { info, tasks: new Map(), terminating: false }));
    else framework.info = info;
    return framework;
  }

  private taskCount(): number {
    let n = 0;
    for (const framework of this.frameworks.values()) n += framework.tasks.size;
    return n;
  }

  private agentId(): Id {
    return { value: this.options.agent_id() ?? "" };
  }

  private clearKillTimer(task: Task): void {
    if (task.kill_timer !== null) clearTimeout(task.kill_timer);
    task.kill_timer = null;
  }

  // ---- Views

  /** Gauges of live tasks by state and counters of terminal ones (Mesos's slave/tasks_*). */
  metrics(): Record<string, number> {
    const gauges: Record<string, number> = { staging: 0, starting: 0, running: 0, killing: 0 };
    for (const framework of this.frameworks.values()) {
      for (const task of framework.tasks.values()) {
        const name = task.state.slice("TASK_".length).toLowerCase();
        if (name in gauges) gauges[name]!++;
      }
    }
    const out: Record<string, number> = {};
    for (const [name, value] of Object.entries(gauges)) out[`slave/tasks_${name}`] = value;
    for (const [name, value] of Object.entries(this.counters)) out[`slave/${name}`] = value;
    out["slave/status_updates_sent"] = this.updates.counters.sent;
    out["slave/status_update_retries"] = this.updates.counters.retried;
    out["slave/status_updates_acknowledged"] = this.updates.counters.acknowledged;
    out["slave/unexpected_status_update_acknowledgements"] = this.updates.counters.unexpected_acknowledgements;
    return out;
  }

  /** /state's frameworks and completed_frameworks, roughly in Mesos's shape. */
  state(): { frameworks: JsonObject[]; completed_frameworks: JsonObject[] } {
    const completedBy = new Map<string, { framework: FrameworkInfo; tasks: TaskCheckpoint[] }>();
    for (const c of this.completed) {
      const entry = completedBy.get(c.framework.id.value) ?? { framework: c.framework, tasks: [] };
      entry.tasks.push(c.task);
      completedBy.set(c.framework.id.value, entry);
    }
    const frameworks: JsonObject[] = [];
    for (const [id, framework] of this.frameworks) {
      const executors = [...framework.tasks.values()].map((t) => executorJson(t, TERMINAL_STATES.has(t.state) ? [] : [t], TERMINAL_STATES.has(t.state) ? [t] : []));
      frameworks.push({ ...frameworkJson(framework.info), executors, completed_executors: (completedBy.get(id)?.tasks ?? []).map((t) => executorJson(t, [], [t])) });
      completedBy.delete(id);
    }
    const completed_frameworks = [...completedBy.values()].map((c) => ({
      ...frameworkJson(c.framework), executors: [], completed_executors: c.tasks.map((t) => executorJson(t, [], [t])),
    }));
    return { frameworks, completed_frameworks };
  }
}

function checkpointOf(task: Task): TaskCheckpoint {
  const { meta_dir: _m, process: _p, kill_timer: _k, ...checkpoint } = task;
  return checkpoint;
}

function frameworkJson(info: FrameworkInfo): JsonObject {
  const roles = Array.isArray(info.roles) ? info.roles : [typeof info.role === "string" ? info.role : "*"];
  return {
    id: info.id.value, name: info.name ?? "", user: info.user ?? "", hostname: info.hostname ?? "", role: roles[0] ?? "*", roles,
    capabilities: capabilities(info), checkpoint: info.checkpoint ?? false, failover_timeout: info.failover_timeout ?? 0,
  };
}

function executorJson(t: TaskCheckpoint, tasks: TaskCheckpoint[], completed_tasks: TaskCheckpoint[]): JsonObject {
  return {
    id: t.task.task_id.value, name: `Command Executor (Task: ${t.task.task_id.value}) (Command: ${commandText(t.task)})`,
    source: t.task.task_id.value, container: t.run_id, directory: t.sandbox, type: "COMMAND", resources: summarize(t.task.resources ?? []),
    tasks: tasks.map(taskJson), queued_tasks: [], completed_tasks: completed_tasks.map(taskJson),
  };
}

function taskJson(t: TaskCheckpoint): JsonObject {
  return {
    id: t.task.task_id.value, name: t.task.name, framework_id: t.framework_id, executor_id: "", slave_id: t.task.agent_id.value,
    state: t.state, resources: summarize(t.task.resources ?? []), pid: t.pid,
    statuses: t.statuses.map((s) => ({ state: s.state, timestamp: s.timestamp, ...(s.message === undefined ? {} : { message: s.message }) })),
  };
}

function commandText(task: TaskInfo): string {
  const argv = commandArgv(task.command);
  return argv === null ? "" : argv.map((a) => (/^[\w./=-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`)).join(" ");
}

/** Scalar resources summed by name (cpus, mem, disk, gpus), ranges as Mesos prints them. */
export function summarize(resources: JsonObject[]): Record<string, number | string> {
  const out: Record<string, number | string> = { cpus: 0, mem: 0, disk: 0, gpus: 0 };
  for (const r of resources) {
    const name = typeof r.name === "string" ? r.name : "";
    const scalar = (r.scalar as { value?: unknown } | undefined)?.value;
    const ranges = (r.ranges as { range?: { begin: number; end: number }[] } | undefined)?.range;
    if (typeof scalar === "number") out[name] = (typeof out[name] === "number" ? (out[name] as number) : 0) + scalar;
    else if (Array.isArray(ranges)) out[name] = `[${ranges.map((x) => `${x.begin}-${x.end}`).join(", ")}]`;
  }
  return out;
}

function capabilities(info: JsonObject): string[] {
  const list = Array.isArray(info.capabilities) ? info.capabilities : [];
  return list.map((c) => (typeof c === "object" && c !== null ? (c as { type?: unknown }).type : c)).filter((t): t is string => typeof t === "string");
}

/** Mesos's ID rules (printable, no '/', '\\' or whitespace, not '.' or '..'): the reason, or null when valid. */
export function invalidId(kind: string, id: string): string | null {
  if (id === "." || id === ".." || /[/\\\s\x00-\x1f\x7f]/.test(id) || id.length > 255) {
    return `${kind} ID '${id}' is invalid: it must be printable, without '/', '\\' or whitespace, and not '.' or '..'`;
  }
  return null;
}

/** What this build can run; null when it can run the task (its ids are checked already). */
export function invalidTask(task: TaskInfo, agent_id: string): string | null {
  const id = task.task_id.value;
  if (task.agent_id.value !== agent_id) return `Task ${id} names agent ${task.agent_id.value}, but this is agent ${agent_id}`;
  if (task.executor !== undefined || task.container !== undefined) return "Only command tasks (no executor, no container) are supported";
  if (commandArgv(task.command) === null) return "The task has no command value to run";
  return null;
}

function durationMs(nanoseconds: number | string | undefined): number | null {
  if (nanoseconds === undefined) return null;
  const n = Number(nanoseconds);
  return Number.isFinite(n) && n >= 0 ? Math.min(n / 1e6, 24 * 3600_000) : null;
}

function list(dir: string): string[] {
  if (!existsSync(dir)) return [];
  try {
    return readdirSync(dir).filter((name) => !name.endsWith(".tmp"));
  } catch {
    return [];
  }
}
