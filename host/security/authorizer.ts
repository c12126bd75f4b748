// Mesos's local authorizer (src/authorizer/local/authorizer.cpp) over the --acls JSON: each
// action's entries are tried in order, the first whose subject and object both *match* the
// request decides (by whether they *allow* it), and `permissive` (default true) decides when
// none matches. A request without a principal is the subject ANY: only entries whose
// principals are ANY or NONE match it. Role objects are hierarchical (`eng/%`). The ACLs are
// checked once, at start: a name that is not an action or a malformed entry is refused, since
// a misspelled action would silently grant what the operator meant to deny.
//
// Beyond Mesos (issue #13 names them; Mesos's own names keep working):
// - `update_maintenance_schedule` and `get_maintenance_schedule` are aliases of Mesos's plural
//   `update_maintenance_schedules` and `get_maintenance_schedules`; a file giving both spellings
//   gets the entries of both, in the order the keys appear.
// - `get_weights` (objects `roles`): who sees which role's weight on GET /weights and
//   GET_WEIGHTS. Mesos filters weights by `view_roles`; here `get_weights` decides when the file
//   names it (its entries, then `permissive`), else `view_roles` does, as in Mesos.
// - `view_agents` (objects `agents`, ANY or NONE): whether the agents are shown in /state,
//   /slaves, /state-summary, GET_AGENTS, GET_STATE and the operator event stream. Mesos shows
//   agents to anyone who may read those endpoints.
import { type AclsJson, AclsError } from "./acls.ts";

export type Entity = { type: "SOME"; values: readonly string[] } | { type: "ANY" } | { type: "NONE" };

/** The object field of every action of acls.proto, and whether its objects are given implicitly (ANY or NONE only). */
const ACTIONS: Record<string, { object: string; proto: string; implicit?: boolean; roles?: boolean }> = {
  register_frameworks: { object: "roles", proto: "RegisterFramework", roles: true },
  run_tasks: { object: "users", proto: "RunTask" },
  teardown_frameworks: { object: "framework_principals", proto: "TeardownFramework" },
  reserve_resources: { object: "roles", proto: "ReserveResources", roles: true },
  unreserve_resources: { object: "reserver_principals", proto: "UnreserveResources" },
  create_volumes: { object: "roles", proto: "CreateVolume", roles: true },
  destroy_volumes: { object: "creator_principals", proto: "DestroyVolume" },
  resize_volumes: { object: "roles", proto: "ResizeVolume", roles: true },
  update_weights: { object: "roles", proto: "UpdateWeight", roles: true },
  get_endpoints: { object: "paths", proto: "GetEndpoint" },
  get_quotas: { object: "roles", proto: "GetQuota", roles: true },
  update_quotas: { object: "roles", proto: "UpdateQuota", roles: true },
  view_frameworks: { object: "users", proto: "ViewFramework" },
  view_tasks: { object: "users", proto: "ViewTask" },
  view_executors: { object: "users", proto: "ViewExecutor" },
  access_sandboxes: { object: "users", proto: "AccessSandbox" },
  access_mesos_logs: { object: "logs", proto: "AccessMesosLog", implicit: true },
  view_roles: { object: "roles", proto: "ViewRole", roles: true },
  view_flags: { object: "flags", proto: "ViewFlags", implicit: true },
  set_log_level: { object: "level", proto: "SetLogLevel", implicit: true },
  register_agents: { object: "agents", proto: "RegisterAgent", implicit: true },
  update_maintenance_schedules: { object: "machines", proto: "UpdateMaintenanceSchedule", implicit: true },
  get_maintenance_schedules: { object: "machines", proto: "GetMaintenanceSchedule", implicit: true },
  start_maintenances: { object: "machines", proto: "StartMaintenance", implicit: true },
  stop_maintenances: { object: "machines", proto: "StopMaintenance", implicit: true },
  get_maintenance_statuses: { object: "machines", proto: "GetMaintenanceStatus", implicit: true },
  drain_agents: { object: "agents", proto: "DrainAgent", implicit: true },
  deactivate_agents: { object: "agents", proto: "DeactivateAgent", implicit: true },
  reactivate_agents: { object: "agents", proto: "ReactivateAgent", implicit: true },
  mark_agents_gone: { object: "agents", proto: "MarkAgentGone", implicit: true },
  // Beyond Mesos (see the header); `proto` names them as their refusals do.
  get_weights: { object: "roles", proto: "GetWeight", roles: true },
  view_agents: { object: "agents", proto: "ViewAgent", implicit: true },
};

