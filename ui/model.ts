// The cluster as the page knows it: the operator stream's SUBSCRIBED state, kept current by its
// events (TASK_ADDED, TASK_UPDATED, AGENT_ADDED, AGENT_REMOVED, FRAMEWORK_ADDED/UPDATED/REMOVED),
// so no page polls the leader's whole state. Terminal tasks are kept up to TERMINAL_TASKS_MAX
// (oldest dropped first); the history for the charts is a ring of HISTORY_MAX samples.

export const TERMINAL_TASKS_MAX = 20_000;
export const HISTORY_MAX = 900;

export interface Resource {
  name: string;
  type?: string;
  scalar?: { value: number };
  ranges?: { range: { begin: number; end: number }[] };
  role?: string;
  allocation_info?: { role: string };
}

export interface AgentV1 {
  agent_info: { id: { value: string }; hostname: string; port?: number; resources?: Resource[]; attributes?: unknown[] };
  active?: boolean;
  deactivated?: boolean;
  pid?: string;
  registered_time?: { nanoseconds: number };
  total_resources?: Resource[];
  drain_info?: { state?: string };
}

export interface FrameworkV1 {
  framework_info: { id: { value: string }; name: string; user?: string; role?: string; roles?: string[]; principal?: string; hostname?: string; webui_url?: string };
  active?: boolean;
  connected?: boolean;
  recovered?: boolean;
  registered_time?: { nanoseconds: number };
}

export interface TaskStatusV1 {
  task_id: { value: string };
  state: string;
  timestamp?: number;
  message?: string;
  agent_id?: { value: string };
}

export interface TaskV1 {
  name: string;
  task_id: { value: string };
  framework_id: { value: string };
  agent_id?: { value: string };
  executor_id?: { value: string };
  state: string;
  resources?: Resource[];
  statuses?: TaskStatusV1[];
}

export const TERMINAL = new Set(["TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_LOST", "TASK_ERROR", "TASK_DROPPED", "TASK_GONE", "TASK_GONE_BY_OPERATOR"]);
/** The charts' task series, each a set of states. */
export const SERIES: { name: string; states: string[] }[] = [
  { name: "running", states: ["TASK_RUNNING"] },
  { name: "starting", states: ["TASK_STAGING", "TASK_STARTING", "TASK_KILLING"] },
  { name: "finished", states: ["TASK_FINISHED"] },
  { name: "failed", states: ["TASK_FAILED", "TASK_ERROR", "TASK_KILLED", "TASK_LOST", "TASK_DROPPED", "TASK_GONE", "TASK_GONE_BY_OPERATOR", "TASK_UNREACHABLE"] },
];

const key = (framework_id: string, task_id: string) => `${framework_id}\u0000${task_id}`;

export function scalar(resources: readonly Resource[] | undefined, name: string): number {
  let total = 0;
  for (const r of resources ?? []) if (r.name === name && r.scalar) total += r.scalar.value;
  return total;
}

export class Model {
  readonly agents = new Map<string, AgentV1>();
  readonly frameworks = new Map<string, FrameworkV1>();
  readonly completed_frameworks = new Map<string, FrameworkV1>();
  readonly tasks = new Map<string, TaskV1>();
  /** Terminal task keys, oldest first (the bound's queue). */
  private readonly terminal: string[] = [];
  /** Bumped on every change: views re-render when it moved. */
  version = 0;
  subscribed = false;
  readonly history = { time_s: [] as number[], series: SERIES.map(() => [] as number[]) };
  /** The leader's registry size and store latency over time (from its /log/status). */
  readonly registry_history = { time_s: [] as number[], size_kib: [] as number[], store_ms_p99: [] as number[] };

  /** SUBSCRIBED: the whole state, replacing what was known (a new leader's view wins). */
  load(state: Record<string, any>): void {
    this.agents.clear();
    this.frameworks.clear();
    this.completed_frameworks.clear();
    this.tasks.clear();
    this.terminal.length = 0;
    for (const agent of (state.get_agents?.agents ?? []) as AgentV1[]) this.agents.set(agent.agent_info.id.value, agent);
    for (const f of (state.get_frameworks?.frameworks ?? []) as FrameworkV1[]) this.frameworks.set(f.framework_info.id.value, f);
    for (const f of (state.get_frameworks?.completed_frameworks ?? []) as FrameworkV1[]) this.completed_frameworks.set(f.framework_info.id.value, f);
    const tasks = state.get_tasks ?? {};
    for (const list of [tasks.completed_tasks, tasks.unreachable_tasks, tasks.tasks]) for (const t of (list ?? []) as TaskV1[]) this.putTask(t);
    this.subscribed = true;
    this.version++;
  }

