// Proves PeerTransport admits only matching hellos (then AUTH) and closes, counts and never delivers malformed, oversized or codec-refused frames.
// Method: real transports and hand-driven raw WebSocket clients and fake listeners, all on 127.0.0.1.
import { describe, expect, test } from "bun:test";
import { encodeFrame, encodeHello, FrameType, PROTOCOL_VERSION } from "../../host/net/frame.ts";
import { PEER_METRICS, PEER_PATH } from "../../host/net/transport.ts";
import { nonce } from "../../host/security/hmac.ts";
import { bytes, CLUSTER, metric, type Replica, texts, useReplicas, waitFor } from "./helpers.ts";

const { replica, cleanup } = useReplicas();

/** A raw client that speaks our frames by hand; records the close code and reason. */
async function rawClient(port: number) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${PEER_PATH}`);
  ws.binaryType = "arraybuffer";
  const state = { closed: null as null | { code: number; reason: string }, frames: [] as Uint8Array[] };
  ws.onclose = (event) => (state.closed = { code: event.code, reason: event.reason });
  ws.onmessage = (event) => state.frames.push(new Uint8Array(event.data as ArrayBuffer));
  await waitFor("raw client open", () => ws.readyState === WebSocket.OPEN || state.closed !== null);
  return { ws, state };
}

function hello(cluster: string, replica: string, version = PROTOCOL_VERSION): Uint8Array {
  return encodeFrame(FrameType.HELLO, encodeHello({ cluster, replica, authenticates: false, nonce: nonce(), mac: null }), version);
}

/** The AUTH of a dialer without a secret: empty. */
const AUTH = encodeFrame(FrameType.AUTH, new Uint8Array(0));

describe("hello", () => {
  test("two replicas connect in both directions and exchange messages", async () => {
    const a = await replica();
    const b = await replica();
    expect(a.transport.send(b.id, bytes("a->b 1"))).toBe(true);
    expect(b.transport.send(a.id, bytes("b->a 1"))).toBe(true);
    await waitFor("both delivered", () => b.received.length === 1 && a.received.length === 1);
    expect(b.received.map(({ from, text }) => ({ from, text }))).toEqual([{ from: a.id, text: "a->b 1" }]);
    expect(a.received.map(({ from, text }) => ({ from, text }))).toEqual([{ from: b.id, text: "b->a 1" }]);
    await waitFor("both links up", () => metric(a, PEER_METRICS.peers_connected) === 1 && metric(b, PEER_METRICS.inbound_connected) === 1);
    expect(a.transport.peers()).toEqual([{ id: b.id, outbound: "connected", inbound: true, queued_messages: 0, queued_bytes: 0 }]);
    expect(metric(a, PEER_METRICS.hellos_rejected) + metric(b, PEER_METRICS.hellos_rejected)).toBe(0);
  });

  test("a peer in another cluster is refused, counted and told why", async () => {
    const b = await replica();
    const a = await replica({ cluster: "/other-cluster" });
    a.transport.send(b.id, bytes("never"));
    await waitFor("refusal counted", () => metric(b, PEER_METRICS.hellos_rejected) >= 1);
    await waitFor("dialer knows why", () => /closed by peer \(4001: .*cluster '\/other-cluster'/.test(a.transport.peers()[0]?.last_error ?? ""));
    expect(b.received).toEqual([]);
    expect(a.transport.peers()[0]!.outbound).not.toBe("connected");
  });

  test("a hello of another protocol version is refused with a reason naming both versions", async () => {
    const b = await replica();
    const raw = await rawClient(b.port);
    raw.ws.send(hello(CLUSTER, "127.0.0.1:1", PROTOCOL_VERSION + 1));
    await waitFor("closed", () => raw.state.closed !== null);
    expect(raw.state.closed).toEqual({ code: 4001, reason: `protocol version ${PROTOCOL_VERSION + 1}, expected ${PROTOCOL_VERSION}` });
    expect(metric(b, PEER_METRICS.hellos_rejected)).toBe(1);
    expect(b.transport.peers()).toEqual([]);
  });

  test("a replica outside the allowed set is refused, and never dialed", async () => {
    const b = await replica({ allowed: (id) => id === "127.0.0.1:1" });
    const a = await replica();
    a.transport.send(b.id, bytes("never"));
    await waitFor("refusal counted", () => metric(b, PEER_METRICS.hellos_rejected) >= 1);
    await waitFor("dialer knows why", () => /not an allowed master/.test(a.transport.peers()[0]?.last_error ?? ""));
    expect(b.received).toEqual([]);
    // The refusing side does not dial a disallowed peer either: the send is dropped and counted.
    expect(b.transport.send(a.id, bytes("x"))).toBe(false);
    expect(metric(b, PEER_METRICS.send_dropped)).toBe(1);
  });

  test("the dialer refuses an answer from a replica it did not dial", async () => {
    const b = await replica({ id: "127.0.0.1:9" }); // listens on its own port, claims another id
    const a = await replica({ dial: (id) => (id === "127.0.0.1:7" ? `127.0.0.1:${b.port}` : id) });
    a.transport.send("127.0.0.1:7", bytes("never"));
    await waitFor("refusal counted", () => metric(a, PEER_METRICS.hellos_rejected) >= 1);
    expect(a.transport.peers().find((p) => p.id === "127.0.0.1:7")?.last_error).toMatch(/dialed replica 127.0.0.1:7 but 127.0.0.1:9 answered/);
    expect(b.received).toEqual([]);
  });

  test("a connection that never says hello is closed after handshake_timeout_ms", async () => {
    const b = await replica({ handshake_timeout_ms: 100 });
    const raw = await rawClient(b.port);
    await waitFor("closed", () => raw.state.closed !== null);
    expect(raw.state.closed!.code).toBe(4006);
    expect(metric(b, PEER_METRICS.hellos_rejected)).toBe(1);
  });
});

describe("frames after the hello", () => {
  const corruptions: [string, (frame: Uint8Array) => Uint8Array | string, RegExp][] = [
    ["text frame", () => "hello as text", /text frame/],
    ["short frame", (f) => f.subarray(0, 4), /short frame/],
    ["bad length", (f) => f.subarray(0, f.length - 2), /length field/],
    ["bad checksum", (f) => flip(f, f.length - 1), /checksum mismatch/],
    ["unknown type", (f) => withByte(f, 1, 42), /unknown frame type 42/],
    ["wrong version", (f) => withByte(f, 0, 7), /protocol version 7/],
    ["second hello", () => hello(CLUSTER, "127.0.0.1:1"), /second hello/],
    ["second AUTH", () => AUTH, /frame type 4 after the hello/],
  ];
  for (const [name, corrupt, reason] of corruptions) {
    test(`${name}: closes the connection, counted, not delivered`, async () => {
      const b = await replica();
      const raw = await rawClient(b.port);
      raw.ws.send(hello(CLUSTER, "127.0.0.1:1"));
      raw.ws.send(AUTH);
      raw.ws.send(encodeFrame(FrameType.MESSAGE, bytes("good")));
      raw.ws.send(corrupt(encodeFrame(FrameType.MESSAGE, bytes("bad"))));
      raw.ws.send(encodeFrame(FrameType.MESSAGE, bytes("after")));
      await waitFor("closed", () => raw.state.closed !== null);
      expect(raw.state.closed!.code).toBe(4002);
      expect(raw.state.closed!.reason).toMatch(reason);
      expect(metric(b, PEER_METRICS.frames_rejected)).toBe(1);
      expect(texts(b)).toEqual(["good"]);
      // The answer to the hello names the listener.
      expect(raw.state.frames[0]![1]).toBe(FrameType.HELLO);
    });
  }

  test("a payload the codec hook refuses is treated like a malformed frame", async () => {
    const b = await replica({ validate: (p) => (p[0] === 0x21 ? "leading '!' is not a message kind" : null) });
    const a = await replica();
    a.transport.send(b.id, bytes("ok 1"));
    a.transport.send(b.id, bytes("!bad"));
    await waitFor("counted", () => metric(b, PEER_METRICS.frames_rejected) === 1);
    await waitFor("link back", () => a.transport.peers()[0]?.outbound === "connected");
    a.transport.send(b.id, bytes("ok 2"));
    await waitFor("later message", () => texts(b).includes("ok 2"));
    expect(texts(b)).toEqual(["ok 1", "ok 2"]);
  });
});

describe("oversized frames", () => {
  test("the sender refuses a payload over its own frame_bytes_max", async () => {
    const a = await replica({ frame_bytes_max: 1000, queue_bytes_max: 100_000 });
    expect(a.transport.send("127.0.0.1:1", new Uint8Array(1001))).toBe(false);
    expect(metric(a, PEER_METRICS.send_dropped)).toBe(1);
  });

  test("the receiver closes and counts a frame over its frame_bytes_max; later frames arrive", async () => {
    const b = await replica({ frame_bytes_max: 1000 });
    const a = await replica({ frame_bytes_max: 100_000 });
    a.transport.send(b.id, bytes("small 1"));
    a.transport.send(b.id, new Uint8Array(5000).fill(0x41));
    await waitFor("counted", () => metric(b, PEER_METRICS.frames_rejected) === 1);
    await waitFor("link back", () => a.transport.peers()[0]?.outbound === "connected");
    a.transport.send(b.id, bytes("small 2"));
    await waitFor("later message", () => texts(b).includes("small 2"));
    expect(texts(b)).toEqual(["small 1", "small 2"]);
  });
});

describe("what the dialer accepts from the listener", () => {
  /** A fake listener on 127.0.0.1 that answers every hello with `answer(its id)`. */
  async function fakeListener(answer: (id: string) => (Uint8Array | string)[]) {
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (request, srv) => (srv.upgrade(request, { data: null }) ? undefined : new Response("no", { status: 404 })),
      websocket: {
        data: null,
        message: (ws) => {
          for (const frame of answer(`127.0.0.1:${server.port}`)) ws.send(frame);
        },
      },
    });
    cleanup.push(() => server.stop(true));
    return `127.0.0.1:${server.port}`;
  }

  const cases: [string, (id: string) => (Uint8Array | string)[], string, RegExp][] = [
    ["a hello answer of another version", (id) => [hello(CLUSTER, id, PROTOCOL_VERSION + 1)], PEER_METRICS.hellos_rejected, new RegExp(`protocol version ${PROTOCOL_VERSION + 1}`)],
    ["a text answer", () => ["hi"], PEER_METRICS.hellos_rejected, /text frame instead of a hello/],
    ["a ping before the hello answer", () => [encodeFrame(FrameType.PING, new Uint8Array(0))], PEER_METRICS.hellos_rejected, /before the hello/],
    ["a message on a send-only link", (id) => [hello(CLUSTER, id), encodeFrame(FrameType.MESSAGE, bytes("no"))], PEER_METRICS.frames_rejected, /send-only link/],
    ["a corrupted ping", (id) => [hello(CLUSTER, id), flip(encodeFrame(FrameType.PING, new Uint8Array(0)), 7)], PEER_METRICS.frames_rejected, /checksum/],
  ];
  for (const [name, answer, counter, reason] of cases) {
    test(`${name}: refused and counted`, async () => {
      const fake = await fakeListener(answer);
      const a = await replica();
      a.transport.send(fake, bytes("x"));
      await waitFor("counted", () => metric(a, counter) >= 1);
      await waitFor("reason kept", () => reason.test(a.transport.peers()[0]?.last_error ?? ""));
      expect(a.received).toEqual([]);
    });
  }
});

describe("inbound connections", () => {
  test("a newer connection from the same replica replaces the older one", async () => {
    const b = await replica();
    const first = await rawClient(b.port);
    first.ws.send(hello(CLUSTER, "127.0.0.1:1"));
    first.ws.send(AUTH);
    await waitFor("first accepted", () => b.transport.peers().some((p) => p.inbound));
    const second = await rawClient(b.port);
    second.ws.send(hello(CLUSTER, "127.0.0.1:1"));
    second.ws.send(AUTH);
    await waitFor("first replaced", () => first.state.closed !== null);
    expect(first.state.closed!.code).toBe(4004);
    second.ws.send(encodeFrame(FrameType.MESSAGE, bytes("on the second")));
    await waitFor("delivered", () => texts(b).includes("on the second"));
    expect(b.transport.peers()).toMatchObject([{ id: "127.0.0.1:1", inbound: true }]);
    second.ws.close();
  });

  test("connections past inbound_connections_max are closed at once", async () => {
    const b = await replica({ inbound_connections_max: 1 });
    const first = await rawClient(b.port);
    const second = await rawClient(b.port);
    await waitFor("second refused", () => second.state.closed !== null);
    expect(second.state.closed).toEqual({ code: 4005, reason: "too many peer connections" });
    expect(first.state.closed).toBeNull();
    first.ws.close();
  });

  test("a request for another path, or a plain GET of the peer path, is left to the app", async () => {
    const b = await replica();
    expect((await fetch(`http://127.0.0.1:${b.port}/log/peer`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${b.port}/health`)).status).toBe(404);
    const elsewhere = new WebSocket(`ws://127.0.0.1:${b.port}/somewhere-else`);
    const closed = { done: false };
    elsewhere.onclose = () => (closed.done = true);
    elsewhere.onerror = () => (closed.done = true);
    await waitFor("refused", () => closed.done);
    expect(b.transport.peers()).toEqual([]);
  });
});