/** Issue #13's singular names for Mesos's actions: read as the action they name. */
export const ALIASES: Record<string, string> = {
  update_maintenance_schedule: "update_maintenance_schedules",
  get_maintenance_schedule: "get_maintenance_schedules",
};

/** Actions this master checks; the others of acls.proto are accepted (a Mesos ACL file loads) and reported once. */
export const ENFORCED_ACTIONS = [
  "register_frameworks", "run_tasks", "teardown_frameworks", "update_weights", "get_endpoints", "get_quotas", "update_quotas",
  "view_frameworks", "view_tasks", "view_roles", "view_flags", "update_maintenance_schedules", "get_maintenance_schedules",
  "start_maintenances", "stop_maintenances", "get_maintenance_statuses", "drain_agents", "deactivate_agents", "reactivate_agents",
  "mark_agents_gone", "get_weights", "view_agents",
] as const;
export type Action = (typeof ENFORCED_ACTIONS)[number];

/** libprocess's AUTHORIZABLE_ENDPOINTS: the only paths get_endpoints may name. */
export const AUTHORIZABLE_ENDPOINTS = ["/containers", "/containerizer/debug", "/files/debug", "/logging/toggle", "/metrics/snapshot", "/monitor/statistics"];

interface Entry {
  subjects: Entity;
  objects: Entity;
}

export interface ParsedAcls {
  permissive: boolean;
  entries: Map<string, Entry[]>;
  /** Actions present in the file that this master never checks. */
  unenforced: string[];
}

function entityOf(value: unknown, where: string): Entity {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new AclsError(`${where}: expected an object like {"values":["a"]} or {"type":"ANY"}`);
  const { type = "SOME", values = [], ...rest } = value as { type?: unknown; values?: unknown };
  const extra = Object.keys(rest);
  if (extra.length > 0) throw new AclsError(`${where}: unknown field '${extra[0]}' (expected 'type' or 'values')`);
  if (type !== "SOME" && type !== "ANY" && type !== "NONE") throw new AclsError(`${where}.type: expected SOME, ANY or NONE, got ${JSON.stringify(type)}`);
  if (!Array.isArray(values) || values.some((v) => typeof v !== "string")) throw new AclsError(`${where}.values: expected an array of strings`);
  return type === "SOME" ? { type, values: values as string[] } : { type };
}

function entryOf(action: string, raw: unknown, i: number, written = action): Entry {
  const spec = ACTIONS[action]!;
  const where = `${written}[${i}]`;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new AclsError(`${where}: expected an object with 'principals' and '${spec.object}'`);
  const record = raw as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (key !== "principals" && key !== spec.object) throw new AclsError(`${where}: unknown field '${key}' (expected 'principals' and '${spec.object}')`);
  }
  for (const key of ["principals", spec.object]) if (!(key in record)) throw new AclsError(`${where}: missing required field '${key}'`);
  const entry = { subjects: entityOf(record.principals, `${where}.principals`), objects: entityOf(record[spec.object], `${where}.${spec.object}`) };
  if (spec.implicit && entry.objects.type === "SOME") throw new AclsError(`ACL.${spec.proto} type must be either NONE or ANY`);
  if (action === "get_endpoints" && entry.objects.type === "SOME") {
    const path = entry.objects.values.find((p) => !AUTHORIZABLE_ENDPOINTS.includes(p));
    if (path !== undefined) throw new AclsError(`Path: '${path}' is not an authorizable path`);
  }
  return entry;
}

