// The LAUNCH and LAUNCH_GROUP operations of an ACCEPT whose offers are valid (master.cpp's
// _accept): each task is authorized (run_tasks), then validated against what is left of the
// offers, then sent to the agent. A refused task is answered TASK_ERROR from the master and
// is not launched; its resources stay in the remainder, which ACCEPT hands back to the
// allocator. A task group goes all together or not at all. Kept apart from task_calls.ts,
// which checks the call and its offers first.
import { logger } from "../logging.ts";
import type { Id, JsonObject, TaskInfo } from "../agent/task_protocol.ts";
import type { Agent } from "./agent_types.ts";
import type { Framework } from "./frameworks/types.ts";
import { isResource, Resources } from "./resources.ts";
import type { FrameworkRecord, Tasks } from "./tasks.ts";

const log = logger("task_launch.ts");

const object = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is Id => object(v) && typeof v.value === "string" && v.value !== "";

/** A LAUNCH or LAUNCH_GROUP operation: its tasks, and the group's executor id (the default executor's, which runs the group). */
export interface LaunchOperation {
  kind: "LAUNCH" | "LAUNCH_GROUP";
  tasks: TaskInfo[];
  executor_id?: string;
}

/** The tasks of LAUNCH / LAUNCH_GROUP operations, or the refusal for a malformed call. */
export function readOperations(operations: JsonObject[]): LaunchOperation[] | string {
  const out: LaunchOperation[] = [];
  for (const [i, op] of operations.entries()) {
    if (!object(op) || typeof op.type !== "string") return `Expecting 'operations[${i}].type' to be present`;
    let list: unknown;
    let executor_id: string | undefined;
    if (op.type === "LAUNCH") {
      if (!object(op.launch)) return "Expecting 'launch' to be present";
      list = op.launch.task_infos ?? [];
    } else if (op.type === "LAUNCH_GROUP") {
      if (!object(op.launch_group) || !object(op.launch_group.task_group)) return "Expecting 'launch_group' to be present";
      list = op.launch_group.task_group.tasks ?? [];
      const executor = op.launch_group.executor;
      if (object(executor) && isId(executor.executor_id)) executor_id = executor.executor_id.value;
    } else {
      return `Operation type ${op.type} is not supported by this master (LAUNCH and LAUNCH_GROUP are)`;
    }
    if (!Array.isArray(list)) return `Expecting the tasks of operations[${i}] to be an array`;
    for (const task of list) {
      if (!object(task)) return "Expecting a TaskInfo object";
      for (const field of ["name", "task_id", "agent_id"] as const) if (task[field] === undefined) return `Expecting 'task_infos.${field}' to be present`;
      if (!isId(task.task_id) || !isId(task.agent_id) || typeof task.name !== "string") return "Expecting 'task_id' and 'agent_id' to be {\"value\": string} and 'name' a string";
    }
    out.push({ kind: op.type, tasks: list as TaskInfo[], ...(executor_id !== undefined ? { executor_id } : {}) });
  }
  return out;
}

/** One ACCEPT's launches on one agent, from the offers' resources (`remaining`, which shrinks as tasks launch). */
export class Launcher {
  private readonly launched = new Set<string>();
  private readonly framework_info: JsonObject & { id: Id };

  constructor(
    private readonly tasks: Tasks,
    private readonly framework: Framework,
    private readonly rec: FrameworkRecord,
    private readonly agent: Agent,
    private readonly role: string,
    readonly remaining: Resources,
  ) {
    this.framework_info = { ...framework.info, id: { value: framework.id } };
  }

  run(op: LaunchOperation): void {
    if (op.kind === "LAUNCH") for (const task of op.tasks) this.launch(task);
    else this.launchGroup(op);
  }

  /** Mesos's LAUNCH: authorization first, then validation, each task on its own. */
  private launch(task: TaskInfo): void {
    const unauthorized = this.unauthorized(task, false);
    if (unauthorized !== null) return this.error(task, unauthorized, "REASON_TASK_UNAUTHORIZED");
    const message = this.invalid(task, this.launched);
    if (message !== null) return this.error(task, message, "REASON_TASK_INVALID");
    const info = this.add(task);
    log.info(`Launching task ${task.task_id.value} of framework ${this.framework.id} on agent ${this.agent.id}`);
    this.tasks.sendAgent(this.agent, { type: "RUN_TASK", framework: this.framework_info, task: info });
  }

