// Proves the frameworks service on a fake clock with a TaskService double: ids <master id>-NNNN, SUBSCRIBED then HEARTBEATs, refusals as ERROR, failover of a connected framework, failover_timeout removal (and its cancellation by a re-subscription), recovered frameworks, TEARDOWN, completed bounds, metrics, bounded streams and RecordIO.
import { describe, expect, test } from "bun:test";
import { HttpEventStream } from "../../host/master/frameworks/event_stream.ts";
import { validateFrameworkInfo } from "../../host/master/frameworks/framework_info.ts";
import { validateRole } from "../../host/master/weights.ts";
import { Frameworks } from "../../host/master/frameworks/frameworks.ts";
import { encodeRecord, RecordIODecoder } from "../../host/master/frameworks/recordio.ts";
import { makeMasterInfo } from "../../host/master/info.ts";
import { Metrics } from "../../host/metrics.ts";
import { FakeClock } from "../helpers/master_agents.ts";
import { EventReader, FakeStream, RecordingTasks } from "../helpers/frameworks.ts";

function service(options: { max_completed?: number; events_max?: number } = {}) {
  const clock = new FakeClock();
  const tasks = new RecordingTasks();
  const metrics = new Metrics();
  const info = makeMasterInfo("127.0.0.1", 5050, "m1.example.com");
  const frameworks = new Frameworks({
    master_info: info, metrics, clock, tasks, heartbeat_interval_ms: 15_000,
    max_completed_frameworks: options.max_completed ?? 50, stream_events_max: options.events_max ?? 100,
  });
  return { clock, tasks, metrics, info, frameworks };
}

const INFO = { user: "alice", name: "test-framework" };
const gauges = (metrics: Metrics) => {
  const s = metrics.snapshot();
  return [s["master/frameworks_connected"], s["master/frameworks_disconnected"], s["master/frameworks_active"], s["master/frameworks_inactive"]];
};

describe("subscription", () => {
  test("a new framework gets <master id>-0000, -0001...; SUBSCRIBED first, then a HEARTBEAT every interval", async () => {
    const { clock, tasks, metrics, info, frameworks } = service();
    const a = new FakeStream();
    const first = frameworks.subscribe({ ...INFO }, [], a)!;
    const second = frameworks.subscribe({ ...INFO }, [], new FakeStream())!;
    expect([first.id, second.id]).toEqual([`${info.id}-0000`, `${info.id}-0001`]);
    expect(a.events[0]).toEqual({
      type: "SUBSCRIBED", subscribed: { framework_id: { value: first.id }, heartbeat_interval_seconds: 15, master_info: info },
    });
    expect(first.info.id).toEqual({ value: first.id });
    expect(first.active).toBe(true);
    await clock.advance(45_000);
    expect(a.types()).toEqual(["SUBSCRIBED", "HEARTBEAT", "HEARTBEAT", "HEARTBEAT"]);
    expect(tasks.names()).toEqual(["frameworkActivated", "frameworkActivated"]);
    expect(metrics.snapshot()["master/messages_register_framework"]).toBe(2);
    expect(gauges(metrics)).toEqual([2, 0, 2, 0]);
  });

  test("roles and PARTITION_AWARE come from the FrameworkInfo; suppressed roles from the call", () => {
    const { frameworks } = service();
    const multi = frameworks.subscribe({ ...INFO, roles: ["a", "b/c"], capabilities: [{ type: "MULTI_ROLE" }, { type: "PARTITION_AWARE" }] }, ["a"], new FakeStream())!;
    expect([multi.roles, multi.partition_aware, [...multi.suppressed]]).toEqual([["a", "b/c"], true, ["a"]]);
    const single = frameworks.subscribe({ ...INFO, role: "web" }, [], new FakeStream())!;
    expect([single.roles, single.partition_aware]).toEqual([["web"], false]);
    expect(frameworks.subscribe({ ...INFO }, [], new FakeStream())!.roles).toEqual(["*"]);
  });

  test("an invalid FrameworkInfo is refused with ERROR on the stream, which closes", () => {
    const { frameworks, tasks } = service();
    const cases: [Record<string, unknown>, string[], string][] = [
      [{ role: "a", capabilities: [{ type: "MULTI_ROLE" }] }, [], "'FrameworkInfo.role' must not be set when the framework is MULTI_ROLE capable"],
      [{ roles: ["a"] }, [], "'FrameworkInfo.roles' must not be set when the framework is not MULTI_ROLE capable"],
      [{ roles: ["a", "a"], capabilities: [{ type: "MULTI_ROLE" }] }, [], "'FrameworkInfo.roles' contains duplicate items: { a }"],
      [{ role: "-x" }, [], "'FrameworkInfo.role' is not a valid role: Role component '-x' is invalid because it starts with a dash"],
      [{ failover_timeout: 1e12 }, [], "The framework failover_timeout (1000000000000) is invalid"],
      [{ id: { value: "a/b" } }, [], "'a/b' contains invalid characters"],
      [{ role: "a" }, ["b"], "Suppressed roles { b } are not contained in the set of roles"],
    ];
    for (const [extra, suppressed, message] of cases) {
      const stream = new FakeStream();
      expect(frameworks.subscribe({ ...INFO, ...extra } as never, suppressed, stream)).toBeNull();
      expect([stream.events, stream.closed]).toEqual([[{ type: "ERROR", error: { message } }], true]);
    }
    expect(frameworks.registered.size).toBe(0);
    expect(tasks.calls).toEqual([]);
  });

  test("roles follow common/roles.cpp", () => {
    expect(["*", "a", "a/b", "a.b", "a-b"].map(validateRole)).toEqual([null, null, null, null, null]);
    expect(validateRole("/a")).toBe("Role '/a' cannot start with a slash");
    expect(validateRole("a//b")).toBe("Role 'a//b' cannot contain two adjacent slashes");
    expect(validateRole("a/..")).toBe("Role 'a/..' cannot include '..' as a component");
    expect(validateRole("a b")).toBe("Role component 'a b' is invalid because it contains backspace or whitespace");
    expect(validateRole("")).toBe("Role names cannot be the empty string");
    expect(validateFrameworkInfo({ ...INFO, failover_timeout: 604800 })).toBeNull();
  });
});

