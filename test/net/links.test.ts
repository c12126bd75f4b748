// Proves PeerTransport links survive corruption, blackholes, stalls and restarts with bounded queues, and that three replicas mesh.
// Method: real transports on 127.0.0.1, faults injected by TcpProxy, conditions awaited by bounded polling.
import { afterEach, describe, expect, test } from "bun:test";
import { createServer } from "node:net";
import { TcpProxy } from "../../host/net/proxy.ts";
import { PEER_METRICS } from "../../host/net/transport.ts";
import { freePort } from "../helpers/process.ts";
import { bytes, LOOPBACK, metric, type Replica, type ReplicaOptions, startReplica, texts, waitFor } from "./helpers.ts";

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function replica(options: ReplicaOptions = {}, port?: number): Promise<Replica> {
  const r = await startReplica(options, port);
  cleanup.push(() => r.stop());
  return r;
}

/** Replica `b`, a proxy in front of it, and replica `a` that reaches `b` only through the proxy. */
async function proxied(a_options: ReplicaOptions = {}, b_options: ReplicaOptions = {}) {
  const b = await replica(b_options);
  const proxy = await TcpProxy.start({ target_port: b.port });
  cleanup.push(() => proxy.close());
  const a = await replica({ ...a_options, dial: (id) => (id === b.id ? `${LOOPBACK}:${proxy.port}` : id) });
  return { a, b, proxy };
}

const outbound = (from: Replica, to: string) => from.transport.peers().find((p) => p.id === to)?.outbound;

