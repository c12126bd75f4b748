// Proves the example framework's heartbeat watchdog (mesos-spec §6.5) against a fake master that answers SUBSCRIBED with a 0.1 s heartbeat interval: HEARTBEATs keep the subscription, and once the master goes silent (a hung leader: its socket stays open) the framework drops the connection and re-subscribes with its framework id, then reconciles.
import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { until } from "../helpers/agents.ts";
import { type Running, start } from "../helpers/process.ts";

setDefaultTimeout(30_000);

const HEARTBEAT_INTERVAL_S = 0.1;
const FRAMEWORK_ID = "fake-master-0000";

type Json = Record<string, any>;

const cleanup: (() => void)[] = [];
afterEach(() => cleanup.splice(0).forEach((stop) => stop()));

const record = (event: Json) => {
  const json = JSON.stringify(event);
  return new TextEncoder().encode(`${Buffer.byteLength(json)}\n${json}`);
};

/**
 * A scheduler endpoint that records each call with its Mesos-Stream-Id; each SUBSCRIBE gets
 * SUBSCRIBED, then `heartbeats` HEARTBEATs one interval apart, then silence with the stream open.
 */
function fakeMaster(heartbeats: number) {
  const calls: { type: string; body: Json; stream_id: string | null }[] = [];
  /** Per subscription: when its heartbeats stopped, and when the framework dropped it. */
  const streams: { silent_ms: number | null; dropped_ms: number | null }[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0, // a silent stream must stay open for as long as the framework wants it
    fetch: async (request) => {
      const body = (await request.json()) as Json;
      calls.push({ type: body.type, body, stream_id: request.headers.get("mesos-stream-id") });
      if (body.type !== "SUBSCRIBE") return new Response(null, { status: 202 });
      const stream = { silent_ms: null as number | null, dropped_ms: null as number | null };
      streams.push(stream);
      request.signal.addEventListener("abort", () => (stream.dropped_ms = Date.now()));
      const events = new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(record({ type: "SUBSCRIBED", subscribed: { framework_id: { value: FRAMEWORK_ID }, heartbeat_interval_seconds: HEARTBEAT_INTERVAL_S } }));
          for (let i = 0; i < heartbeats && stream.dropped_ms === null; i++) {
            await Bun.sleep(HEARTBEAT_INTERVAL_S * 1000);
            controller.enqueue(record({ type: "HEARTBEAT" }));
          }
          stream.silent_ms = Date.now(); // and never closes
        },
      });
      const headers = { "content-type": "application/json", "mesos-stream-id": `stream-${streams.length}` };
      return new Response(events, { status: 200, headers });
    },
  });
  cleanup.push(() => server.stop(true));
  return { address: `127.0.0.1:${server.port}`, calls, streams };
}

function exampleFramework(master: string): Running {
  const root = join(import.meta.dir, "..", "..");
  const example = start([process.execPath, join(root, "scripts", "example_framework.ts"), `--master=${master}`, "--tasks", "1", "--timeout-s=30"], { cwd: root });
  cleanup.push(() => example.kill("SIGKILL"));
  return example;
}

test("HEARTBEATs for twice the silence limit keep the subscription; silence then drops it, and the framework re-subscribes with its id and reconciles", async () => {
  // 10 heartbeats over 1 s: twice the 0.5 s (5 intervals) the framework waits before dropping.
  const master = fakeMaster(10);
  const example = exampleFramework(master.address);
  await until(() => master.calls.length >= 3, "a second SUBSCRIBE and its RECONCILE at the fake master", 20_000);
  const [first, second, reconcile] = master.calls;
  expect(first!.body).toEqual({ type: "SUBSCRIBE", subscribe: { framework_info: expect.not.objectContaining({ id: expect.anything() }) } });
  // The same call as after a broken stream: the id in the call and in framework_info, no stream id.
  expect(second!.body).toMatchObject({ type: "SUBSCRIBE", framework_id: { value: FRAMEWORK_ID }, subscribe: { framework_info: { id: { value: FRAMEWORK_ID } } } });
  expect(second!.stream_id).toBeNull();
  expect(reconcile!.body).toEqual({ type: "RECONCILE", framework_id: { value: FRAMEWORK_ID }, reconcile: { tasks: [] } });
  expect(reconcile!.stream_id).toBe("stream-2");
  // The first stream was dropped by the framework (the master never closed it), only after its heartbeats stopped.
  const dropped = master.streams[0]!;
  expect(dropped.silent_ms).not.toBeNull();
  expect(dropped.dropped_ms).not.toBeNull();
  expect(dropped.dropped_ms!).toBeGreaterThanOrEqual(dropped.silent_ms!);
  expect(example.stderr()).toContain("heartbeat intervals): dropping the connection");
  expect(example.stderr().match(/subscribed as fake-master-0000 on /g)).toHaveLength(2);
});