describe("failover", () => {
  test("re-subscribing a connected framework: the old stream gets ERROR 'Framework failed over' and closes; the new one SUBSCRIBED", async () => {
    const { clock, frameworks, tasks, metrics } = service();
    const old = new FakeStream();
    const framework = frameworks.subscribe({ ...INFO, failover_timeout: 10 }, [], old)!;
    await clock.advance(1000);
    const fresh = new FakeStream();
    expect(frameworks.subscribe({ ...INFO, name: "renamed", user: "mallory", id: { value: framework.id } }, [], fresh)).toBe(framework);
    expect([old.types(), old.events[1], old.closed]).toEqual([["SUBSCRIBED", "ERROR"], { type: "ERROR", error: { message: "Framework failed over" } }, true]);
    expect(fresh.types()).toEqual(["SUBSCRIBED"]);
    expect(framework.stream).toBe(fresh);
    expect(framework.info.name).toBe("renamed");
    expect(framework.info.user).toBe("alice"); // immutable (preserveImmutableFields)
    expect(framework.reregistered_time).toBe(clock.t);
    expect(framework.registered_time).toBe(clock.t - 1000);
    expect(metrics.snapshot()["master/messages_reregister_framework"]).toBe(1);
    // Heartbeats go to the new stream only.
    await clock.advance(15_000);
    expect([old.types().length, fresh.types()]).toEqual([2, ["SUBSCRIBED", "HEARTBEAT"]]);
    expect(tasks.names()).toEqual(["frameworkActivated", "frameworkFailedOver", "frameworkActivated"]);
  });

  test("a changed principal is refused", () => {
    const { frameworks } = service();
    const framework = frameworks.subscribe({ ...INFO, principal: "p" }, [], new FakeStream())!;
    const stream = new FakeStream();
    expect(frameworks.subscribe({ ...INFO, principal: "q", id: { value: framework.id } }, [], stream)).toBeNull();
    expect(stream.events).toEqual([{ type: "ERROR", error: { message: "Changing framework's principal is not allowed." } }]);
  });

  test("a broken stream deactivates the framework; it is removed after failover_timeout unless it re-subscribes", async () => {
    const { clock, frameworks, tasks, metrics } = service();
    const stream = frameworks.newStream();
    const framework = frameworks.subscribe({ ...INFO, failover_timeout: 60 }, [], stream)!;
    stream.clientGone();
    expect([framework.stream, framework.active]).toEqual([null, false]);
    expect(tasks.names()).toEqual(["frameworkActivated", "frameworkDeactivated"]);
    expect(gauges(metrics)).toEqual([0, 1, 0, 1]);
    await clock.advance(59_000);
    expect(frameworks.get(framework.id)).toBe(framework);
    // Re-subscribing within the timeout cancels the removal.
    const back = frameworks.newStream();
    frameworks.subscribe({ ...INFO, failover_timeout: 60, id: { value: framework.id } }, [], back);
    await clock.advance(120_000);
    expect(frameworks.get(framework.id)).toBe(framework);
    expect(gauges(metrics)).toEqual([1, 0, 1, 0]);
    // Broken again: gone after 60 s.
    back.clientGone();
    await clock.advance(59_999);
    expect(frameworks.get(framework.id)).toBe(framework);
    await clock.advance(1);
    expect(frameworks.get(framework.id)).toBeUndefined();
    expect(frameworks.completed.get(framework.id)).toBe(framework);
    expect(framework.unregistered_time).toBe(clock.t);
    expect(tasks.names().at(-1)).toBe("removeFramework");
    expect(gauges(metrics)).toEqual([0, 0, 0, 0]);
    // A removed framework may not come back.
    const late = new FakeStream();
    expect(frameworks.subscribe({ ...INFO, id: { value: framework.id } }, [], late)).toBeNull();
    expect(late.events).toEqual([{ type: "ERROR", error: { message: "Framework has been removed" } }]);
  });

  test("failover_timeout 0 (the default) removes the framework at once", async () => {
    const { clock, frameworks, tasks } = service();
    const stream = frameworks.newStream();
    const framework = frameworks.subscribe({ ...INFO }, [], stream)!;
    stream.clientGone();
    await clock.advance(0);
    expect(frameworks.get(framework.id)).toBeUndefined();
    expect(tasks.calls.at(-1)).toEqual(["removeFramework", framework.id]);
  });

  test("an id this master does not know (a master failover) is accepted as a recovered framework", () => {
    const { clock, frameworks, tasks, metrics } = service();
    const stream = new FakeStream();
    const framework = frameworks.subscribe({ ...INFO, id: { value: "old-master-0007" } }, [], stream)!;
    expect(framework.id).toBe("old-master-0007");
    expect(stream.events[0]!.subscribed).toMatchObject({ framework_id: { value: "old-master-0007" } });
    expect([framework.registered_time, framework.reregistered_time, frameworks.recovered(framework)]).toEqual([clock.t, clock.t, false]);
    expect(tasks.names()).toEqual(["frameworkActivated"]);
    expect(metrics.snapshot()["master/messages_reregister_framework"]).toBe(1);
  });

  test("recover() (agents re-registering with a framework): inactive, disconnected, recovered, until it subscribes", () => {
    const { frameworks, metrics } = service();
    const framework = frameworks.recover({ ...INFO, id: { value: "f-1" } });
    expect([framework.active, frameworks.connected(framework), frameworks.recovered(framework)]).toEqual([false, false, true]);
    expect(gauges(metrics)).toEqual([0, 1, 0, 1]);
    expect(frameworks.recover({ ...INFO, id: { value: "f-1" } })).toBe(framework);
    frameworks.subscribe({ ...INFO, id: { value: "f-1" } }, [], new FakeStream());
    expect([framework.active, frameworks.connected(framework), frameworks.recovered(framework)]).toEqual([true, true, false]);
  });
});

