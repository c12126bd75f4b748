// The agent's tasks (mesos-spec §5.2; task_protocol.ts): RUN_TASK / RUN_TASK_GROUP launch
// command tasks (runner.ts), KILL_TASK and SHUTDOWN_FRAMEWORK kill them (SIGTERM to the process
// group, SIGKILL after the kill policy's grace period, 3 s by default), and every state change
// becomes a status update through the status update manager (status_updates.ts), as Mesos's
// command executor and agent send them:
//   launched: TASK_STARTING, TASK_RUNNING; exit 0: TASK_FINISHED; other exits: TASK_FAILED
//   ("Command exited with status N", "Command terminated with signal Killed"); killed:
//   TASK_KILLING (only for frameworks with the TASK_KILLING_STATE capability, as Mesos) then
//   TASK_KILLED; sandbox or spawn failure: TASK_FAILED (REASON_CONTAINER_LAUNCH_FAILED); an
//   invalid TaskInfo: TASK_ERROR (REASON_TASK_INVALID); a launch for a framework being shut down:
//   TASK_DROPPED (PARTITION_AWARE) or TASK_LOST; a kill of a task the agent does not know: TASK_LOST;
//   a task the master reconciles (RECONCILE_TASKS) that the agent does not know: TASK_DROPPED
//   (PARTITION_AWARE) or TASK_LOST, REASON_RECONCILIATION;
//   a launch beyond TASKS_PER_AGENT_MAX: TASK_DROPPED, sent once and not retried. A launch
//   reusing the id of a task the agent still holds is dropped with a warning and no update (an
//   update on that id would speak for the task that is running).
// A task group (RUN_TASK_GROUP) runs as Mesos's default executor runs one (groups.ts): its tasks
// are spawned together; one TASK_FAILED or TASK_KILLED kills the group's other live tasks as a
// KILL_TASK would. A group one of whose tasks cannot be launched does not run: the others end
// TASK_KILLED before they start.
// Checkpoints (`checkpoints` option: "files", Mesos's meta layout, or "journal"; layout.ts) are
// durable before what depends on them is sent or spawned. When a terminal update is acknowledged
// the run's checkpoints go (the sandbox stays) and the task is kept, bounded, as completed for /state.
// Agent restart: checkpointed tasks are recovered; a task whose process is still running is
// re-adopted (watched until it ends, its exit status read from exit_status); one whose process
// is gone ends as exit_status says, else TASK_FAILED "Executor terminated" (source
// SOURCE_AGENT, REASON_EXECUTOR_TERMINATED). Updates not yet acknowledged go out again once
// the agent is re-registered.
import { randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { logger } from "../../logging.ts";
import {
  DEFAULT_KILL_GRACE_PERIOD_MS, type Id, type JsonObject, type ReportedTask, type StatusUpdate, type TaskInfo, type TaskMasterMessage,
  TASKS_PER_AGENT_MAX, type TaskState, type TaskStatus, TERMINAL_STATES,
} from "../task_protocol.ts";
import type { CheckpointStore } from "./journal.ts";
import { CheckpointLayout } from "./layout.ts";
import {
  adopt, commandArgv, describeExit, type Exit, isRunning, launch, recordedExit, sandboxPath, signalGroup, taskEnvironment, type TaskProcess,
} from "./runner.ts";
import { readFileCheckpoints, readJournalCheckpoints } from "./recovery.ts";
import { type Clock, type NewStatus, newUuid, StatusUpdateManager, type StreamCheckpoint, systemClock } from "./status_updates.ts";
import { capabilities, durationMs, invalidId, invalidTask } from "./validation.ts";
import { siblingsToKill, StartQueue } from "./groups.ts";
import { checkpointOf, type Framework, type FrameworkInfo, type Task, type TaskCheckpoint } from "./types.ts";
import { metricsJson, reportedJson, stateJson } from "./views.ts";
import type { MetricValue } from "../../metrics.ts";

const log = logger("tasks.ts");

/** Completed tasks kept for /state (Mesos keeps a bounded history too). */
export const COMPLETED_TASKS_MAX = 1000;
/** Statuses kept per task (its history in /state). */
const STATUSES_PER_TASK_MAX = 16;

type Source = NonNullable<TaskStatus["source"]>;

/** A task's run as the agent's files and monitor see it: `live` while its state is not terminal, `completed` once its terminal update was acknowledged. */
export interface AgentRun {
  framework: FrameworkInfo;
  task: TaskCheckpoint;
  live: boolean;
  completed: boolean;
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
    invalid_task_launches: 0, unknown_acknowledgements: 0, container_launch_errors: 0,
  };
  readonly updates: StatusUpdateManager;
  private readonly frameworks = new Map<string, Framework>();
  private readonly completed: { framework: FrameworkInfo; task: TaskCheckpoint }[] = [];
  private readonly clock: Clock;
  private stopped = false;
  /** Launches whose checkpoints are durable, waiting to be spawned (journal only). */
  private readonly starting = new StartQueue<Task>((task) => this.start(task));
  /** Where checkpoints go (layout.ts). */
  private readonly layout: CheckpointLayout;

  constructor(private readonly options: AgentTasksOptions) {
    this.clock = options.clock ?? systemClock;
    this.layout = new CheckpointLayout(options.work_dir, options.checkpoints === "journal", options.agent_id);
    const store: CheckpointStore = { write: (location, value) => this.layout.store().write(location, value), whenDurable: (fn) => this.layout.store().whenDurable(fn) };
    this.updates = new StatusUpdateManager({
      send: (update) => options.send(update), ended: (f, t) => this.ended(f, t), clock: this.clock, retry_ms: options.retry_ms, store,
    });
  }

  // ---- Agent events

  handle(message: TaskMasterMessage): void {
    switch (message.type) {
      case "RUN_TASK":
        return this.launchTasks(message.framework, [message.task], false);
      case "RUN_TASK_GROUP":
        return this.launchTasks(message.framework, message.task_group.tasks, true);
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
    return reportedJson([...this.frameworks.values()].map((f) => ({ info: f.info, tasks: f.tasks.values() })));
  }

  /** The master told the agent to shut down: every task's process group is killed at once. */
  killAll(): void {
    for (const f of this.frameworks.values()) for (const task of f.tasks.values()) if (task.pid !== null && !TERMINAL_STATES.has(task.state)) signalGroup(task.pid, "SIGKILL");
  }

  /** The agent stops (its tasks keep running, as Mesos's checkpointed executors do). */
  stop(): void {
    this.stopped = true;
    this.updates.stop();
    for (const framework of this.frameworks.values()) for (const task of framework.tasks.values()) this.clearKillTimer(task);
    this.layout.close(); // what is pending is committed; nothing more is sent or spawned
  }

  // ---- Recovery

  /** Reads the checkpoints of agent `agent_id` (a restarted agent); see the header. */
  recover(agent_id: string): void {
    this.layout.meta_agent = agent_id;
    const journal = this.layout.journal();
    const found = journal === null ? readFileCheckpoints(this.options.work_dir, agent_id) : readJournalCheckpoints(this.options.work_dir, agent_id, journal);
    for (const t of found.tasks) this.recoverCheckpoint(t.info, t.meta_dir, t.checkpoint, t.stream);
    for (const framework_id of found.frameworks) if (!this.frameworks.has(framework_id)) journal?.write(this.layout.frameworkLocation(framework_id), null);
    // A group task that failed while the agent was down ended before its later siblings were read.
    for (const framework of [...this.frameworks.values()]) for (const task of [...framework.tasks.values()]) this.killGroupOf(task);
    const count = [...this.frameworks.values()].reduce((n, f) => n + f.tasks.size, 0);
    if (count > 0) log.info(`Recovered ${count} tasks of ${this.frameworks.size} frameworks${journal === null ? "" : ` from ${journal.path}`}`);
  }

  private recoverCheckpoint(info: FrameworkInfo, meta_dir: string, checkpoint: TaskCheckpoint, stream: StreamCheckpoint | null): void {
    const task: Task = { ...checkpoint, meta_dir, process: null, kill_timer: null };
    const latest = stream?.updates[stream.updates.length - 1];
    if (latest !== undefined && latest.status.state !== task.state) {
      task.state = latest.status.state; // the update was checkpointed, task.json not yet
      task.statuses = [...task.statuses, latest.status].slice(-STATUSES_PER_TASK_MAX);
    }
    const terminal = TERMINAL_STATES.has(task.state);
    if (terminal && (stream === null || stream.updates.length === 0)) {
      this.remember(info, task);
      this.layout.removeRun(task, ["task.json", "task.updates"]);
      return;
    }
    this.framework(info).tasks.set(task.task.task_id.value, task);
    if (stream !== null) this.updates.recover(stream, this.layout.taskLocation(task, "task.updates"));
    if (terminal) return;
    const status_file = this.layout.statusFile(task);
    if (task.pid !== null && isRunning(task.pid, task.start_time)) {
      log.info(`Re-adopting task ${task.task.task_id.value} of framework ${checkpoint.framework_id} (process group ${task.pid})`);
      this.watch(task, adopt(task.pid, task.start_time, status_file, this.options.poll_ms));
      if (task.killing !== null) this.signalKill(task);
      return;
    }
    this.exited(task, task.pid === null ? { code: null, signal: null } : recordedExit(status_file));
  }

  // ---- Launch

  /** RUN_TASK, or RUN_TASK_GROUP (see the header): the launched tasks are spawned once their checkpoints are durable. */
  private launchTasks(info: FrameworkInfo, tasks: TaskInfo[], grouped: boolean): void {
    const group = grouped ? tasks.map((t) => t.task_id.value) : undefined;
    const records = tasks.map((task) => this.run(info, task, group));
    const launched = records.filter((r): r is Task => r !== null && r.state === "TASK_STAGING" && r.killing === null);
    if (grouped && launched.length < records.length) {
      // The first TASK_KILLED kills the rest through the group rule; the others are terminal by then.
      for (const record of launched) {
        if (!TERMINAL_STATES.has(record.state)) this.status(record, "TASK_KILLED", "SOURCE_AGENT", { message: "Another task of its task group could not be launched" });
      }
      return;
    }
    // Spawned once the checkpoints are durable (a restarted agent knows every process it started).
    this.layout.store().whenDurable(() => this.queueStart(launched));
  }

  /** Checkpoints a launch; null (the task never runs, and was answered) when it is refused or dropped. */
  private run(info: FrameworkInfo, task: TaskInfo, group: string[] | undefined): Task | null {
    const framework_id = info.id.value;
    const task_id = task.task_id.value;
    const held = this.frameworks.get(framework_id);
    if (held?.tasks.has(task_id)) {
      this.counters.invalid_task_launches++;
      log.warning(`Dropping the launch of task ${task_id} of framework ${framework_id}: the agent holds a task of that id`);
      return null;
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
    if (group !== undefined) record.group = group;
    framework.tasks.set(task_id, record);
    try {
      this.checkpointFramework(framework);
      this.layout.store().write(this.layout.taskLocation(record, "task.json"), checkpointOf(record));
      if (this.layout.journaled) this.layout.statusDirectory(); // for the wrapper's exit status
    } catch (error) {
      framework.tasks.delete(task_id);
      this.counters.container_launch_errors++;
      log.error(`Failed to checkpoint task ${task_id} of framework ${framework_id}: ${(error as Error).message}`);
      return this.refuse(framework, record, "TASK_FAILED", "REASON_CONTAINER_LAUNCH_FAILED", `Failed to checkpoint the task: ${(error as Error).message}`);
    }
    return record;
  }

  /** Spawns a task, or a task group's tasks, at once ("files"), or queued to a later turn (journal: groups.ts). */
  private queueStart(records: Task[]): void {
    if (this.layout.journaled) this.starting.push(records);
    else for (const record of records) this.start(record);
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
      process = launch(argv, record.sandbox, env, this.layout.statusFile(record));
    } catch (error) {
      log.warning(`Failed to launch task ${task_id} of framework ${framework_id}: ${(error as Error).message}`);
      this.counters.container_launch_errors++;
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
  private sendOnce(framework_id: Id, task_id: Id, state: TaskState, reason: string, message: string): null {
    log.warning(`Task ${task_id.value} of framework ${framework_id.value} is ${state}: ${message}`);
    const timestamp = this.clock.now() / 1000;
    const uuid = newUuid();
    const status: TaskStatus = { task_id, state, source: "SOURCE_AGENT", reason, message, agent_id: this.agentId(), timestamp, uuid };
    this.options.send({ framework_id, status, timestamp, uuid, latest_state: state });
    return null;
  }

  /** A task that never runs: held with its one terminal update until that is acknowledged. */
  private refuse(framework: Framework, record: Task, state: TaskState, reason: string, message: string): null {
    log.warning(`Task ${record.task.task_id.value} of framework ${record.framework_id} is ${state}: ${message}`);
    framework.tasks.set(record.task.task_id.value, record);
    try {
      this.checkpointFramework(framework);
    } catch {
      // the status below fails the same way and says so
    }
    this.status(record, state, "SOURCE_AGENT", { reason, message });
    return null;
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
    if (bad_id !== null) return void this.sendOnce(info.id, { value: task_id }, state, reason, bad_id);
    if (this.taskCount() >= TASKS_PER_AGENT_MAX) return void this.sendOnce(info.id, { value: task_id }, state, reason, message);
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

  /** A task group's rule (groups.ts): a task's TASK_FAILED or TASK_KILLED kills its live siblings, as a KILL_TASK would. */
  private killGroupOf(task: Task): void {
    for (const sibling of siblingsToKill(task, this.frameworks.get(task.framework_id)?.tasks ?? new Map())) {
      log.info(`Killing task ${sibling.task.task_id.value} of framework ${task.framework_id}: task ${task.task.task_id.value} of its group is ${task.state}`);
      this.kill(task.framework_id, sibling.task.task_id.value, undefined);
    }
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
      update = this.updates.add(task.framework_id, status, this.layout.taskLocation(task, "task.updates"));
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
    this.killGroupOf(task);
  }

  private persist(task: Task): void {
    try {
      this.layout.store().write(this.layout.taskLocation(task, "task.json"), checkpointOf(task));
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
    this.layout.removeRun(task, ["task.json"]);
    if (framework.tasks.size === 0) {
      this.frameworks.delete(framework_id);
      if (this.layout.journaled) this.layout.store().write(this.layout.frameworkLocation(framework_id), null);
      else rmSync(join(task.meta_dir, "..", "..", "..", ".."), { recursive: true, force: true });
    }
  }

  private remember(framework: FrameworkInfo, task: Task): void {
    this.completed.push({ framework, task: checkpointOf(task) });
    if (this.completed.length > COMPLETED_TASKS_MAX) this.completed.shift();
  }

  /** Checkpoints the framework's info unless that very info is checkpointed already (a launch does not rewrite it). */
  private checkpointFramework(framework: Framework): void {
    const json = JSON.stringify(framework.info);
    if (framework.checkpointed === json) return;
    this.layout.store().write(this.layout.frameworkLocation(framework.info.id.value), framework.info);
    framework.checkpointed = json;
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
  metricValues(): MetricValue[] {
    const live = [...this.frameworks.values()].flatMap((f) => [...f.tasks.values()]);
    return metricsJson(live, this.counters, this.updates.counters);
  }

  /** The same as flat JSON numbers. */
  metrics(): Record<string, number> {
    return Object.fromEntries(this.metricValues().map((m) => [m.name, m.value]));
  }

  /** Every run the agent holds, completed ones first (oldest first): what the files service and the monitor read. */
  runs(): AgentRun[] {
    const held = [...this.frameworks.values()].flatMap((f) => [...f.tasks.values()].map((t) => ({ framework: f.info, task: checkpointOf(t), live: !TERMINAL_STATES.has(t.state), completed: false })));
    return [...this.completed.map((c) => ({ ...c, live: false, completed: true })), ...held];
  }

  /** /state's frameworks and completed_frameworks, roughly in Mesos's shape. */
  state(): { frameworks: JsonObject[]; completed_frameworks: JsonObject[] } {
    const live = [...this.frameworks.values()].map((f) => ({ info: f.info, tasks: [...f.tasks.values()].map(checkpointOf) }));
    return stateJson(live, this.completed);
  }
}
