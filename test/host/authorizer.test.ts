// Proves the local authorizer decides as Mesos's does: permissive true/false when no entry matches, ANY and NONE subjects and objects (an unauthenticated caller is ANY), the first matching entry deciding, hierarchical role entries, and --acls validation refusing unknown actions and malformed entries; and the names beyond Mesos: run_tasks by user, the singular maintenance-schedule aliases, get_weights by role and view_agents ANY/NONE.
import { describe, expect, test } from "bun:test";
import { AclsError } from "../../host/security/acls.ts";
import { type Action, Authorizer, parseAcls } from "../../host/security/authorizer.ts";

const some = (...values: string[]) => ({ values });
const ANY = { type: "ANY" };
const NONE = { type: "NONE" };

describe("decisions", () => {
  // [title, acls, principal, object, allowed]
  const table: [string, Record<string, unknown>, string | null, string | null, boolean][] = [
    ["no entries, permissive by default", {}, "alice", "dev", true],
    ["no entries, permissive false", { permissive: false }, "alice", "dev", false],
    ["named principal and role", { update_weights: [{ principals: some("alice"), roles: some("dev") }] }, "alice", "dev", true],
    ["another role: no match, permissive decides (true)", { update_weights: [{ principals: some("alice"), roles: some("dev") }] }, "alice", "ops", true],
    ["another role: no match, permissive decides (false)", { permissive: false, update_weights: [{ principals: some("alice"), roles: some("dev") }] }, "alice", "ops", false],
    ["objects NONE matches and denies", { update_weights: [{ principals: some("alice"), roles: NONE }] }, "alice", "dev", false],
    ["subjects NONE matches anyone and denies", { update_weights: [{ principals: NONE, roles: ANY }] }, "bob", "dev", false],
    ["subjects ANY allows a named principal", { permissive: false, update_weights: [{ principals: ANY, roles: ANY }] }, "bob", "dev", true],
    ["subjects ANY allows the unauthenticated", { permissive: false, update_weights: [{ principals: ANY, roles: ANY }] }, null, "dev", true],
    ["a named entry does not match the unauthenticated", { permissive: false, update_weights: [{ principals: some("alice"), roles: ANY }] }, null, "dev", false],
    ["subjects NONE matches the unauthenticated and denies", { update_weights: [{ principals: NONE, roles: ANY }] }, null, "dev", false],
    ["first match decides: deny before allow", {
      update_weights: [{ principals: some("alice"), roles: NONE }, { principals: some("alice"), roles: ANY }],
    }, "alice", "dev", false],
    ["first match decides: allow before deny", {
      update_weights: [{ principals: some("alice"), roles: ANY }, { principals: ANY, roles: NONE }],
    }, "alice", "dev", true],
    ["a non-matching entry is skipped", {
      update_weights: [{ principals: some("bob"), roles: NONE }, { principals: ANY, roles: some("dev") }],
    }, "alice", "dev", true],
    ["implicit objects: ANY allows", { permissive: false, mark_agents_gone: [{ principals: some("alice"), agents: ANY }] }, "alice", null, true],
    ["implicit objects: NONE denies", { mark_agents_gone: [{ principals: some("alice"), agents: NONE }] }, "alice", null, false],
    ["hierarchical: eng/% covers eng/dev", { permissive: false, update_weights: [{ principals: some("alice"), roles: some("eng/%") }] }, "alice", "eng/dev", true],
    ["hierarchical: eng/% does not cover eng itself", { permissive: false, update_weights: [{ principals: some("alice"), roles: some("eng/%") }] }, "alice", "eng", false],
    ["hierarchical: eng/% does not cover engineering", { permissive: false, update_weights: [{ principals: some("alice"), roles: some("eng/%") }] }, "alice", "engineering/x", false],
  ];
  for (const [title, acls, principal, object, allowed] of table) {
    test(title, () => {
      const action = "mark_agents_gone" in acls ? "mark_agents_gone" : "update_weights";
      expect(Authorizer.fromJson(acls).allowed(action, principal, object)).toBe(allowed);
    });
  }

  test("a framework registering in several roles needs every one", () => {
    const authorizer = Authorizer.fromJson({ permissive: false, register_frameworks: [{ principals: some("fw"), roles: some("a", "b") }] });
    expect(authorizer.allowedAll("register_frameworks", "fw", ["a", "b"])).toBe(true);
    expect(authorizer.allowedAll("register_frameworks", "fw", ["a", "c"])).toBe(false);
    expect(authorizer.allowedAll("register_frameworks", "fw", [])).toBe(false);
  });
});

