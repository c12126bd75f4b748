// Proves the log's storage-facing behaviour on the WASM core with the in-memory store,
// mirroring Mesos's LogStorageTest.* (truncation, sparse ranges, large positions — up to
// our 2^53−1 bound instead of UINT64_MAX) and LogTest.WriteRead / Position / Metrics.
import { describe, expect, test } from "bun:test";
import { Cluster } from "../../host/sim/cluster.ts";
import { bounds, read, readAppends } from "../../host/log/reader.ts";
import {
  ActionType, ByteWriter, Kind, ResponseType, encodeMessage, positionIdentity, writeFrame, type Action,
} from "../../host/codec/index.ts";
import { StepError } from "../../host/core.ts";
import { LoneReplica, VOTING, text } from "./harness.ts";

const view = (c: Cluster, id: number) => c.node(id).store.snapshot();
const MAX = Number.MAX_SAFE_INTEGER; // 2^53 − 1, the largest position

function elected(replicas = 2): Cluster {
  const c = new Cluster({ replicas, quorum: replicas === 1 ? 1 : 2, initialized: true }).startAll();
  c.elect(1);
  c.awaitElected(1);
  return c;
}

const learned = (position: number, fields: Partial<Action>): Action => ({
  position, promised: 1, performed: 1, learned: true, tombstone: false, type: ActionType.NOP, ...fields,
});

describe("LogStorageTest", () => {
  test("LogStorageTest.Truncate", () => {
    const c = elected();
    for (let i = 1; i <= 10; i++) c.await(1, c.append(1, `e${i}`));
    expect(c.await(1, c.truncate(1, 5))).toBe(11);
    for (const id of [1, 2]) expect([...view(c, id).actions.keys()].every((p) => p >= 5)).toBe(true);
    expect(() => read(view(c, 1), 4, 4)).toThrow("Bad read range (truncated position)");
    expect(c.await(1, c.truncate(1, 8))).toBe(12);
    expect(Math.min(...view(c, 2).actions.keys())).toBe(8);
    expect(readAppends(view(c, 2), 8, 10)).toEqual(["e8", "e9", "e10"]);
  });

  test("LogStorageTest.TruncateWithEmptyLog", () => {
    const c = elected();
    expect(c.await(1, c.truncate(1, 1))).toBe(1);
    const v = view(c, 2);
    expect(v.actions.get(1)).toMatchObject({ type: ActionType.TRUNCATE, truncateTo: 1, learned: true });
    expect(bounds(v)).toEqual({ begin: 1, end: 1 });
  });

  test("LogStorageTest.TruncateWithManyHoles", () => {
    const r = new LoneReplica(undefined, VOTING);
    const far = 2 ** 40;
    r.send({ kind: Kind.Learned, actions: [learned(0, {}), learned(far, { type: ActionType.APPEND, payload: text("far") })] });
    const started = performance.now();
    r.send({ kind: Kind.Learned, actions: [learned(far + 1, { type: ActionType.TRUNCATE, truncateTo: far })] });
    expect(performance.now() - started).toBeLessThan(1000);
    const v = r.store.snapshot();
    expect([...v.actions.keys()].sort((a, b) => a - b)).toEqual([far, far + 1]);
    expect(bounds(v)).toEqual({ begin: far, end: far + 1 });
    r.restart();
    expect(bounds(r.store.snapshot())).toEqual({ begin: far, end: far + 1 });
    // The core still holds the far entry (kept sparse, then joined to the dense run).
    r.send({ kind: Kind.Learned, actions: [learned(far + 2, { type: ActionType.APPEND, payload: text("next") })] });
    const reply = r.send({ kind: Kind.PromiseRequest, round: 3, proposal: 2, explicit: true, position: far });
    expect(reply[0]).toMatchObject({ type: ResponseType.ACCEPT });
    if (reply[0]?.kind !== Kind.PromiseResponse) throw new Error("unexpected reply");
    expect(new TextDecoder().decode(reply[0].action?.payload)).toBe("far");
  });

  test("LogStorageTest.Overflow", () => {
    const r = new LoneReplica(undefined, VOTING);
    r.send({ kind: Kind.PromiseRequest, round: 1, proposal: 1, explicit: false, position: 0 });
    const positions = [2 ** 32 - 1, 2 ** 32, 9999999998, 9999999999, 10000000000, MAX - 1, MAX];
    for (const position of positions) {
      const reply = r.send({ kind: Kind.WriteRequest, round: 2, proposal: 1, learned: true, append: true, actions: [learned(position, { type: ActionType.APPEND, payload: text(`at ${position}`), learned: false })] });
      expect(reply[0]).toMatchObject({ type: ResponseType.ACCEPT, position });
    }
    r.restart();
    const v = r.store.snapshot();
    for (const position of positions) expect(new TextDecoder().decode(v.actions.get(position)!.payload)).toBe(`at ${position}`);
    expect(bounds(v).end).toBe(MAX);
    // 2^53 and beyond cannot be expressed: the TS codec refuses to encode, the core to decode.
    expect(() => encodeMessage({ kind: Kind.PromiseRequest, round: 1, proposal: 2, explicit: true, position: MAX + 1 })).toThrow();
    const w = new ByteWriter();
    writeFrame(w, Kind.PromiseRequest, (b) => b.u32(1).u64(2).u8(1).u32(0).u32(0x00200000)); // position 2^53
    expect(r.core.receive(2, w.toBytes())).toBe(StepError.Malformed);
    const ok = new ByteWriter();
    writeFrame(ok, Kind.PromiseRequest, (b) => b.u32(1).u64(2).u8(1).u32(0xffffffff).u32(0x001fffff)); // 2^53 − 1
    expect(r.core.receive(2, ok.toBytes())).toBe(0);
  });

  test("LogStorageTest.OverflowTruncate", () => {
    const r = new LoneReplica(undefined, VOTING);
    const low = MAX - 20;
    const actions = Array.from({ length: 10 }, (_, i) => learned(low + i, { type: ActionType.APPEND, payload: text(`${i}`) }));
    r.send({ kind: Kind.Learned, actions });
    r.send({ kind: Kind.Learned, actions: [learned(MAX, { type: ActionType.TRUNCATE, truncateTo: low + 5 })] });
    const v = r.store.snapshot();
    expect(Math.min(...v.actions.keys())).toBe(low + 5);
    expect(bounds(v)).toEqual({ begin: low + 5, end: MAX });
  });
});