describe("teardown, completed frameworks, stop", () => {
  test("teardown closes the stream, tells the task side, keeps at most max_completed_frameworks", () => {
    const { frameworks, tasks } = service({ max_completed: 2 });
    const streams = [new FakeStream(), new FakeStream(), new FakeStream()];
    const ids = streams.map((s) => frameworks.subscribe({ ...INFO }, [], s)!.id);
    expect(frameworks.teardown("nope")).toBe(false);
    for (const id of ids) expect(frameworks.teardown(id)).toBe(true);
    expect(streams.map((s) => [s.closed, s.types()])).toEqual(streams.map(() => [true, ["SUBSCRIBED"]]));
    expect([...frameworks.completed.keys()]).toEqual(ids.slice(1));
    expect(tasks.names().filter((n) => n === "removeFramework")).toHaveLength(3);
    expect(frameworks.teardown(ids[0]!)).toBe(false);
  });

  test("send() reaches a connected framework only", () => {
    const { frameworks } = service();
    const stream = new FakeStream();
    const framework = frameworks.subscribe({ ...INFO }, [], stream)!;
    expect(frameworks.send(framework.id, { type: "OFFERS", offers: { offers: [] } })).toBe(true);
    expect(frameworks.send("unknown", { type: "HEARTBEAT" })).toBe(false);
    frameworks.teardown(framework.id);
    expect(frameworks.send(framework.id, { type: "HEARTBEAT" })).toBe(false);
    expect(stream.types()).toEqual(["SUBSCRIBED", "OFFERS"]);
  });

  test("stop() closes every stream and timer; later subscriptions are refused", async () => {
    const { clock, frameworks } = service();
    const stream = frameworks.newStream();
    const framework = frameworks.subscribe({ ...INFO }, [], stream)!;
    frameworks.stop();
    expect([stream.closed, framework.stream]).toEqual([true, null]);
    await clock.advance(60_000);
    expect(frameworks.get(framework.id)).toBe(framework);
    const late = new FakeStream();
    expect(frameworks.subscribe({ ...INFO }, [], late)).toBeNull();
    expect(late.closed).toBe(true);
  });
});