describe("issue #13's names", () => {
  // [title, acls, action asked, principal, object, allowed]
  const table: [string, Record<string, unknown>, Action, string | null, string | null, boolean][] = [
    ["run_tasks: the named user", { permissive: false, run_tasks: [{ principals: some("fw1"), users: some("alice") }] }, "run_tasks", "fw1", "alice", true],
    ["run_tasks: another user", { permissive: false, run_tasks: [{ principals: some("fw1"), users: some("alice") }] }, "run_tasks", "fw1", "root", false],
    ["run_tasks: users NONE", { run_tasks: [{ principals: ANY, users: NONE }] }, "run_tasks", "fw1", "alice", false],
    ["update_maintenance_schedule is update_maintenance_schedules",
      { permissive: false, update_maintenance_schedule: [{ principals: some("alice"), machines: ANY }] }, "update_maintenance_schedules", "alice", null, true],
    ["get_maintenance_schedule is get_maintenance_schedules",
      { get_maintenance_schedule: [{ principals: some("bob"), machines: NONE }] }, "get_maintenance_schedules", "bob", null, false],
    ["both spellings: the entries of the key written first come first", {
      get_maintenance_schedule: [{ principals: some("bob"), machines: NONE }], get_maintenance_schedules: [{ principals: ANY, machines: ANY }],
    }, "get_maintenance_schedules", "bob", null, false],
    ["get_weights: a named role", { permissive: false, get_weights: [{ principals: some("alice"), roles: some("dev") }] }, "get_weights", "alice", "dev", true],
    ["get_weights: another role", { permissive: false, get_weights: [{ principals: some("alice"), roles: some("dev") }] }, "get_weights", "alice", "ops", false],
    ["get_weights: hierarchical like every role object", { permissive: false, get_weights: [{ principals: ANY, roles: some("eng/%") }] }, "get_weights", null, "eng/a", true],
    ["view_agents: ANY shows them", { permissive: false, view_agents: [{ principals: some("alice"), agents: ANY }] }, "view_agents", "alice", null, true],
    ["view_agents: NONE hides them", { view_agents: [{ principals: some("bob"), agents: NONE }] }, "view_agents", "bob", null, false],
  ];
  for (const [title, acls, action, principal, object, allowed] of table) {
    test(title, () => expect(Authorizer.fromJson(acls).allowed(action, principal, object)).toBe(allowed));
  }

  test("an alias's mistakes are reported under the name written; view_agents takes only ANY or NONE", () => {
    expect(() => parseAcls({ get_maintenance_schedule: [{ principals: ANY }] })).toThrow("get_maintenance_schedule[0]: missing required field 'machines'");
    expect(() => parseAcls({ view_agents: [{ principals: ANY, agents: some("a1") }] })).toThrow("ACL.ViewAgent type must be either NONE or ANY");
    expect(() => parseAcls({ get_weight: [] })).toThrow(/unknown action 'get_weight' \(expected one of: .*get_weights.*update_maintenance_schedule\b/);
  });

  test("run_tasks, get_weights and view_agents are checked, so none is reported as unchecked", () => {
    const acls = { run_tasks: [], get_weights: [], view_agents: [], update_maintenance_schedule: [] };
    expect(parseAcls(acls).unenforced).toEqual([]);
  });
});

describe("validation", () => {
  const refusals: [string, Record<string, unknown>, string][] = [
    ["an unknown action", { update_weight: [] }, "unknown action 'update_weight'"],
    ["permissive not a boolean", { permissive: "yes" }, "'permissive' must be true or false"],
    ["entries not an array", { update_weights: {} }, "'update_weights' must be an array of entries"],
    ["a missing object field", { update_weights: [{ principals: ANY }] }, "update_weights[0]: missing required field 'roles'"],
    ["a wrong object field", { update_weights: [{ principals: ANY, users: ANY }] }, "update_weights[0]: unknown field 'users'"],
    ["a bad entity type", { update_weights: [{ principals: { type: "ALL" }, roles: ANY }] }, "update_weights[0].principals.type: expected SOME, ANY or NONE"],
    ["values not strings", { update_weights: [{ principals: { values: [1] }, roles: ANY }] }, "update_weights[0].principals.values: expected an array of strings"],
    ["named objects for an implicit action", { mark_agents_gone: [{ principals: ANY, agents: some("a1") }] }, "ACL.MarkAgentGone type must be either NONE or ANY"],
    ["a path get_endpoints cannot guard", { get_endpoints: [{ principals: ANY, paths: some("/flags") }] }, "Path: '/flags' is not an authorizable path"],
  ];
  for (const [title, acls, message] of refusals) {
    test(`refuses ${title}`, () => {
      expect(() => parseAcls(acls)).toThrow(AclsError);
      expect(() => parseAcls(acls)).toThrow(message);
    });
  }

  test("accepts Mesos actions this master does not check, and names them", () => {
    expect(parseAcls({ reserve_resources: [{ principals: ANY, roles: ANY }], update_weights: [] }).unenforced).toEqual(["reserve_resources"]);
  });
});