describe("LogTest", () => {
  test("LogTest.WriteRead", () => {
    const c = elected(3);
    const position = c.await(1, c.append(1, "hi there"))!;
    c.run(5);
    for (const id of [1, 2, 3]) expect(readAppends(view(c, id), position, position)).toEqual(["hi there"]);
  });

  test("LogTest.Position", () => {
    const positions = [0, 1, 255, 256, 2 ** 32, 2 ** 40 + 7, MAX];
    const ids = positions.map(positionIdentity);
    expect(ids.every((id) => id.length === 8)).toBe(true);
    expect([...positionIdentity(258)]).toEqual([0, 0, 0, 0, 0, 0, 1, 2]); // big-endian
    const compare = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b);
    for (let i = 1; i < ids.length; i++) expect(compare(ids[i - 1]!, ids[i]!)).toBe(-1);
  });

  test("LogTest.Metrics", () => {
    // A single-replica log (the standalone master): recovered at once, ensemble size 1.
    const c = new Cluster({ replicas: 1, quorum: 1, autoInitialize: true }).startAll();
    c.runUntil(() => c.node(1).status === 1, 100);
    expect(c.node(1).status).toBe(1); // registrar/log/recovered = 1
    expect(c.ids.length).toBe(1); // registrar/log/ensemble_size = 1
    c.elect(1);
    expect(c.awaitElected(1, 10)).toBe(0);
    expect(c.await(1, c.append(1, "solo"), 10)).toBe(1);
  });
});