  /** Mesos's LAUNCH_GROUP: one unauthorized or invalid task refuses the whole group, with one message for all. */
  private launchGroup(op: LaunchOperation): void {
    // Mesos tries every task and keeps the last refusal.
    let message: string | null = null;
    for (const task of op.tasks) message = this.unauthorized(task, true) ?? message;
    if (message !== null) {
      for (const task of op.tasks) this.error(task, message, "REASON_TASK_GROUP_UNAUTHORIZED");
      return;
    }
    message = this.groupInvalid(op.tasks);
    if (message !== null) {
      for (const task of op.tasks) this.error(task, message, "REASON_TASK_GROUP_INVALID");
      return;
    }
    const infos = op.tasks.map((task) => this.add(task, op.executor_id));
    log.info(`Launching task group {${op.tasks.map((t) => t.task_id.value).join(", ")}} of framework ${this.framework.id} on agent ${this.agent.id}`);
    this.tasks.sendAgent(this.agent, { type: "RUN_TASK_GROUP", framework: this.framework_info, task_group: { tasks: infos } });
  }

  private groupInvalid(group_tasks: TaskInfo[]): string | null {
    if (group_tasks.length === 0) return "Task group is empty";
    const group = new Set<string>();
    const total = new Resources();
    for (const task of group_tasks) {
      const problem = this.invalid(task, new Set([...this.launched, ...group]));
      if (problem !== null) return `Task '${task.task_id.value}' is invalid: ${problem}`;
      group.add(task.task_id.value);
      total.add(Resources.of(task.resources));
    }
    if (this.remaining.contains(total)) return null;
    return `Total resources ${JSON.stringify(total.toJson())} required by task group and its executor are more than available ${JSON.stringify(this.remaining.toJson())}`;
  }

  private unauthorized(task: TaskInfo, group: boolean): string | null {
    const refusal = this.tasks.options.authorization?.launch(this.framework.info, this.framework.id, task, group) ?? null;
    if (refusal !== null) log.warning(`Refusing to launch task ${task.task_id.value} of framework ${this.framework.id}: ${refusal}`);
    return refusal;
  }

  /** validation::task::validate for one command task against what is left of the offers. */
  private invalid(task: TaskInfo, launched: Set<string>): string | null {
    const id = task.task_id.value;
    if (this.rec.tasks.has(id) || launched.has(id)) return `Task has duplicate ID: ${id}`;
    if (this.rec.unreachable.has(id)) return `Task reuses the ID of an unreachable task: ${id}`;
    if (task.agent_id.value !== this.agent.id) return `Task uses invalid agent ${task.agent_id.value} while agent ${this.agent.id} is expected`;
    if (!Array.isArray(task.resources) || task.resources.length === 0) return "Task uses no resources";
    const bad = task.resources.find((r) => !isResource(r));
    if (bad !== undefined) return `Task uses invalid resources: ${JSON.stringify(bad)} is not a valid Resource`;
    if (!object(task.command)) return "Task should have at least one (but not both) of CommandInfo or ExecutorInfo present";
    if (task.executor !== undefined) return "Task should have at least one (but not both) of CommandInfo or ExecutorInfo present";
    const total = Resources.of(task.resources);
    if (!this.remaining.contains(total)) {
      return `Total resources ${JSON.stringify(total.toJson())} required by task and its executor is more than available ${JSON.stringify(this.remaining.toJson())}`;
    }
    return null;
  }

  private error(task: TaskInfo, message: string, reason: string): void {
    this.tasks.count("master/tasks_error");
    this.tasks.forward(this.rec, this.tasks.masterStatus(task.task_id, "TASK_ERROR", message, reason, task.agent_id.value));
  }

  private add(task: TaskInfo, executor_id?: string): TaskInfo {
    const info = { ...task, resources: Resources.of(task.resources).toJson(this.role) } as TaskInfo;
    this.tasks.addTask(this.rec, {
      framework_id: this.framework.id, agent_id: this.agent.id, info, state: "TASK_STAGING", statuses: [], unacknowledged: null, role: this.role,
      ...(executor_id !== undefined ? { executor_id } : {}),
    });
    this.remaining.subtract(Resources.of(task.resources));
    this.launched.add(task.task_id.value);
    return info;
  }
}