/** Validates the ACLs object (acls.proto's field names) into entries per action; throws AclsError naming what is wrong. */
export function parseAcls(json: AclsJson): ParsedAcls {
  const parsed: ParsedAcls = { permissive: true, entries: new Map(), unenforced: [] };
  for (const [key, value] of Object.entries(json)) {
    if (key === "permissive") {
      if (typeof value !== "boolean") throw new AclsError("'permissive' must be true or false");
      parsed.permissive = value;
      continue;
    }
    const action = ALIASES[key] ?? key;
    if (!(action in ACTIONS)) {
      throw new AclsError(`unknown action '${key}' (expected one of: permissive, ${[...Object.keys(ACTIONS), ...Object.keys(ALIASES)].join(", ")})`);
    }
    if (!Array.isArray(value)) throw new AclsError(`'${key}' must be an array of entries`);
    // Entries are named by the key as written, so an error points at the line the operator wrote.
    const entries = value.map((raw, i) => entryOf(action, raw, i, key));
    parsed.entries.set(action, [...(parsed.entries.get(action) ?? []), ...entries]);
    if (!(ENFORCED_ACTIONS as readonly string[]).includes(action) && !parsed.unenforced.includes(action)) parsed.unenforced.push(action);
  }
  return parsed;
}

// The match and allow matrices of authorizer.cpp: a request entity is SOME (one value) or ANY.
function matches(request: Entity, acl: Entity): boolean {
  if (request.type === "NONE") return acl.type === "NONE";
  if (request.type === "ANY") return acl.type !== "SOME";
  return acl.type !== "SOME" || request.values.every((v) => acl.values.includes(v));
}

function allows(request: Entity, acl: Entity): boolean {
  if (request.type === "NONE") return acl.type === "NONE";
  if (request.type === "ANY") return acl.type === "ANY";
  if (acl.type === "ANY") return true;
  return acl.type === "SOME" && request.values.every((v) => acl.values.includes(v));
}

const ANY: Entity = { type: "ANY" };

export class Authorizer {
  constructor(private readonly acls: ParsedAcls) {}

  static fromJson(json: AclsJson): Authorizer {
    return new Authorizer(parseAcls(json));
  }

  get unenforced(): readonly string[] {
    return this.acls.unenforced;
  }

  /** Whether the file names `action` (or an alias of it), even with no entries. */
  has(action: Action): boolean {
    return this.acls.entries.has(action);
  }

  /**
   * Whether `principal` (null: an unauthenticated request) may perform `action` on `object`
   * (null: any object, as for actions whose objects are implicit).
   */
  allowed(action: Action, principal: string | null, object: string | null = null): boolean {
    const subject: Entity = principal === null ? ANY : { type: "SOME", values: [principal] };
    const request: Entity = object === null ? ANY : { type: "SOME", values: [object] };
    const hierarchical = ACTIONS[action]!.roles === true;
    for (const acl of this.acls.entries.get(action) ?? []) {
      for (const split of hierarchical ? splitRecursive(acl) : [acl]) {
        const decided = decide(subject, request, split);
        if (decided !== null) return decided;
      }
    }
    return this.acls.permissive;
  }

  /** Every object must be allowed (a framework registering in several roles); none at all: `permissive`. */
  allowedAll(action: Action, principal: string | null, objects: readonly string[]): boolean {
    if (objects.length === 0) return this.acls.permissive;
    return objects.every((object) => this.allowed(action, principal, object));
  }
}

type Split = Entry & { recursive?: string };

/** createHierarchicalRoleACLs: each `a/%` value becomes its own entry, the plain roles stay together. */
function splitRecursive(acl: Entry): Split[] {
  if (acl.objects.type !== "SOME") return [acl];
  const recursive = acl.objects.values.filter((v) => v.endsWith("/%"));
  const plain = acl.objects.values.filter((v) => !v.endsWith("/%"));
  const out: Split[] = recursive.map((value) => ({ subjects: acl.subjects, objects: ANY, recursive: value }));
  if (plain.length > 0) out.push({ subjects: acl.subjects, objects: { type: "SOME", values: plain } });
  return out;
}

/** The entry's verdict, or null when it does not match the request. */
function decide(subject: Entity, object: Entity, acl: Split): boolean | null {
  if (acl.recursive !== undefined) {
    // `eng/%` covers the roles strictly under eng, and only a named role can be under it.
    if (object.type !== "SOME" || !object.values[0]!.startsWith(acl.recursive.slice(0, -1))) return null;
  }
  if (!matches(subject, acl.subjects) || !matches(object, acl.objects)) return null;
  return allows(subject, acl.subjects) && allows(object, acl.objects);
}