describe("event streams", () => {
  test("one RecordIO record per read; close() still delivers what is queued, then the body ends", async () => {
    const stream = new HttpEventStream();
    stream.send({ type: "HEARTBEAT" });
    stream.send({ type: "ERROR", error: { message: "bye" } });
    stream.close();
    expect(stream.send({ type: "HEARTBEAT" })).toBe(false);
    const reader = new EventReader(stream.body);
    expect(await reader.next()).toEqual({ type: "HEARTBEAT" });
    expect(await reader.next()).toEqual({ type: "ERROR", error: { message: "bye" } });
    expect(await reader.next()).toBeNull();
    expect(reader.chunks.map((c) => new TextDecoder().decode(c))).toEqual(['20\n{"type":"HEARTBEAT"}', '42\n{"type":"ERROR","error":{"message":"bye"}}']);
  });

  test("beyond its bound a stream is cut (queue dropped) and its owner told", async () => {
    const ends: string[] = [];
    const stream = new HttpEventStream({ events_max: 3, onEnd: (_s, why) => ends.push(why) });
    for (let i = 0; i < 3; i++) expect(stream.send({ type: "HEARTBEAT" })).toBe(true);
    expect(stream.send({ type: "HEARTBEAT" })).toBe(false);
    expect([stream.closed, stream.queued, ends]).toEqual([true, 0, ["overflow"]]);
    expect(await new EventReader(stream.body).next()).toBeNull();
    const bytes = new HttpEventStream({ bytes_max: 30, onEnd: (_s, why) => ends.push(why) });
    expect(bytes.send({ type: "HEARTBEAT" })).toBe(true);
    expect(bytes.send({ type: "HEARTBEAT" })).toBe(false);
    expect(ends).toEqual(["overflow", "overflow"]);
  });

  test("a framework whose stream overflows is disconnected", async () => {
    const { frameworks, tasks } = service({ events_max: 2 });
    const stream = frameworks.newStream();
    const framework = frameworks.subscribe({ ...INFO, failover_timeout: 100 }, [], stream)!;
    frameworks.send(framework.id, { type: "HEARTBEAT" });
    expect(frameworks.send(framework.id, { type: "HEARTBEAT" })).toBe(false);
    expect([framework.stream, framework.active]).toEqual([null, false]);
    expect(tasks.names()).toEqual(["frameworkActivated", "frameworkDeactivated"]);
  });

  test("an aborted request or a cancelled body ends the stream", async () => {
    const controller = new AbortController();
    const ends: string[] = [];
    const a = new HttpEventStream({ onEnd: (_s, why) => ends.push(why) });
    a.watch(controller.signal);
    controller.abort();
    const b = new HttpEventStream({ onEnd: (_s, why) => ends.push(why) });
    await b.body.cancel();
    expect([a.closed, b.closed, ends]).toEqual([true, true, ["client gone", "client gone"]]);
  });

  test("RecordIO decoding across arbitrary chunk boundaries; malformed prefixes throw", () => {
    const bytes = new Uint8Array([...encodeRecord('{"a":"é"}'), ...encodeRecord("{}")]);
    for (let split = 0; split <= bytes.length; split++) {
      const decoder = new RecordIODecoder();
      expect([...decoder.decode(bytes.subarray(0, split)), ...decoder.decode(bytes.subarray(split))]).toEqual(['{"a":"é"}', "{}"]);
      expect(decoder.pending()).toBe(0);
    }
    expect(() => new RecordIODecoder().decode(new TextEncoder().encode("x\n{}"))).toThrow("is not a number");
    expect(() => new RecordIODecoder().decode(new TextEncoder().encode("0\n"))).toThrow("out of bounds");
  });
});