describe("faults on a link", () => {
  test("a payload byte flipped on the wire: connection closed, counted, not delivered; the link redials", async () => {
    // Long heartbeats, so the only large chunk on the wire is the message we corrupt.
    const quiet = { heartbeat_ms: 10_000, idle_timeout_ms: 20_000 };
    const { a, b, proxy } = await proxied(quiet, quiet);
    a.transport.send(b.id, bytes("m1"));
    await waitFor("m1", () => texts(b).includes("m1"));
    let flipped = 0;
    proxy.modifyTx((chunk) => {
      if (flipped > 0 || chunk.length < 1000) return chunk;
      flipped++;
      const copy = Uint8Array.from(chunk);
      copy[copy.length - 1]! ^= 0x01; // inside the (masked) payload: WebSocket masking is XOR
      return copy;
    });
    a.transport.send(b.id, new Uint8Array(2000).fill(0x41));
    await waitFor("rejected", () => metric(b, PEER_METRICS.frames_rejected) === 1);
    expect(flipped).toBe(1);
    await waitFor("redialed", () => metric(a, PEER_METRICS.connects) === 2 && outbound(a, b.id) === "connected");
    a.transport.send(b.id, bytes("m2"));
    await waitFor("m2", () => texts(b).includes("m2"));
    expect(texts(b)).toEqual(["m1", "m2"]);
  });

  for (const way of ["Tx", "Rx"] as const) {
    test(`blackhole${way} then heal: the dead link is noticed, sends queue, and flow resumes after healing`, async () => {
      const { a, b, proxy } = await proxied({ idle_timeout_ms: 300, handshake_timeout_ms: 300 }, { idle_timeout_ms: 300 });
      a.transport.send(b.id, bytes("before"));
      await waitFor("before", () => texts(b).includes("before"));
      if (way === "Tx") proxy.blackholeTx();
      else proxy.blackholeRx();
      await waitFor("link seen down", () => outbound(a, b.id) !== "connected", 4000);
      expect(a.transport.send(b.id, bytes("during"))).toBe(true);
      // A redial into the hole gets no hello answer and gives up after handshake_timeout_ms.
      await waitFor("a redial timed out", () => /no hello answer/.test(a.transport.peers()[0]?.last_error ?? ""), 4000);
      expect(texts(b)).toEqual(["before"]);
      if (way === "Tx") proxy.unblackholeTx();
      else proxy.unblackholeRx();
      await waitFor("queued message delivered after heal", () => texts(b).includes("during"), 4000);
      a.transport.send(b.id, bytes("after"));
      await waitFor("after", () => texts(b).includes("after"));
      expect(texts(b)).toEqual(["before", "during", "after"]);
    });
  }

  for (const way of ["Tx", "Rx"] as const) {
    test(`pause${way} (a stalled link) then resume: redials time out while stalled, the link recovers after`, async () => {
      const fast = { idle_timeout_ms: 200, handshake_timeout_ms: 200, backoff_ms_max: 50, heartbeat_ms: 20 };
      const { a, b, proxy } = await proxied(fast, fast);
      a.transport.send(b.id, bytes("x"));
      await waitFor("x", () => texts(b).includes("x"));
      if (way === "Tx") proxy.pauseTx();
      else proxy.pauseRx();
      await waitFor("a redial timed out", () => /no hello answer/.test(a.transport.peers()[0]?.last_error ?? ""), 4000);
      if (way === "Tx") proxy.resumeTx();
      else proxy.resumeRx();
      await waitFor("link back", () => outbound(a, b.id) === "connected", 4000);
      a.transport.send(b.id, bytes("y"));
      await waitFor("y", () => texts(b).includes("y"));
      expect(metric(b, PEER_METRICS.frames_rejected)).toBe(0);
    });
  }

  test("a stalled peer: the socket buffer and queue fill to their bounds, then sends are dropped and counted", async () => {
    const bounds = { socket_buffer_bytes_max: 64 * 1024, queue_bytes_max: 256 * 1024, frame_bytes_max: 8 * 1024, queue_messages_max: 10_000 };
    const { a, b, proxy } = await proxied({ ...bounds, idle_timeout_ms: 60_000 }, { idle_timeout_ms: 60_000 });
    a.transport.send(b.id, bytes("warm"));
    await waitFor("warm", () => texts(b).includes("warm"));
    proxy.pauseTx();
    const chunk = new Uint8Array(4096);
    let accepted = 0;
    let refused = 0;
    // Bounded: at most 20 MiB offered in total, far past every buffer on the path.
    for (let i = 0; i < 5000 && refused === 0; i++) {
      if (a.transport.send(b.id, chunk)) accepted++;
      else refused++;
      if (i % 50 === 49) await Bun.sleep(1); // let the socket write into the stalled kernel buffers
    }
    expect(refused).toBe(1);
    expect(metric(a, PEER_METRICS.send_dropped)).toBe(1);
    expect(metric(a, PEER_METRICS.queued_bytes)).toBeLessThanOrEqual(256 * 1024);
    expect(accepted).toBeGreaterThan(60);
  });
});

