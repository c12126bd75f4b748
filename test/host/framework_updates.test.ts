// Proves, on an in-process leader with its real task side, what a scheduler changes about itself: re-subscribing over a stream that is still open withdraws the old stream's offers and offers the resources again on the new one (Mesos's failoverFramework), and UPDATE_FRAMEWORK answers 200, moves the framework to its new roles (offers in a role it left are rescinded) and tells operators with FRAMEWORK_UPDATED.
import { afterEach, expect, test } from "bun:test";
import { createApp } from "../../http/app.ts";
import type { SchedulerEvent } from "../../host/master/frameworks/types.ts";
import type { Master } from "../../host/master/master.ts";
import { EventReader } from "../helpers/frameworks.ts";
import { FakeClock, leaderWithAgent } from "../helpers/master_agents.ts";
import { RecordingStream } from "../helpers/master_tasks.ts";

const masters: Master[] = [];
const readers: EventReader[] = [];
afterEach(async () => {
  await Promise.all(readers.splice(0).map((r) => r.cancel()));
  masters.splice(0).forEach((m) => m.stop());
});

const INFO = { user: "alice", name: "web", capabilities: [{ type: "MULTI_ROLE" }], failover_timeout: 60 };
const cpusOf = (offer: { resources: { name?: unknown; scalar?: unknown }[] }) => (offer.resources.find((r) => r.name === "cpus")!.scalar as { value: number }).value;

async function leader() {
  const clock = new FakeClock();
  const { master } = await leaderWithAgent([], { agent_clock: clock, framework_clock: clock }, masters);
  return { master, app: createApp(master) };
}

test("re-subscribing over an open stream: the old stream's offers are withdrawn, the resources offered again on the new stream", async () => {
  const { master } = await leader();
  const first = new RecordingStream();
  const framework = master.frameworks.subscribe({ ...INFO, roles: ["*"] } as never, [], first)!;
  master.tasks.allocate();
  const offered = first.offers();
  expect(offered).toHaveLength(1);
  const second = new RecordingStream();
  master.frameworks.subscribe({ ...INFO, roles: ["*"], id: { value: framework.id } } as never, [], second);
  expect(first.closed).toBe(true);
  expect(master.metrics.snapshot()["master/outstanding_offers"]).toBe(0);
  master.tasks.allocate();
  expect(second.offers().map(cpusOf)).toEqual(offered.map(cpusOf)); // the whole agent again, not what was left
});

async function post(app: ReturnType<typeof createApp>, body: unknown, headers: Record<string, string> = {}) {
  const response = await app.handle(new Request("http://localhost/api/v1/scheduler", {
    method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body),
  }));
  return { status: response.status, text: await response.text() };
}

async function nextOf(reader: EventReader, type: string): Promise<SchedulerEvent> {
  for (;;) {
    const event = await reader.next();
    if (event === null) throw new Error(`the stream ended before ${type}`);
    if (event.type === type) return event;
  }
}

test("UPDATE_FRAMEWORK: 200; offers in a role the framework left are rescinded, the new role is offered; operators see FRAMEWORK_UPDATED", async () => {
  const { master, app } = await leader();
  const response = await app.handle(new Request("http://localhost/api/v1/scheduler", {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ type: "SUBSCRIBE", subscribe: { framework_info: { ...INFO, roles: ["a"] } } }),
  }));
  const events = new EventReader(response.body!);
  readers.push(events);
  const stream_id = response.headers.get("mesos-stream-id")!;
  const id = ((await nextOf(events, "SUBSCRIBED")).subscribed as { framework_id: { value: string } }).framework_id.value;
  const operator = new EventReader((await app.handle(new Request("http://localhost/api/v1", {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ type: "SUBSCRIBE" }),
  }))).body!);
  readers.push(operator);
  master.tasks.allocate();
  const offer = ((await nextOf(events, "OFFERS")).offers as { offers: { id: { value: string }; allocation_info: { role: string } }[] }).offers[0]!;
  expect(offer.allocation_info.role).toBe("a");

  const update = { type: "UPDATE_FRAMEWORK", framework_id: { value: id }, update_framework: { framework_info: { ...INFO, id: { value: id }, roles: ["b"] } } };
  expect(await post(app, update, { "mesos-stream-id": stream_id })).toEqual({ status: 200, text: "" });
  expect((await nextOf(events, "RESCIND")).rescind).toEqual({ offer_id: offer.id });
  const updated = (await nextOf(operator, "FRAMEWORK_UPDATED")).framework_updated as { framework: { framework_info: { roles: string[] } } };
  expect(updated.framework.framework_info.roles).toEqual(["b"]);
  master.tasks.allocate();
  const next = ((await nextOf(events, "OFFERS")).offers as { offers: { allocation_info: { role: string } }[] }).offers[0]!;
  expect(next.allocation_info.role).toBe("b");
  expect(master.frameworks.get(id)!.roles).toEqual(["b"]);
});
