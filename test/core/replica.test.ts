// Proves the replica's handling rules (reference §3.5) against the WASM core, mirroring
// Mesos's ReplicaTest.* in src/tests/log_tests.cpp: the test plays the coordinator.
import { describe, expect, test } from "bun:test";
import { ActionType, Kind, ResponseType, type Message } from "../../host/codec/index.ts";
import { LoneReplica, VOTING, EMPTY, text } from "./harness.ts";

const implicitPromise = (proposal: number): Message => ({ kind: Kind.PromiseRequest, round: 9, proposal, explicit: false, position: 0 });
const explicitPromise = (proposal: number, position: number): Message => ({ kind: Kind.PromiseRequest, round: 9, proposal, explicit: true, position });
const write = (proposal: number, position: number, bytes: string): Message => ({
  kind: Kind.WriteRequest,
  round: 10,
  proposal,
  learned: false,
  append: true,
  actions: [{ position, promised: proposal, performed: proposal, learned: false, tombstone: false, type: ActionType.APPEND, payload: text(bytes) }],
});

function only<T>(items: T[]): T {
  expect(items.length).toBe(1);
  return items[0]!;
}

describe("ReplicaTest", () => {
  test("ReplicaTest.Promise", () => {
    const r = new LoneReplica(undefined, VOTING);
    const first = only(r.send(implicitPromise(2)));
    expect(first).toMatchObject({ kind: Kind.PromiseResponse, type: ResponseType.ACCEPT, proposal: 2, position: 0, round: 9 });
    const lower = only(r.send(implicitPromise(1)));
    expect(lower).toMatchObject({ type: ResponseType.REJECT, proposal: 2 });
    const higher = only(r.send(implicitPromise(3)));
    expect(higher).toMatchObject({ type: ResponseType.ACCEPT, proposal: 3, position: 0 });
    expect(r.store.view!.promised).toBe(3); // durable before the reply left
  });

  test("ReplicaTest.Append", () => {
    const r = new LoneReplica(undefined, VOTING);
    expect(only(r.send(implicitPromise(1)))).toMatchObject({ type: ResponseType.ACCEPT });
    const reply = only(r.send(write(1, 1, "hello world")));
    expect(reply).toMatchObject({ kind: Kind.WriteResponse, type: ResponseType.ACCEPT, proposal: 1, position: 1, count: 1 });
    const stored = r.store.view!.actions.get(1)!;
    expect(stored.promised).toBe(1);
    expect(stored.performed).toBe(1);
    expect(stored.learned).toBe(false);
    expect(new TextDecoder().decode(stored.payload)).toBe("hello world");
  });

  test("ReplicaTest.Restore", () => {
    const r = new LoneReplica(undefined, VOTING);
    r.send(implicitPromise(5));
    r.send(write(5, 1, "kept"));
    r.restart();
    expect(only(r.send(implicitPromise(5)))).toMatchObject({ type: ResponseType.REJECT, proposal: 5 });
    // The restored action is returned to an explicit promise, so a filler would re-write it.
    const reply = only(r.send(explicitPromise(6, 1)));
    expect(reply).toMatchObject({ type: ResponseType.ACCEPT, proposal: 6 });
    if (reply.kind !== Kind.PromiseResponse) throw new Error("unexpected reply");
    expect(reply.action?.performed).toBe(5);
    expect(new TextDecoder().decode(reply.action?.payload)).toBe("kept");
  });

  test("ReplicaTest.NonVoting", () => {
    const r = new LoneReplica(undefined, EMPTY);
    expect(only(r.send(implicitPromise(2)))).toMatchObject({ type: ResponseType.IGNORED, proposal: 2 });
    expect(only(r.send(write(2, 3, "x")))).toMatchObject({ type: ResponseType.IGNORED, proposal: 2, position: 3 });
    expect(r.store.view!.actions.size).toBe(0);
    expect(r.store.view!.promised).toBe(0);
  });

  test("explicit promise: hole, record, truncated position (tombstone)", () => {
    const r = new LoneReplica(undefined, VOTING);
    r.send(implicitPromise(4));
    // A hole implicitly promised at 4 needs a strictly higher explicit promise.
    expect(only(r.send(explicitPromise(4, 2)))).toMatchObject({ type: ResponseType.REJECT, proposal: 4 });
    expect(only(r.send(explicitPromise(5, 2)))).toMatchObject({ type: ResponseType.ACCEPT, position: 2 });
    // Write equal to the promise is accepted ("<" rule); lower is rejected.
    expect(only(r.send(write(5, 2, "v")))).toMatchObject({ type: ResponseType.ACCEPT });
    expect(only(r.send(write(4, 2, "w")))).toMatchObject({ type: ResponseType.REJECT, proposal: 5 });
    // Learn a truncation to 2; position 1 is now answered with a learned tombstone NOP.
    r.send({ kind: Kind.Learned, actions: [{ position: 3, promised: 5, performed: 5, learned: true, tombstone: false, type: ActionType.TRUNCATE, truncateTo: 2 }] });
    const tomb = only(r.send(explicitPromise(9, 1)));
    if (tomb.kind !== Kind.PromiseResponse) throw new Error("unexpected reply");
    expect(tomb.type).toBe(ResponseType.ACCEPT);
    expect(tomb.action).toMatchObject({ position: 1, learned: true, tombstone: true, type: ActionType.NOP, performed: 4 });
  });

  test("write to a learned position is ignored unless it carries the learned value", () => {
    const r = new LoneReplica(undefined, VOTING);
    r.send(implicitPromise(1));
    r.send({ kind: Kind.Learned, actions: [{ position: 1, promised: 1, performed: 1, learned: true, tombstone: false, type: ActionType.APPEND, payload: text("chosen") }] });
    expect(r.send(write(1, 1, "other"))).toEqual([]);
    expect(only(r.send(write(1, 1, "chosen")))).toMatchObject({ type: ResponseType.ACCEPT });
    expect(new TextDecoder().decode(r.store.snapshot().actions.get(1)!.payload)).toBe("chosen");
  });
});