test("a 3 MiB payload arrives intact", async () => {
  const a = await replica();
  const b = await replica();
  const payload = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 7 + (i >> 13)) & 0xff);
  expect(a.transport.send(b.id, payload)).toBe(true);
  await waitFor("delivered", () => b.received.length === 1);
  expect(Buffer.from(b.received[0]!.payload).equals(Buffer.from(payload))).toBe(true);
  expect(metric(b, PEER_METRICS.frames_rejected)).toBe(0);
});

test("a send to our own id is delivered locally, after the caller's turn", async () => {
  const a = await replica();
  expect(a.transport.send(a.id, bytes("self"))).toBe(true);
  expect(a.received).toEqual([]);
  await waitFor("delivered", () => a.received.length === 1);
  expect(a.received.map(({ from, text }) => ({ from, text }))).toEqual([{ from: a.id, text: "self" }]);
});

test("options are checked at construction", async () => {
  await expect(replica({ backoff_ms_min: 500, backoff_ms_max: 100 })).rejects.toThrow(/backoff_ms_min/);
  await expect(replica({ frame_bytes_max: 0 })).rejects.toThrow(/frame_bytes_max/);
  await expect(replica({ queue_bytes_max: 10 })).rejects.toThrow(/queue_bytes_max/);
});

function flip(frame: Uint8Array, index: number): Uint8Array {
  return withByte(frame, index, frame[index]! ^ 0x01);
}

function withByte(frame: Uint8Array, index: number, value: number): Uint8Array {
  const copy = frame.slice();
  copy[index] = value;
  return copy;
}
