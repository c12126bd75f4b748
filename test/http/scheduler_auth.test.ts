// Proves framework authentication on /api/v1/scheduler: without Basic credentials SUBSCRIBE is 401 in realm mesos-master-scheduler (also under --authenticate_frameworks), FrameworkInfo.principal must equal the authenticated one (else 400 with Mesos's text) and defaults to it, another principal's SUBSCRIBE with a framework's id is refused with ERROR and leaves the owner connected, TEARDOWN and other calls on another principal's framework are refused and change nothing, register_frameworks refuses a role, and without authentication a re-subscription may still not change the principal.
import { describe, expect, test } from "bun:test";
import { useMasters } from "../helpers/http.ts";
import { callAs, schedulerCallAs, securedFlags, subscribeAs } from "../helpers/secured.ts";

const FRAMEWORK_AUTH = ["--authenticate_http_frameworks", "--http_framework_authenticators=basic"];
const { recoveredLeader } = useMasters();
const secured = (acls?: Record<string, unknown>) => recoveredLeader(securedFlags(acls, FRAMEWORK_AUTH));
const INFO = { user: "alice", name: "auth-test" };

describe("authentication of frameworks", () => {
  test.each([[FRAMEWORK_AUTH], [["--authenticate_frameworks"]]])("SUBSCRIBE without credentials is 401 (%p)", async (realms) => {
    const { app } = await recoveredLeader(securedFlags(undefined, realms));
    const answer = await callAs(app, null, "POST", "/api/v1/scheduler", { type: "SUBSCRIBE", subscribe: { framework_info: INFO } }, { "content-type": "application/json" });
    expect([answer.status, answer.headers.get("www-authenticate")]).toEqual([401, 'Basic realm="mesos-master-scheduler"']);
    expect((await subscribeAs(app, "fw1", INFO)).first?.type).toBe("SUBSCRIBED");
  });

  test("FrameworkInfo.principal must be the authenticated one, and defaults to it", async () => {
    const { app, master } = await secured();
    const mismatch = await subscribeAs(app, "fw1", { ...INFO, principal: "fw2" });
    expect([mismatch.status, mismatch.text]).toEqual([400, "Failed to validate scheduler::Call: Authenticated principal 'fw1' does not match principal 'fw2' set in `FrameworkInfo`"]);
    const subscribed = await subscribeAs(app, "fw1", INFO);
    expect(master.frameworks.get(subscribed.id!)?.info.principal).toBe("fw1");
  });
});

describe("takeover by another principal", () => {
  test("SUBSCRIBE with another principal's framework id is refused; the owner stays subscribed", async () => {
    const { app, master } = await secured();
    const owner = await subscribeAs(app, "fw1", INFO);
    const id = owner.id!;
    const takeover = await subscribeAs(app, "fw2", { ...INFO, id: { value: id } });
    expect(takeover.first).toEqual({ type: "ERROR", error: { message: "Changing framework's principal is not allowed." } });
    const claiming = await subscribeAs(app, "fw2", { ...INFO, id: { value: id }, principal: "fw1" });
    expect(claiming.status).toBe(400);
    const framework = master.frameworks.get(id)!;
    expect([framework.info.principal, framework.stream?.stream_id, master.frameworks.connected(framework)]).toEqual(["fw1", owner.stream_id!, true]);
    // The owner itself may fail over.
    expect((await subscribeAs(app, "fw1", { ...INFO, id: { value: id } })).first?.type).toBe("SUBSCRIBED");
  });

  test("TEARDOWN, KILL and other calls on another principal's framework are refused, even with its stream id", async () => {
    const { app, master } = await secured();
    const owner = await subscribeAs(app, "fw1", INFO);
    const text = "Authenticated principal 'fw2' does not match principal 'fw1' set in `FrameworkInfo`";
    for (const [type, message] of [["TEARDOWN", undefined], ["KILL", { task_id: { value: "t1" } }], ["REVIVE", undefined], ["DECLINE", { offer_ids: [] }]] as const) {
      const answer = await schedulerCallAs(app, "fw2", owner.id!, owner.stream_id!, type, message);
      expect({ type, status: answer.status, text: answer.text }).toEqual({ type, status: 400, text });
    }
    expect((await schedulerCallAs(app, null, owner.id!, owner.stream_id!, "TEARDOWN")).status).toBe(401);
    expect(master.frameworks.get(owner.id!)).toBeDefined();
    expect((await schedulerCallAs(app, "fw1", owner.id!, owner.stream_id!, "TEARDOWN")).status).toBe(202);
    expect(master.frameworks.get(owner.id!)).toBeUndefined();
  });
});

describe("authorization and the unauthenticated case", () => {
  test("register_frameworks refuses a role the principal may not use, with Mesos's ERROR", async () => {
    const { app, master } = await secured({ permissive: false, register_frameworks: [{ principals: { values: ["fw1"] }, roles: { values: ["prod"] } }, { principals: { type: "ANY" }, roles: { values: ["dev"] } }] });
    const multi = (roles: string[]) => ({ ...INFO, roles, capabilities: [{ type: "MULTI_ROLE" }] });
    expect((await subscribeAs(app, "fw1", multi(["prod"]))).first?.type).toBe("SUBSCRIBED");
    const refused = await subscribeAs(app, "fw2", multi(["prod", "dev"]));
    expect(refused.first).toEqual({ type: "ERROR", error: { message: "Not authorized to register framework  with roles { dev, prod }" } });
    expect(master.frameworks.registered.size).toBe(1);
  });

  test("without authentication a re-subscription still may not change the principal", async () => {
    const { app } = await recoveredLeader();
    const owner = await subscribeAs(app, null, { ...INFO, principal: "fw1" });
    const takeover = await subscribeAs(app, null, { ...INFO, id: { value: owner.id! }, principal: "fw2" });
    expect(takeover.first).toEqual({ type: "ERROR", error: { message: "Changing framework's principal is not allowed." } });
  });
});
