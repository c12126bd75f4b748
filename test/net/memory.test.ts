// Proves the in-memory transport double keeps PeerTransport's visible contract and its cuts, partitions and manual delivery work.
// Method: pure, no sockets.
import { describe, expect, test } from "bun:test";
import { MemoryNetwork } from "../../host/net/memory.ts";
import type { Transport } from "../../host/net/types.ts";
import { bytes, waitFor } from "./helpers.ts";

function join(network: MemoryNetwork, id: string, validate?: (p: Uint8Array) => string | null) {
  const got: string[] = [];
  const transport: Transport = network.transport(id, (from, payload) => got.push(`${from}:${new TextDecoder().decode(payload)}`), validate);
  return { transport, got };
}

describe("MemoryNetwork", () => {
  test("delivers in send order, after the caller's turn, copying the payload", async () => {
    const network = new MemoryNetwork();
    const a = join(network, "a:1");
    const b = join(network, "b:1");
    const buffer = bytes("x1");
    a.transport.send("b:1", buffer);
    buffer[1] = 0x32; // the caller reuses its buffer: the message already sent is unaffected
    a.transport.send("b:1", buffer);
    a.transport.send("a:1", bytes("self"));
    expect(b.got).toEqual([]);
    await waitFor("delivered", () => b.got.length === 2 && a.got.length === 1);
    expect(b.got).toEqual(["a:1:x1", "a:1:x2"]);
    expect(a.got).toEqual(["a:1:self"]);
  });

  test("manual delivery, cuts, partitions and heal", () => {
    const network = new MemoryNetwork({ auto_deliver: false });
    const a = join(network, "a:1");
    const b = join(network, "b:1");
    const c = join(network, "c:1");
    for (const t of [a, b, c]) t.transport.setPeers(["a:1", "b:1", "c:1"]);
    network.disconnect("a:1", "b:1", false);
    expect(a.transport.send("b:1", bytes("cut"))).toBe(true);
    expect(b.transport.send("a:1", bytes("one way is fine"))).toBe(true);
    expect(a.transport.peers().map((p) => [p.id, p.outbound, p.inbound])).toEqual([["b:1", "connecting", true], ["c:1", "connected", true]]);
    network.partition(["c:1"], ["a:1", "b:1"]);
    c.transport.send("a:1", bytes("partitioned"));
    expect(network.pending()).toBe(1);
    expect(network.deliver()).toBe(1);
    expect(a.got).toEqual(["b:1:one way is fine"]);
    expect(network.dropped).toBe(2);
    network.heal();
    c.transport.send("a:1", bytes("healed"));
    a.transport.send("b:1", bytes("healed too"));
    expect(network.deliver(1)).toBe(1);
    expect(a.got).toEqual(["b:1:one way is fine", "c:1:healed"]);
    expect(b.got).toEqual([]);
    network.deliver();
    expect(b.got).toEqual(["a:1:healed too"]);
  });

  test("bounds: payload size, messages in flight; closed and refused receivers lose messages", () => {
    const network = new MemoryNetwork({ auto_deliver: false, pending_max: 2, frame_bytes_max: 4 });
    const a = join(network, "a:1");
    const b = join(network, "b:1", (p) => (p[0] === 0x21 ? "bang" : null));
    expect(a.transport.send("b:1", bytes("12345"))).toBe(false);
    expect(a.transport.send("b:1", bytes("!bad"))).toBe(true);
    expect(a.transport.send("b:1", bytes("ok"))).toBe(true);
    expect(a.transport.send("b:1", bytes("full"))).toBe(false);
    expect(network.refused).toBe(2);
    network.deliver();
    expect(b.got).toEqual(["a:1:ok"]);
    expect(network.dropped).toBe(1);
    b.transport.close();
    a.transport.send("b:1", bytes("gone"));
    network.deliver();
    expect(network.dropped).toBe(2);
    expect(b.transport.send("a:1", bytes("x"))).toBe(false);
    // A restarted replica rejoins under the same id.
    const b2 = join(network, "b:1");
    a.transport.send("b:1", bytes("back"));
    network.deliver();
    expect(b2.got).toEqual(["a:1:back"]);
  });
});
