// Proves the frame/hello codecs accept exactly well-formed input, crc32 is IEEE, queues keep their bounds, cluster names are canonical.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { BUN_CRC32_IS_IEEE, crc32, crc32Table } from "../../host/net/crc32.ts";
import { decodeFrame, decodeHello, encodeFrame, encodeHello, FRAME_HEADER_BYTES, FrameType, PROTOCOL_VERSION } from "../../host/net/frame.ts";
import { clusterName } from "../../host/net/cluster.ts";
import { BoundedQueue } from "../../host/net/queue.ts";
import { MAC_BYTES, NONCE_BYTES } from "../../host/security/hmac.ts";

const enc = new TextEncoder();

describe("crc32", () => {
  test("is the IEEE CRC-32 in both implementations", () => {
    expect(BUN_CRC32_IS_IEEE).toBe(true);
    expect(crc32Table(enc.encode("123456789"))).toBe(0xcbf43926);
    expect(crc32(enc.encode("123456789"))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    const data = new Uint8Array(1000).map((_, i) => (i * 31 + 7) & 0xff);
    for (const [start, end] of [[0, 1000], [3, 17], [500, 1000]] as const) {
      expect(crc32(data.subarray(start, end))).toBe(crc32Table(data.subarray(start, end)));
    }
  });
});

describe("frames", () => {
  const payload = enc.encode("promise request");

  test("round trip", () => {
    const frame = encodeFrame(FrameType.MESSAGE, payload);
    expect(frame.length).toBe(FRAME_HEADER_BYTES + payload.length);
    const decoded = decodeFrame(frame, 1024);
    expect(decoded.ok && decoded.type === FrameType.MESSAGE && new TextDecoder().decode(decoded.payload)).toBe("promise request");
  });

  const cases: [string, (frame: Uint8Array) => Uint8Array, RegExp][] = [
    ["empty", () => new Uint8Array(0), /empty/],
    ["wrong version", (f) => withByte(f, 0, PROTOCOL_VERSION + 1), /protocol version 3, expected 2/],
    ["short header", (f) => f.subarray(0, 6), /short frame/],
    ["unknown type", (f) => withByte(f, 1, 99), /unknown frame type 99/],
    ["truncated payload", (f) => f.subarray(0, f.length - 1), /length field/],
    ["trailing bytes", (f) => concat(f, new Uint8Array(1)), /length field/],
    ["flipped payload byte", (f) => withByte(f, f.length - 1, f[f.length - 1]! ^ 0x01), /checksum mismatch/],
    ["flipped checksum byte", (f) => withByte(f, 7, f[7]! ^ 0x80), /checksum mismatch/],
  ];
  for (const [name, corrupt, reason] of cases) {
    test(`rejects: ${name}`, () => {
      const decoded = decodeFrame(corrupt(encodeFrame(FrameType.MESSAGE, payload)), 1024);
      expect(decoded.ok).toBe(false);
      if (!decoded.ok) expect(decoded.reason).toMatch(reason);
    });
  }

  test("rejects a payload over the maximum by its length field, before reading it", () => {
    const decoded = decodeFrame(encodeFrame(FrameType.MESSAGE, new Uint8Array(100)), 99);
    expect(decoded.ok ? "" : decoded.reason).toMatch(/exceeds the maximum of 99/);
    expect(decodeFrame(encodeFrame(FrameType.MESSAGE, new Uint8Array(99)), 99).ok).toBe(true);
  });

  test("rejects a ping with a payload", () => {
    expect(decodeFrame(encodeFrame(FrameType.PING, payload), 1024).ok).toBe(false);
  });
});

describe("hello", () => {
  const nonce = new Uint8Array(NONCE_BYTES).fill(7);
  const mac = new Uint8Array(MAC_BYTES).fill(9);
  const base = { cluster: "/mesos", replica: "10.0.0.1:5050", authenticates: false, nonce, mac: null };

  test("round trip, with and without a MAC", () => {
    expect(decodeHello(encodeHello(base))).toEqual(base);
    const answer = { ...base, authenticates: true, mac };
    expect(decodeHello(encodeHello(answer))).toEqual(answer);
  });

  test("malformed hellos name the problem", () => {
    const good = encodeHello(base);
    expect(decodeHello(good.subarray(0, 1))).toMatch(/too short/);
    expect(decodeHello(good.subarray(0, 5))).toMatch(/cluster name malformed/);
    expect(decodeHello(good.subarray(0, 10))).toMatch(/replica id malformed/);
    expect(decodeHello(good.subarray(0, good.length - 1))).toMatch(/without a nonce/);
    expect(decodeHello(concat(good, new Uint8Array(1)))).toMatch(/MAC malformed/);
    expect(decodeHello(withByte(good, good.length - 1, 5))).toMatch(/MAC malformed/);
    expect(decodeHello(withByte(good, good.length - 2 - NONCE_BYTES, 6))).toMatch(/flags 6 unknown/);
    expect(decodeHello(encodeHello({ ...base, replica: "" }))).toMatch(/empty replica id/);
    expect(decodeHello(withByte(good, 3, 0xff))).toMatch(/UTF-8/);
  });

  test("refuses to encode strings, nonces and MACs outside the bounds", () => {
    expect(() => encodeHello({ ...base, cluster: "x".repeat(5000), replica: "a:1" })).toThrow(/cluster name/);
    expect(() => encodeHello({ ...base, nonce: new Uint8Array(3) })).toThrow(/nonce/);
    expect(() => encodeHello({ ...base, mac: new Uint8Array(3) })).toThrow(/MAC/);
  });
});

describe("bounded queue", () => {
  test("refuses past the message bound and the byte bound, keeps FIFO order", () => {
    const byCount = new BoundedQueue(2, 1000);
    expect([byCount.push(new Uint8Array(1)), byCount.push(new Uint8Array(2)), byCount.push(new Uint8Array(3))]).toEqual([true, true, false]);
    expect(byCount.shift()!.length).toBe(1);
    expect(byCount.push(new Uint8Array(4))).toBe(true);
    expect([byCount.shift()!.length, byCount.shift()!.length, byCount.shift()]).toEqual([2, 4, undefined]);

    const byBytes = new BoundedQueue(100, 10);
    expect([byBytes.push(new Uint8Array(6)), byBytes.push(new Uint8Array(5)), byBytes.push(new Uint8Array(4))]).toEqual([true, false, true]);
    expect(byBytes.bytes).toBe(10);
  });

  test("stays consistent over many pushes and shifts", () => {
    const queue = new BoundedQueue(5000, 1 << 20);
    let next_in = 0;
    let next_out = 0;
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 3000; i++) expect(queue.push(Uint8Array.of(next_in++ & 0xff))).toBe(true);
      for (let i = 0; i < 2900; i++) expect(queue.shift()![0]).toBe(next_out++ & 0xff);
      expect(queue.length).toBe(next_in - next_out);
      expect(queue.bytes).toBe(next_in - next_out);
      for (let i = queue.length; i > 0; i--) queue.shift();
      next_out = next_in;
    }
  });
});