describe("peers coming and going", () => {
  test("while the peer is down the queue keeps its bound and drops the rest; what it held arrives once the peer is up", async () => {
    const port = await freePort();
    const b_id = `${LOOPBACK}:${port}`;
    const a = await replica({ queue_messages_max: 5 });
    const results = Array.from({ length: 8 }, (_, i) => a.transport.send(b_id, bytes(`m${i}`)));
    expect(results).toEqual([true, true, true, true, true, false, false, false]);
    expect(metric(a, PEER_METRICS.send_dropped)).toBe(3);
    expect(a.transport.peers()).toMatchObject([{ id: b_id, queued_messages: 5 }]);
    expect(a.transport.peers()[0]!.outbound).not.toBe("connected");
    const b = await replica({}, port);
    await waitFor("queued messages delivered", () => b.received.length === 5);
    expect(texts(b)).toEqual(["m0", "m1", "m2", "m3", "m4"]);
    expect(a.transport.peers()).toMatchObject([{ id: b_id, outbound: "connected", queued_messages: 0 }]);
  });

  test("a peer that restarts on the same address is redialed; sends made meanwhile arrive", async () => {
    const b1 = await startReplica();
    const a = await replica();
    a.transport.send(b1.id, bytes("to the first"));
    await waitFor("first", () => texts(b1).includes("to the first"));
    await b1.stop();
    await waitFor("link seen down", () => outbound(a, b1.id) !== "connected");
    a.transport.send(b1.id, bytes("while down"));
    const b2 = await replica({}, b1.port);
    await waitFor("delivered to the restarted peer", () => texts(b2).includes("while down"));
    a.transport.send(b2.id, bytes("after"));
    await waitFor("after", () => texts(b2).includes("after"));
    expect(texts(b2)).toEqual(["while down", "after"]);
    expect(metric(a, PEER_METRICS.connects)).toBe(2);
  });

  test("the listener stopping and starting again (same transport): the peer redials", async () => {
    const b = await replica();
    const a = await replica();
    a.transport.send(b.id, bytes("1"));
    await waitFor("1", () => texts(b).includes("1"));
    await b.stopListening();
    await waitFor("link seen down", () => outbound(a, b.id) !== "connected");
    b.listen();
    await waitFor("link back", () => outbound(a, b.id) === "connected");
    a.transport.send(b.id, bytes("2"));
    await waitFor("2", () => texts(b).includes("2"));
    expect(texts(b)).toEqual(["1", "2"]);
  });

  test("a peer that dials us again is redialed at once, not after our back-off", async () => {
    const b = await replica();
    const a = await replica({ backoff_ms_min: 5_000, backoff_ms_max: 10_000 });
    a.transport.setPeers([a.id, b.id]);
    await waitFor("link up", () => outbound(a, b.id) === "connected");
    await b.stopListening();
    await waitFor("link seen down", () => outbound(a, b.id) !== "connected");
    b.listen();
    // a is now waiting out at least 2.5 s before its next dial; b dialing a says b is back.
    b.transport.setPeers([a.id, b.id]);
    await waitFor("link back well before a's back-off ends", () => outbound(a, b.id) === "connected", 2_000);
  });

  test("three replicas fully meshed exchange messages in every direction", async () => {
    const replicas = [await replica(), await replica(), await replica()];
    const ids = replicas.map((r) => r.id);
    for (const r of replicas) r.transport.setPeers(ids);
    await waitFor("mesh up", () => replicas.every((r) => metric(r, PEER_METRICS.peers_connected) === 2 && metric(r, PEER_METRICS.inbound_connected) === 2));
    for (const r of replicas) for (const id of ids) if (id !== r.id) for (let i = 0; i < 10; i++) r.transport.send(id, bytes(`${r.id}->${id} #${i}`));
    await waitFor("all delivered", () => replicas.every((r) => r.received.length === 20));
    for (const r of replicas) {
      for (const other of ids.filter((id) => id !== r.id)) {
        expect(texts(r, other)).toEqual(Array.from({ length: 10 }, (_, i) => `${other}->${r.id} #${i}`));
      }
      expect(r.transport.peers().map((p) => [p.outbound, p.inbound])).toEqual([["connected", true], ["connected", true]]);
    }
    // Dropping a peer from the set closes our link to it.
    replicas[0]!.transport.setPeers([ids[0]!, ids[1]!]);
    await waitFor("link to the third closed", () => metric(replicas[2]!, PEER_METRICS.inbound_connected) === 1);
    expect(outbound(replicas[0]!, ids[2]!)).toBe("closed");
  });

  test("close() stops redialing", async () => {
    let accepts = 0;
    const refuser = createServer((socket) => {
      accepts++;
      socket.destroy(); // accepts TCP, never speaks WebSocket: every dial fails
    });
    await new Promise<void>((resolve) => refuser.listen(0, LOOPBACK, () => resolve()));
    cleanup.push(() => new Promise<void>((resolve) => refuser.close(() => resolve())));
    const address = refuser.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const a = await replica({ backoff_ms_min: 5, backoff_ms_max: 20 });
    a.transport.setPeers([`${LOOPBACK}:${port}`]);
    await waitFor("redialing", () => accepts >= 3);
    a.transport.close();
    const at_close = accepts;
    // Absence needs a wait: ten times the largest back-off, then no new dial may have come.
    await Bun.sleep(200);
    expect(accepts).toBe(at_close);
    expect(a.transport.send(`${LOOPBACK}:${port}`, bytes("x"))).toBe(false);
  });
});
