// In-process task-side fixtures: the agents service of master_agents.ts (fake clock, recording
// agent connections, real registrar) with the Tasks service hooked in, and frameworks whose
// event streams record what they are sent.
import type { JsonObject, TaskStatus } from "../../host/agent/task_protocol.ts";
import { MasterAuthorization } from "../../host/master/authorization.ts";
import { parseMasterFlags } from "../../host/master/flags.ts";
import { loadMasterSecurity } from "../../host/master/security.ts";
import type { Framework, SchedulerEvent } from "../../host/master/frameworks/types.ts";
import { FakeStream } from "./frameworks.ts";
import { Tasks } from "../../host/master/tasks.ts";
import type { Operation } from "../../host/registry/types.ts";
import { agentsFixture, FakeConnection, type Fixture, registerAgent } from "./master_agents.ts";

/** A framework's stream that keeps every event, with a filter by type. */
export class RecordingStream extends FakeStream {
  of(type: string): SchedulerEvent[] {
    return this.events.filter((e) => e.type === type);
  }
  /** Every offer of the OFFERS events so far. */
  offers(): { id: { value: string }; agent_id: { value: string }; resources: JsonObject[]; allocation_info: { role: string } }[] {
    return this.of("OFFERS").flatMap((e) => (e.offers as { offers: never[] }).offers);
  }
  updates(): TaskStatus[] {
    return this.of("UPDATE").map((e) => (e.update as { status: TaskStatus }).status);
  }
}

export interface TaskFixture extends Fixture {
  tasks: Tasks;
  register(n: number): Promise<{ conn: FakeConnection; id: string }>;
  /** `info` adds to (or replaces) the FrameworkInfo's fields, e.g. `user` and `principal`. */
  framework(id: string, options?: { roles?: string[]; partition_aware?: boolean; info?: JsonObject }): { framework: Framework; stream: RecordingStream };
}

/** `--acls=` in `argv` turns on run_tasks on ACCEPT, as a master with that flag has it. */
export async function tasksFixture(argv: string[] = [], before: Operation[] = []): Promise<TaskFixture> {
  const f = await agentsFixture(argv, before);
  const parsed = parseMasterFlags(["--registry=in_memory", ...argv], {});
  if (parsed.kind !== "flags") throw new Error("flags expected");
  const authorization = new MasterAuthorization(loadMasterSecurity(parsed.values, {}).authorizer);
  const tasks = new Tasks({ master_id: "M1", flags: parsed.values, metrics: f.metrics, agents: f.agents, registrar: f.registrar, clock: f.clock, authorization });
  f.agents.tasks = tasks;
  return {
    ...f,
    tasks,
    register: (n) => registerAgent(f, n),
    framework(id, options = {}) {
      const roles = options.roles ?? ["*"];
      const stream = new RecordingStream();
      const capabilities = options.partition_aware ? [{ type: "PARTITION_AWARE" }, { type: "MULTI_ROLE" }] : [{ type: "MULTI_ROLE" }];
      const framework: Framework = {
        id, info: { id: { value: id }, name: `fw-${id}`, roles, capabilities, ...options.info }, stream, active: true, registered_time: f.clock.now_ms(),
        partition_aware: options.partition_aware ?? false, roles, suppressed: new Set(),
      };
      tasks.frameworkActivated(framework);
      return { framework, stream };
    },
  };
}

/** A command task of `cpus` and `mem` on `agent_id`. */
export function taskInfo(id: string, agent_id: string, cpus = 1, mem = 128): JsonObject & { task_id: { value: string } } {
  return {
    name: `task ${id}`, task_id: { value: id }, agent_id: { value: agent_id },
    resources: [{ name: "cpus", type: "SCALAR", scalar: { value: cpus } }, { name: "mem", type: "SCALAR", scalar: { value: mem } }],
    command: { value: "sleep 1000", shell: true },
  };
}

export const launch = (...tasks: JsonObject[]) => ({ type: "LAUNCH", launch: { task_infos: tasks } });

/** base64 of 16 bytes, as v1 JSON renders a UUID. */
export function uuid(n: number): string {
  const bytes = new Uint8Array(16);
  bytes[15] = n;
  return Buffer.from(bytes).toString("base64");
}
