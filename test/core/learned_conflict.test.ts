// Proves a replica never lets a message overwrite a learned position with another value: a forged Learned or write is refused, persists nothing, is counted (notice ConflictRefused) and survives a restart; the same value again stays a harmless no-op.
import { expect, test } from "bun:test";
import { ActionType, Kind, ResponseType, type Action, type Message } from "../../host/codec/index.ts";
import { NoticeKind } from "../../host/core.ts";
import { LoneReplica, VOTING, text } from "./harness.ts";

const appendAction = (position: number, proposal: number, bytes: string, learned: boolean): Action => ({
  position, promised: proposal, performed: proposal, learned, tombstone: false, type: ActionType.APPEND, payload: text(bytes),
});
const learned = (...actions: Action[]): Message => ({ kind: Kind.Learned, actions });
const write = (proposal: number, position: number, bytes: string): Message => ({
  kind: Kind.WriteRequest, round: 10, proposal, learned: false, append: true, actions: [appendAction(position, proposal, bytes, false)],
});

/** A VOTING replica that has learned "chosen-1" at 1 and "chosen-2" at 2. */
function withTwoLearned(): LoneReplica {
  const r = new LoneReplica(undefined, VOTING);
  r.send({ kind: Kind.PromiseRequest, round: 9, proposal: 1, explicit: false, position: 0 });
  r.send(learned(appendAction(1, 1, "chosen-1", true), appendAction(2, 1, "chosen-2", true)));
  return r;
}

const stored = (r: LoneReplica, position: number) => new TextDecoder().decode(r.store.snapshot().actions.get(position)?.payload);
const conflicts = (r: LoneReplica) => r.notices.filter((n) => n.kind === NoticeKind.ConflictRefused).map(({ a, b }) => ({ a, b }));

test("a Learned overwriting learned positions is refused, counted once per message, and persists nothing", () => {
  const r = withTwoLearned();
  r.send(learned(appendAction(1, 7, "poison-1", true), appendAction(2, 7, "poison-2", true)));
  expect(r.persisted.at(-1)).toBe(0);
  expect(conflicts(r)).toEqual([{ a: 2, b: 1 }]);
  expect([stored(r, 1), stored(r, 2)]).toEqual(["chosen-1", "chosen-2"]);
  r.restart();
  expect([stored(r, 1), stored(r, 2)]).toEqual(["chosen-1", "chosen-2"]);
});

test("in a mixed Learned, the new position is learned and only the conflicting one refused", () => {
  const r = withTwoLearned();
  r.send(learned(appendAction(2, 7, "poison-2", true), appendAction(3, 7, "new-3", true)));
  expect(conflicts(r)).toEqual([{ a: 1, b: 2 }]);
  expect([stored(r, 2), stored(r, 3)]).toEqual(["chosen-2", "new-3"]);
});

test("the same learned value again is a no-op: nothing persisted, nothing counted", () => {
  const r = withTwoLearned();
  r.send(learned(appendAction(1, 5, "chosen-1", true)));
  expect(r.persisted.at(-1)).toBe(0);
  expect(conflicts(r)).toEqual([]);
});

test("a write of another value to a learned position gets no reply, is counted, and is not stored; the learned value is still accepted", () => {
  const r = withTwoLearned();
  expect(r.send(write(3, 1, "poison"))).toEqual([]);
  expect(r.persisted.at(-1)).toBe(0);
  expect(conflicts(r)).toEqual([{ a: 1, b: 1 }]);
  expect(r.send(write(3, 1, "chosen-1"))).toMatchObject([{ type: ResponseType.ACCEPT }]);
  expect(stored(r, 1)).toBe("chosen-1");
  expect(conflicts(r)).toHaveLength(1);
});
