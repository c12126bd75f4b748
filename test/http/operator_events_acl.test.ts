// Proves the operator API's SUBSCRIBE under --acls: each subscriber's SUBSCRIBED state holds only the frameworks, tasks and agents its principal may view (view_frameworks, view_tasks, view_agents), and the events that follow are filtered the same way (AGENT_ADDED, TASK_UPDATED), while an allowed principal sees everything.
import { afterEach, expect, test } from "bun:test";
import { createApp } from "../../http/app.ts";
import type { SchedulerEvent } from "../../host/master/frameworks/types.ts";
import type { Master } from "../../host/master/master.ts";
import { EventReader } from "../helpers/frameworks.ts";
import { FakeClock, FakeConnection, leaderWithAgent, registerMessage, settle } from "../helpers/master_agents.ts";
import { launch, RecordingStream, taskInfo, uuid } from "../helpers/master_tasks.ts";
import { basic, securedFlags, USERS } from "../helpers/secured.ts";

const masters: Master[] = [];
const readers: EventReader[] = [];
afterEach(async () => {
  await Promise.all(readers.splice(0).map((r) => r.cancel()));
  masters.splice(0).forEach((m) => m.stop());
});

const alice = { values: ["alice"] };
const bob = { values: ["bob"] };
const ANY = { type: "ANY" };
const ACLS = {
  permissive: false,
  register_frameworks: [{ principals: ANY, roles: ANY }],
  run_tasks: [{ principals: ANY, users: ANY }],
  view_frameworks: [{ principals: alice, users: ANY }, { principals: bob, users: { values: ["bob-user"] } }],
  view_tasks: [{ principals: alice, users: ANY }, { principals: bob, users: { values: ["bob-user"] } }],
  view_agents: [{ principals: alice, agents: ANY }, { principals: bob, agents: { type: "NONE" } }],
};

async function subscribeAs(app: ReturnType<typeof createApp>, who: "alice" | "bob"): Promise<EventReader> {
  const headers = { "content-type": "application/json", authorization: basic(who, USERS[who]) };
  const response = await app.handle(new Request("http://localhost/api/v1", { method: "POST", headers, body: JSON.stringify({ type: "SUBSCRIBE" }) }));
  expect(response.status).toBe(200);
  const reader = new EventReader(response.body!);
  readers.push(reader);
  return reader;
}

/** The next event that is not a HEARTBEAT. */
async function next(reader: EventReader): Promise<SchedulerEvent> {
  for (;;) {
    const event = await reader.next();
    if (event === null) throw new Error("the stream ended");
    if (event.type !== "HEARTBEAT") return event;
  }
}

/** A leader with agent 0, framework A (user alice-user) running TA and framework B (user bob-user) running TB. */
async function cluster() {
  const clock = new FakeClock();
  const { master, conn, agent_id } = await leaderWithAgent(securedFlags(ACLS), { agent_clock: clock, framework_clock: clock }, masters);
  const start = (name: string, user: string, task: string) => {
    const scheduler = new RecordingStream();
    const framework = master.frameworks.subscribe({ name, user, roles: ["*"], capabilities: [{ type: "MULTI_ROLE" }] } as never, [], scheduler)!;
    master.tasks.allocate();
    // A's remainder is filtered for 5 s, so the second round offers it to B.
    expect(master.tasks.accept(framework, [scheduler.offers().at(-1)!.id.value], [launch(taskInfo(task, agent_id, 0.5, 64))])).toBeNull();
    return framework;
  };
  const a = start("A", "alice-user", "TA");
  const b = start("B", "bob-user", "TB");
  return { master, app: createApp(master), conn, agent_id, a, b };
}

const running = (framework_id: string, task_id: string, n: number) => ({
  type: "STATUS_UPDATE" as const,
  update: { framework_id: { value: framework_id }, status: { task_id: { value: task_id }, state: "TASK_RUNNING" as const, uuid: uuid(n), timestamp: n }, timestamp: n, uuid: uuid(n) },
});

test("SUBSCRIBED shows each principal what it may view", async () => {
  const { app, agent_id, a, b } = await cluster();
  const snapshot = async (who: "alice" | "bob") => {
    const state = ((await next(await subscribeAs(app, who))).subscribed as any).get_state;
    return {
      frameworks: (state.get_frameworks.frameworks ?? []).map((f: any) => f.framework_info.id.value).sort(),
      tasks: (state.get_tasks.tasks ?? []).map((t: any) => t.task_id.value).sort(),
      agents: state.get_agents.agents.map((x: any) => x.agent_info.id.value),
    };
  };
  expect(await snapshot("alice")).toEqual({ frameworks: [a.id, b.id].sort(), tasks: ["TA", "TB"], agents: [agent_id] });
  expect(await snapshot("bob")).toEqual({ frameworks: [b.id], tasks: ["TB"], agents: [] });
});

test("events after SUBSCRIBED are filtered the same way: bob gets only his framework's task update", async () => {
  const { master, app, conn, a, b } = await cluster();
  const [forAlice, forBob] = [await subscribeAs(app, "alice"), await subscribeAs(app, "bob")];
  for (const reader of [forAlice, forBob]) expect((await next(reader)).type).toBe("SUBSCRIBED");
  master.agents.receive(new FakeConnection("10.0.0.1:40000"), registerMessage(1));
  await settle();
  master.agents.receive(conn, running(a.id, "TA", 1));
  master.agents.receive(conn, running(b.id, "TB", 2));
  await settle();
  const describe = (e: SchedulerEvent) => (e.type === "TASK_UPDATED" ? `TASK_UPDATED ${(e.task_updated as any).status.task_id.value}` : e.type);
  const seen = async (reader: EventReader, count: number) => {
    const out: string[] = [];
    for (let i = 0; i < count; i++) out.push(describe(await next(reader)));
    return out;
  };
  expect(await seen(forAlice, 3)).toEqual(["AGENT_ADDED", "TASK_UPDATED TA", "TASK_UPDATED TB"]);
  expect(await seen(forBob, 1)).toEqual(["TASK_UPDATED TB"]);
});
