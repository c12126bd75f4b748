// The master's authorization decisions over its local authorizer (--acls), one function per
// kind of request, shared by the HTTP endpoints and the v1 operator calls that mirror them (PUT
// /weights and UPDATE_WEIGHTS ask the same question). Without --acls every answer is yes, as
// Mesos skips authorization when it has no authorizer. A refusal is libprocess's Forbidden():
// 403 with the body "403 Forbidden.".
import type { Authorizer, Action } from "../security/authorizer.ts";
import { type Reply, refuse } from "./registry_requests.ts";
import type { FrameworkInfo } from "./frameworks/framework_info.ts";
import { rolesOf, setText } from "./frameworks/framework_info.ts";

export const FORBIDDEN_TEXT = "403 Forbidden.";
export const forbidden = (): Reply => refuse(FORBIDDEN_TEXT, 403);

/** What an HTTP caller may see of the master's state (view_frameworks, view_tasks, view_roles, view_flags, view_agents). */
export interface Viewer {
  /** A framework whose FrameworkInfo.user is `user`. */
  framework(user: string): boolean;
  /** A task running as `user` (its command's user, else its framework's). */
  task(user: string): boolean;
  role(role: string): boolean;
  flags: boolean;
  /** view_agents (beyond Mesos): the agents, all or none. */
  agents: boolean;
}

export const SEE_ALL: Viewer = { framework: () => true, task: () => true, role: () => true, flags: true, agents: true };

/** The parts of a TaskInfo the run_tasks check reads. */
interface LaunchedTask {
  task_id: { value: string };
  command?: { user?: string };
  executor?: unknown;
}

export class MasterAuthorization {
  constructor(private readonly authorizer: Authorizer | null) {}

  get enabled(): boolean {
    return this.authorizer !== null;
  }

  /** Whether `principal` may perform `action` on `object` (null: any object, or implicit objects). */
  allowed(action: Action, principal: string | null, object: string | null = null): boolean {
    return this.authorizer === null || this.authorizer.allowed(action, principal, object);
  }

  /** Null when allowed, else the 403. */
  check(action: Action, principal: string | null, object: string | null = null): Reply | null {
    return this.allowed(action, principal, object) ? null : forbidden();
  }

  /** Null when `principal` may act on every one of `objects` (as Mesos collects one authorization per role). */
  checkEach(action: Action, principal: string | null, objects: readonly string[]): Reply | null {
    return objects.every((object) => this.allowed(action, principal, object)) ? null : forbidden();
  }

  viewer(principal: string | null): Viewer {
    if (this.authorizer === null) return SEE_ALL;
    return {
      framework: (user) => this.allowed("view_frameworks", principal, user),
      task: (user) => this.allowed("view_tasks", principal, user),
      role: (role) => this.allowed("view_roles", principal, role),
      flags: this.allowed("view_flags", principal),
      agents: this.allowed("view_agents", principal),
    };
  }

  /**
   * Whether `principal` sees `role`'s weight: get_weights (beyond Mesos) decides when the ACLs
   * name it, else view_roles, which is all Mesos consults. Naming get_weights is how an operator
   * shows weights more (or less) widely than the roles themselves.
   */
  weightVisible(principal: string | null, role: string): boolean {
    if (this.authorizer === null) return true;
    return this.allowed(this.authorizer.has("get_weights") ? "get_weights" : "view_roles", principal, role);
  }

  /**
   * run_tasks for one task of an ACCEPT: the subject is FrameworkInfo.principal (ANY when it has
   * none), the object the user the task runs as. Null, or Mesos 1.12's refusal: for a LAUNCH
   * Master::accept's text, for a task of a LAUNCH_GROUP the group's (`group`). Both are copied
   * with Mesos's own wording slips ("no authorized", "tolaunch") so that tools matching Mesos's
   * TASK_ERROR messages keep matching.
   */
  launch(framework: FrameworkInfo, framework_id: string, task: LaunchedTask, group = false): string | null {
    if (this.authorizer === null) return null;
    const user = launchUser(task, framework.user);
    if (this.authorizer.allowed("run_tasks", framework.principal ?? null, user)) return null;
    const what = `launch task ${task.task_id.value} of framework ${framework_id} under user '${user}'`;
    return group ? `Task '${task.task_id.value}' is not authorized to${what}` : `Principal '${framework.principal ?? ""}' no authorized to ${what}`;
  }

  /**
   * register_frameworks for a SUBSCRIBE: the subject is FrameworkInfo.principal (the
   * authenticated one when the framework left it out), the objects are its roles, all of
   * which must be allowed. Null, or the ERROR text Mesos sends.
   */
  registration(info: FrameworkInfo): string | null {
    if (this.authorizer === null) return null;
    const roles = rolesOf(info);
    if (this.authorizer.allowedAll("register_frameworks", info.principal ?? null, roles)) return null;
    return `Not authorized to register framework ${info.id?.value ?? ""} with roles ${setText([...new Set(roles)].sort())}`;
  }

  /** teardown_frameworks: the object is the framework's principal (any, when it has none). */
  teardown(principal: string | null, framework: FrameworkInfo): Reply | null {
    return this.check("teardown_frameworks", principal, framework.principal ?? null);
  }
}

/** RUN_TASK's object, as authorizer.cpp reads it: the command's user, else the executor's command's, else the framework's. */
function launchUser(task: LaunchedTask, framework_user: string | undefined): string {
  const executor = task.executor as { command?: { user?: string } } | undefined;
  return task.command?.user ?? executor?.command?.user ?? framework_user ?? "";
}

/** The user a task runs as: its command's, else its framework's (VIEW_TASK's object). */
export function taskUser(command_user: string | undefined, framework_user: string | undefined): string {
  return command_user ?? framework_user ?? "";
}
