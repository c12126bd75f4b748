// Proves the peer hello authenticates: only a peer proving the same log secret (over fresh nonces) gets its messages delivered; no secret, a wrong secret, a replayed MAC, a fake listener, our own id or a message before AUTH are refused, counted in log/peer_auth_failures and logged at most once a minute per address.
// Method: real PeerTransports on 127.0.0.1, and raw WebSocket clients and a fake listener speaking the frames by hand.
import { describe, expect, test } from "bun:test";
import { setLogSink } from "../../host/logging.ts";
import { decodeFrame, decodeHello, encodeFrame, encodeHello, FrameType, type Hello } from "../../host/net/frame.ts";
import { NO_SECRET_HERE, NO_SECRET_THERE } from "../../host/net/handshake.ts";
import { LineLimiter } from "../../host/net/rate_limit.ts";
import { PEER_METRICS, PEER_PATH } from "../../host/net/transport.ts";
import { mac, nonce } from "../../host/security/hmac.ts";
import { bytes, CLUSTER, metric, type Replica, texts, useReplicas, waitFor } from "./helpers.ts";

const SECRET = bytes("0123456789abcdef0123456789abcdef");
const WRONG = bytes("fedcba9876543210fedcba9876543210");

const { replica, cleanup } = useReplicas();

/** A hand-driven dialer: sends a hello claiming `claim`, keeps the listener's answer and the close. */
async function rawDialer(port: number, claim: string, authenticates: boolean) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${PEER_PATH}`);
  ws.binaryType = "arraybuffer";
  const nonce_d = nonce();
  const state = { closed: null as null | { code: number; reason: string }, answer: null as Hello | null };
  ws.onclose = (event) => (state.closed = { code: event.code, reason: event.reason });
  ws.onmessage = (event) => {
    const frame = decodeFrame(new Uint8Array(event.data as ArrayBuffer), 1 << 20);
    if (frame.ok && frame.type === FrameType.HELLO) state.answer = decodeHello(frame.payload) as Hello;
  };
  await waitFor("raw dialer open", () => ws.readyState === WebSocket.OPEN || state.closed !== null);
  ws.send(encodeFrame(FrameType.HELLO, encodeHello({ cluster: CLUSTER, replica: claim, authenticates, nonce: nonce_d, mac: null })));
  const sendAuth = (payload: Uint8Array) => ws.send(encodeFrame(FrameType.AUTH, payload));
  const sendMessage = (text: string) => ws.send(encodeFrame(FrameType.MESSAGE, bytes(text)));
  return { ws, state, nonce_d, sendAuth, sendMessage };
}

/** What a dialer that holds `secret` sends as AUTH to `listener`, over its nonce `nonce_l`. */
function dialerMac(secret: Uint8Array, claim: string, listener: string, nonce_l: Uint8Array, nonce_d: Uint8Array): Uint8Array {
  return mac(secret, "dialer", [CLUSTER, claim, listener, nonce_l, nonce_d]);
}

describe("two transports", () => {
  test("with the same secret they connect both ways and deliver, and no hello is refused", async () => {
    const a = await replica({ secret: SECRET });
    const b = await replica({ secret: SECRET });
    a.transport.send(b.id, bytes("a->b"));
    b.transport.send(a.id, bytes("b->a"));
    await waitFor("both delivered", () => texts(b).length === 1 && texts(a).length === 1);
    expect([texts(b), texts(a)]).toEqual([["a->b"], ["b->a"]]);
    expect(metric(a, PEER_METRICS.auth_failures) + metric(b, PEER_METRICS.auth_failures)).toBe(0);
  });

  test("with different secrets each refuses the other's answer as a wrong MAC; nothing is delivered", async () => {
    const a = await replica({ secret: SECRET });
    const b = await replica({ secret: WRONG });
    a.transport.send(b.id, bytes("never"));
    b.transport.send(a.id, bytes("never"));
    await waitFor("both refused", () => metric(a, PEER_METRICS.auth_failures) >= 1 && metric(b, PEER_METRICS.auth_failures) >= 1);
    expect(a.transport.peers()[0]!.last_error).toMatch(/wrong MAC: it does not hold our log secret/);
    expect(metric(a, PEER_METRICS.hellos_rejected)).toBeGreaterThanOrEqual(1);
    expect([a.received, b.received]).toEqual([[], []]);
  });

  test("a listener with a secret refuses a dialer without one, and the other way round, saying why", async () => {
    const guarded = await replica({ secret: SECRET });
    const open = await replica();
    open.transport.send(guarded.id, bytes("never"));
    guarded.transport.send(open.id, bytes("never"));
    await waitFor("both told why", () =>
      (open.transport.peers()[0]?.last_error ?? "").includes(NO_SECRET_THERE) && (guarded.transport.peers()[0]?.last_error ?? "").includes(NO_SECRET_HERE));
    expect(metric(guarded, PEER_METRICS.auth_failures)).toBeGreaterThanOrEqual(1);
    expect(metric(open, PEER_METRICS.auth_failures)).toBeGreaterThanOrEqual(1);
    expect([guarded.received, open.received]).toEqual([[], []]);
  });
});

describe("a hand-driven dialer", () => {
  test("that holds the secret and answers the listener's nonce is accepted (the method can succeed)", async () => {
    const b = await replica({ secret: SECRET });
    const raw = await rawDialer(b.port, "127.0.0.1:1", true);
    await waitFor("answer", () => raw.state.answer !== null);
    raw.sendAuth(dialerMac(SECRET, "127.0.0.1:1", b.id, raw.state.answer!.nonce, raw.nonce_d));
    raw.sendMessage("authenticated");
    await waitFor("delivered", () => texts(b).includes("authenticated"));
    expect(raw.state.closed).toBeNull();
    expect(metric(b, PEER_METRICS.auth_failures)).toBe(0);
    raw.ws.close();
  });

  const refusals: [string, (raw: Awaited<ReturnType<typeof rawDialer>>, listener: string) => void, RegExp][] = [
    ["guesses a MAC", (raw) => raw.sendAuth(nonce()), /wrong MAC/],
    ["holds another secret", (raw, id) => raw.sendAuth(dialerMac(WRONG, "127.0.0.1:1", id, raw.state.answer!.nonce, raw.nonce_d)), /wrong MAC/],
    ["replays a MAC made for another nonce", (raw, id) => raw.sendAuth(dialerMac(SECRET, "127.0.0.1:1", id, nonce(), raw.nonce_d)), /wrong MAC/],
    ["uses the listener's own MAC as its proof", (raw) => raw.sendAuth(raw.state.answer!.mac!), /wrong MAC/],
    ["sends an empty AUTH", (raw) => raw.sendAuth(new Uint8Array(0)), /no log secret/],
    ["sends a message instead of AUTH", () => {}, /frame type 2 before AUTH/],
  ];
  for (const [name, auth, reason] of refusals) {
    test(`that ${name} is closed with 4001 and counted; its message never arrives`, async () => {
      const b = await replica({ secret: SECRET });
      const raw = await rawDialer(b.port, "127.0.0.1:1", true);
      await waitFor("answer", () => raw.state.answer !== null);
      auth(raw, b.id);
      raw.sendMessage("forged");
      await waitFor("closed", () => raw.state.closed !== null);
      expect(raw.state.closed!.code).toBe(4001);
      expect(raw.state.closed!.reason).toMatch(reason);
      expect(metric(b, PEER_METRICS.auth_failures)).toBe(1);
      expect(b.received).toEqual([]);
      expect(b.transport.peers()).toEqual([]);
    });
  }

  test("claiming the listener's own id is refused, secret or not", async () => {
    for (const secret of [null, SECRET]) {
      const b = await replica({ secret });
      const raw = await rawDialer(b.port, b.id, secret !== null);
      raw.sendAuth(new Uint8Array(0));
      raw.sendMessage("as yourself");
      await waitFor("closed", () => raw.state.closed !== null);
      expect(raw.state.closed).toEqual({ code: 4001, reason: `replica ${b.id} claims to be this replica` });
      expect(raw.state.answer).toBeNull();
      expect([b.received, metric(b, PEER_METRICS.auth_failures)]).toEqual([[], 1]);
    }
  });

  test("without secrets a message before AUTH is refused too", async () => {
    const b = await replica();
    const raw = await rawDialer(b.port, "127.0.0.1:1", false);
    raw.sendMessage("early");
    await waitFor("closed", () => raw.state.closed !== null);
    expect(raw.state.closed).toEqual({ code: 4001, reason: "frame type 2 before AUTH" });
    expect(b.received).toEqual([]);
  });

  test("a forged hello claiming a connected peer's id does not displace that peer's link", async () => {
    const a = await replica({ secret: SECRET });
    const b = await replica({ secret: SECRET });
    a.transport.send(b.id, bytes("first"));
    await waitFor("a's link up", () => texts(b).includes("first"));
    const raw = await rawDialer(b.port, a.id, true);
    await waitFor("answer", () => raw.state.answer !== null);
    raw.sendAuth(nonce());
    await waitFor("forger closed", () => raw.state.closed !== null);
    a.transport.send(b.id, bytes("second"));
    await waitFor("a still delivers", () => texts(b).includes("second"));
    expect(texts(b, a.id)).toEqual(["first", "second"]);
    expect(a.transport.peers()[0]!.outbound).toBe("connected");
  });

  test("refusals are logged once per address per minute, every one counted", async () => {
    const lines: string[] = [];
    const previous = setLogSink((line) => lines.push(line));
    cleanup.push(() => void setLogSink(previous));
    const b = await replica({ secret: SECRET });
    for (let i = 0; i < 5; i++) {
      const raw = await rawDialer(b.port, "127.0.0.1:1", false);
      await waitFor("closed", () => raw.state.closed !== null);
    }
    expect(metric(b, PEER_METRICS.auth_failures)).toBe(5);
    expect(lines.filter((l) => l.includes("Refused a peer hello from 127.0.0.1"))).toHaveLength(1);
  });
});

test("a fake listener that does not hold the secret is refused by the dialer", async () => {
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (request, srv) => (srv.upgrade(request, { data: null }) ? undefined : new Response("no", { status: 404 })),
    websocket: {
      data: null,
      message: (ws) => {
        const fake = { cluster: CLUSTER, replica: `127.0.0.1:${server.port}`, authenticates: true, nonce: nonce(), mac: nonce() };
        ws.send(encodeFrame(FrameType.HELLO, encodeHello(fake)));
      },
    },
  });
  cleanup.push(() => server.stop(true));
  const a = await replica({ secret: SECRET });
  a.transport.send(`127.0.0.1:${server.port}`, bytes("for the real replica only"));
  await waitFor("refused", () => metric(a, PEER_METRICS.auth_failures) >= 1);
  expect(a.transport.peers()[0]!.last_error).toMatch(/answered with a wrong MAC/);
  expect(a.transport.peers()[0]!.outbound).not.toBe("connected");
});

test("the line limiter admits one line per key per interval and reports what it held back, within its key bound", () => {
  let now = 0;
  const limiter = new LineLimiter(60_000, 2, () => now);
  expect(limiter.admit("a")).toEqual({ ok: true, suppressed: 0 });
  expect(limiter.admit("a")).toEqual({ ok: false });
  expect(limiter.admit("a")).toEqual({ ok: false });
  expect(limiter.admit("b")).toEqual({ ok: true, suppressed: 0 });
  now = 60_000;
  expect(limiter.admit("a")).toEqual({ ok: true, suppressed: 2 });
  expect(limiter.admit("c")).toEqual({ ok: true, suppressed: 0 });
  expect(limiter.size).toBe(2);
});