  /** One operator event; false for events the model does not follow. */
  apply(event: Record<string, any>): boolean {
    switch (event.type) {
      case "SUBSCRIBED":
        this.load(event.subscribed.get_state ?? {});
        return true;
      case "TASK_ADDED":
        this.putTask(event.task_added.task);
        break;
      case "TASK_UPDATED": {
        const status = event.task_updated.status as TaskStatusV1;
        const k = key(event.task_updated.framework_id.value, status.task_id.value);
        const task = this.tasks.get(k);
        if (task === undefined) return false;
        this.putTask({ ...task, state: event.task_updated.state, statuses: [...(task.statuses ?? []).slice(-15), status] });
        break;
      }
      case "AGENT_ADDED":
        this.agents.set(event.agent_added.agent.agent_info.id.value, event.agent_added.agent);
        break;
      case "AGENT_REMOVED":
        this.agents.delete(event.agent_removed.agent_id.value);
        break;
      case "FRAMEWORK_ADDED":
      case "FRAMEWORK_UPDATED": {
        const f = (event.framework_added ?? event.framework_updated).framework as FrameworkV1;
        this.frameworks.set(f.framework_info.id.value, f);
        break;
      }
      case "FRAMEWORK_REMOVED": {
        const id = event.framework_removed.framework_info.id.value as string;
        const f = this.frameworks.get(id);
        this.frameworks.delete(id);
        this.completed_frameworks.set(id, f ?? { framework_info: event.framework_removed.framework_info });
        break;
      }
      default:
        return false;
    }
    this.version++;
    return true;
  }

  private putTask(task: TaskV1): void {
    const k = key(task.framework_id.value, task.task_id.value);
    const was = this.tasks.get(k);
    this.tasks.set(k, task);
    if (TERMINAL.has(task.state) && (was === undefined || !TERMINAL.has(was.state))) {
      this.terminal.push(k);
      while (this.terminal.length > TERMINAL_TASKS_MAX) this.tasks.delete(this.terminal.shift()!);
    }
  }

  task(framework_id: string, task_id: string): TaskV1 | undefined {
    return this.tasks.get(key(framework_id, task_id));
  }

  countsByState(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const t of this.tasks.values()) counts.set(t.state, (counts.get(t.state) ?? 0) + 1);
    return counts;
  }

  /** Resources of live tasks by agent id (what the agent has allocated to tasks). */
  usedByAgent(): Map<string, { cpus: number; mem: number; disk: number; tasks: number }> {
    const used = new Map<string, { cpus: number; mem: number; disk: number; tasks: number }>();
    for (const t of this.tasks.values()) {
      if (TERMINAL.has(t.state) || t.state === "TASK_UNREACHABLE" || t.agent_id === undefined) continue;
      const u = used.get(t.agent_id.value) ?? { cpus: 0, mem: 0, disk: 0, tasks: 0 };
      u.cpus += scalar(t.resources, "cpus");
      u.mem += scalar(t.resources, "mem");
      u.disk += scalar(t.resources, "disk");
      u.tasks++;
      used.set(t.agent_id.value, u);
    }
    return used;
  }

  /** Records one chart sample of the task series. */
  sample(now_s = Date.now() / 1000): void {
    const counts = this.countsByState();
    const h = this.history;
    h.time_s.push(now_s);
    SERIES.forEach((s, i) => h.series[i]!.push(s.states.reduce((n, state) => n + (counts.get(state) ?? 0), 0)));
    if (h.time_s.length > HISTORY_MAX) {
      h.time_s.shift();
      for (const series of h.series) series.shift();
    }
  }

  sampleRegistry(registry: { size_bytes: number | null; store_ms_p99: number | null }, now_s = Date.now() / 1000): void {
    const h = this.registry_history;
    h.time_s.push(now_s);
    h.size_kib.push(Math.round((registry.size_bytes ?? 0) / 102.4) / 10);
    h.store_ms_p99.push(Math.round((registry.store_ms_p99 ?? 0) * 100) / 100);
    if (h.time_s.length > HISTORY_MAX) {
      h.time_s.shift();
      h.size_kib.shift();
      h.store_ms_p99.shift();
    }
  }
}
