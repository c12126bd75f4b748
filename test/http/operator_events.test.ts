// Proves the operator API's SUBSCRIBE on an in-process leader: SUBSCRIBED with the whole state first, then TASK_ADDED, TASK_UPDATED (only when the state changes), AGENT_ADDED, AGENT_REMOVED, FRAMEWORK_ADDED, FRAMEWORK_UPDATED and FRAMEWORK_REMOVED as they happen (AGENT_REMOVED also for an unreachable agent), HEARTBEAT on the interval, the --max_operator_event_stream_subscribers bound (the oldest stream is closed) and the subscribers gauge.
import { afterEach, expect, test } from "bun:test";
import { createApp } from "../../http/app.ts";
import type { TaskState } from "../../host/agent/task_protocol.ts";
import type { SchedulerEvent } from "../../host/master/frameworks/types.ts";
import { deactivateAgent } from "../../host/master/agent_operator.ts";
import { Master } from "../../host/master/master.ts";
import { EventReader } from "../helpers/frameworks.ts";
import { FakeClock, FakeConnection, leaderWithAgent, registerMessage, reregisterMessage, settle } from "../helpers/master_agents.ts";
import { launch, RecordingStream, taskInfo, uuid } from "../helpers/master_tasks.ts";

const masters: Master[] = [];
const readers: EventReader[] = [];
afterEach(async () => {
  await Promise.all(readers.splice(0).map((r) => r.cancel()));
  masters.splice(0).forEach((m) => m.stop());
});

type App = ReturnType<typeof createApp>;

async function subscribe(app: App, headers: Record<string, string> = {}): Promise<{ response: Response; reader: EventReader }> {
  const response = await app.handle(new Request("http://localhost/api/v1", {
    method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ type: "SUBSCRIBE" }),
  }));
  const reader = new EventReader(response.body!);
  readers.push(reader);
  return { response, reader };
}

/** Events up to and including the first of `type` (skipping HEARTBEAT). */
async function until(reader: EventReader, type: string): Promise<SchedulerEvent[]> {
  const seen: SchedulerEvent[] = [];
  for (;;) {
    const event = await reader.next();
    if (event === null) throw new Error(`the stream ended before ${type}; saw ${seen.map((e) => e.type).join(", ")}`);
    if (event.type === "HEARTBEAT") continue;
    seen.push(event);
    if (event.type === type) return seen;
  }
}

const runningUpdate = (framework_id: string, task_id: string, n: number, state: TaskState = "TASK_RUNNING") => ({
  type: "STATUS_UPDATE" as const,
  update: { framework_id: { value: framework_id }, status: { task_id: { value: task_id }, state, uuid: uuid(n), timestamp: n }, timestamp: n, uuid: uuid(n) },
});

test("SUBSCRIBED carries the state; tasks, agents and frameworks are streamed as they change", async () => {
  const clock = new FakeClock();
  const { master, conn, agent_id } = await leaderWithAgent([], { agent_clock: clock, framework_clock: clock }, masters);
  const app = createApp(master);
  const { response, reader } = await subscribe(app);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("application/json");
  const subscribed = (await reader.next())!;
  expect(subscribed.type).toBe("SUBSCRIBED");
  const first = subscribed.subscribed as any;
  expect(first.heartbeat_interval_seconds).toBe(15);
  expect(first.get_state.get_agents.agents.map((a: any) => a.agent_info.id.value)).toEqual([agent_id]);
  expect(first.get_state.get_tasks).toEqual({});

  const scheduler = new RecordingStream();
  const framework = master.frameworks.subscribe({ name: "web", roles: ["*"], capabilities: [{ type: "MULTI_ROLE" }] } as never, [], scheduler)!;
  const added = (await until(reader, "FRAMEWORK_ADDED")).at(-1)!.framework_added as any;
  expect(added.framework).toMatchObject({ framework_info: { id: { value: framework.id }, name: "web" }, active: true, connected: true });

  master.tasks.allocate();
  const offer = scheduler.offers()[0]!.id.value;
  expect(master.tasks.accept(framework, [offer], [launch(taskInfo("T1", agent_id, 0.5, 64))])).toBeNull();
  const task = ((await until(reader, "TASK_ADDED")).at(-1)!.task_added as any).task;
  expect(task).toMatchObject({ task_id: { value: "T1" }, framework_id: { value: framework.id }, agent_id: { value: agent_id }, state: "TASK_STAGING" });

  master.agents.receive(conn, runningUpdate(framework.id, "T1", 1));
  master.agents.receive(conn, runningUpdate(framework.id, "T1", 2)); // the same state again: no event
  master.agents.receive(conn, runningUpdate(framework.id, "T1", 3, "TASK_FINISHED"));
  const updates = [await until(reader, "TASK_UPDATED"), await until(reader, "TASK_UPDATED")].map((e) => e.at(-1)!.task_updated as any);
  expect(updates.map((u) => [u.framework_id.value, u.status.task_id.value, u.status.state, u.state])).toEqual([
    [framework.id, "T1", "TASK_RUNNING", "TASK_RUNNING"],
    [framework.id, "T1", "TASK_FINISHED", "TASK_FINISHED"],
  ]);

  const second = new FakeConnection("10.0.0.1:40000");
  master.agents.receive(second, registerMessage(1));
  await settle();
  const agent = ((await until(reader, "AGENT_ADDED")).at(-1)!.agent_added as any).agent;
  const second_id = agent.agent_info.id.value;
  expect(agent).toMatchObject({ active: true, deactivated: false, pid: "slave(1)@10.0.0.1:5051" });
  master.agents.receive(second, { type: "UNREGISTER_SLAVE", slave_id: { value: second_id } });
  await settle();
  expect(((await until(reader, "AGENT_REMOVED")).at(-1)!.agent_removed as any).agent_id).toEqual({ value: second_id });

  const again = new RecordingStream();
  master.frameworks.subscribe({ name: "web", id: { value: framework.id }, roles: ["*"], capabilities: [{ type: "MULTI_ROLE" }] } as never, [], again);
  expect(((await until(reader, "FRAMEWORK_UPDATED")).at(-1)!.framework_updated as any).framework.framework_info.id.value).toBe(framework.id);
  expect(master.frameworks.teardown(framework.id)).toBe(true);
  const removed = (await until(reader, "FRAMEWORK_REMOVED")).at(-1)!.framework_removed as any;
  expect(removed.framework_info).toMatchObject({ id: { value: framework.id }, name: "web" });
});