function withByte(frame: Uint8Array, index: number, value: number): Uint8Array {
  const copy = frame.slice();
  copy[index] = value;
  return copy;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

describe("clusterName", () => {
  test("does not depend on how the flag was spelled", () => {
    expect(clusterName({ zk_path: "/mesos" })).toBe("zk:/mesos");
    expect(clusterName({ zk_path: "/mesos/" })).toBe("zk:/mesos");
    expect(clusterName({ masters: ["b:5050", "a:5050", " a:5050"] })).toBe(clusterName({ masters: ["a:5050", "b:5050"] }));
    expect(clusterName({ masters: ["a:5050"] })).not.toBe(clusterName({ zk_path: "/mesos" }));
  });
});

describe("corruption on the wire (property)", () => {
  test("no single-byte change turns a MESSAGE frame into a different MESSAGE", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (payload, at, mask) => {
        const frame = encodeFrame(FrameType.MESSAGE, payload);
        const index = at % frame.length;
        const corrupted = frame.slice();
        corrupted[index]! ^= mask;
        const decoded = decodeFrame(corrupted, 1024);
        // Refused outright, or a different frame type, which the receiver refuses in context
        // (a second HELLO, a PING with bytes) or which carries nothing (an empty PING): a loss,
        // never a corrupted payload delivered (S13).
        return !decoded.ok || decoded.type !== FrameType.MESSAGE;
      }),
      { numRuns: 5000 },
    );
  });
});