test("HEARTBEAT comes every interval; a client that goes away is no longer a subscriber", async () => {
  const clock = new FakeClock();
  const { master } = await leaderWithAgent([], { agent_clock: clock, framework_clock: clock }, masters);
  const app = createApp(master);
  const { reader } = await subscribe(app);
  expect((await reader.next())!.type).toBe("SUBSCRIBED");
  await clock.advance(15_000);
  expect((await reader.next())!.type).toBe("HEARTBEAT");
  await clock.advance(15_000);
  expect((await reader.next())!.type).toBe("HEARTBEAT");
  const gauge = () => master.metrics.snapshot()["master/operator_event_stream_subscribers"];
  expect(gauge()).toBe(1);
  await reader.cancel();
  await settle();
  expect(gauge()).toBe(0);
});

test("beyond --max_operator_event_stream_subscribers the oldest stream is closed; 0 refuses SUBSCRIBE with 503", async () => {
  const { master } = await leaderWithAgent(["--max_operator_event_stream_subscribers=2"], {}, masters);
  const app = createApp(master);
  const streams = [await subscribe(app), await subscribe(app), await subscribe(app)];
  for (const { reader } of streams) expect((await reader.next())!.type).toBe("SUBSCRIBED");
  expect(await streams[0]!.reader.next()).toBeNull();
  expect(master.metrics.snapshot()["master/operator_event_stream_subscribers"]).toBe(2);
  const second = new FakeConnection("10.0.0.1:40000");
  master.agents.receive(second, registerMessage(1));
  await settle();
  for (const { reader } of streams.slice(1)) expect((await reader.next())!.type).toBe("AGENT_ADDED");

  const { master: none } = await leaderWithAgent(["--max_operator_event_stream_subscribers=0"], {}, masters);
  const refused = await createApp(none).handle(new Request("http://localhost/api/v1", {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ type: "SUBSCRIBE" }),
  }));
  expect(refused.status).toBe(503);
  expect(await refused.text()).toContain("disabled");
});

test("SUBSCRIBE whose Accept allows neither JSON nor protobuf is 406, and the stream is not opened (protobuf streams: operator_protobuf.test.ts)", async () => {
  const { master } = await leaderWithAgent([], {}, masters);
  const response = await createApp(master).handle(new Request("http://localhost/api/v1", {
    method: "POST", headers: { "content-type": "application/json", accept: "text/event-stream" }, body: JSON.stringify({ type: "SUBSCRIBE" }),
  }));
  expect(response.status).toBe(406);
  expect(master.operator_events.size).toBe(0);
});

test("an agent marked unreachable is AGENT_REMOVED (beyond Mesos, which sends it only on removal); re-registered, it is AGENT_ADDED again", async () => {
  const clock = new FakeClock();
  const { master, agent_id } = await leaderWithAgent([], { agent_clock: clock, framework_clock: clock }, masters);
  const { reader } = await subscribe(createApp(master));
  expect((await reader.next())!.type).toBe("SUBSCRIBED");
  const info = master.agents.registered.get(agent_id)!.info;
  expect(await deactivateAgent(master.agents, agent_id)).toMatchObject({ status: 200 });
  expect(await master.agents.markUnreachable(info, false, "health check timed out")).toBe(true);
  expect(((await until(reader, "AGENT_REMOVED")).at(-1)!.agent_removed as any).agent_id).toEqual({ value: agent_id });
  master.agents.receive(new FakeConnection(), reregisterMessage(0, agent_id));
  await settle();
  const added = (await until(reader, "AGENT_ADDED")).at(-1)!.agent_added as any;
  expect(added.agent.agent_info.id).toEqual({ value: agent_id });
  expect(added.agent.reregistered_time).toBeDefined();
  expect([added.agent.active, added.agent.deactivated]).toEqual([false, true]); // still deactivated by the operator
});
