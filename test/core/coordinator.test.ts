// Proves the coordinator (election, fill, append, truncate, demotion; reference §3.7) on
// the WASM core over the simulated network, mirroring Mesos's CoordinatorTest.*.
import { describe, expect, test } from "bun:test";
import { Cluster } from "../../host/sim/cluster.ts";
import { read, readAppends, bounds } from "../../host/log/reader.ts";
import { ActionType, Kind } from "../../host/codec/index.ts";
import { NoticeKind } from "../../host/core.ts";
import { dropLearnedTo } from "./harness.ts";

/** Two VOTING replicas, quorum 2, as most Mesos coordinator tests use. */
const pair = () => new Cluster({ replicas: 2, quorum: 2, initialized: true }).startAll();
const view = (c: Cluster, id: number) => c.node(id).store.snapshot();

function appendAll(c: Cluster, id: number, count: number, prefix = "entry"): (number | null | undefined)[] {
  const ids = Array.from({ length: count }, (_, i) => c.append(id, `${prefix}-${i + 1}`));
  return ids.map((r) => c.await(id, r));
}

describe("CoordinatorTest", () => {
  test("CoordinatorTest.Elect", () => {
    const c = pair();
    c.elect(1);
    expect(c.awaitElected(1)).toBe(0);
    const actions = read(view(c, 1), 0, 0);
    expect(actions.map((a) => a.type)).toEqual([ActionType.NOP]);
  });

  test("CoordinatorTest.ElectWithClockPaused", () => {
    const c = pair();
    c.elect(1);
    c.settle(); // messages flow, but no tick passes: election needs no timer
    expect(c.now).toBe(0);
    expect(c.node(1).elected?.position).toBe(0);
  });

  test("CoordinatorTest.AppendRead", () => {
    const c = pair();
    c.elect(1);
    c.awaitElected(1);
    expect(c.await(1, c.append(1, "hello world"))).toBe(1);
    expect(readAppends(view(c, 1), 1, 1)).toEqual(["hello world"]);
  });

  test("CoordinatorTest.AppendReadError", () => {
    const c = pair();
    c.elect(1);
    c.awaitElected(1);
    const position = c.await(1, c.append(1, "hello world"))!;
    expect(() => read(view(c, 1), position + 1, position + 2)).toThrow("Bad read range (past end of log)");
  });

  test("CoordinatorTest.AppendDiscarded", () => {
    const c = pair();
    c.elect(1);
    c.awaitElected(1);
    c.crash(2);
    const pending = c.append(1, "hello world");
    c.run(100);
    expect(c.result(1, pending)).toBeUndefined();
    c.demote(1); // the writer discards the append
    expect(c.result(1, pending)?.status).toBe(0);
    expect(c.await(1, c.append(1, "hello moto"))).toBeNull(); // demoted: none
  });

  test("CoordinatorTest.ElectNoQuorum", () => {
    const c = pair();
    c.crash(2);
    c.elect(1);
    c.run(1000);
    expect(c.node(1).elected).toBeNull();
    expect(c.node(1).notices.some((n) => n.kind === NoticeKind.ElectFailed)).toBe(true);
    c.start(2);
    expect(c.awaitElected(1)).toBe(0);
  });

  test("CoordinatorTest.AppendNoQuorum", () => {
    const c = pair();
    c.elect(1);
    c.awaitElected(1);
    c.crash(2);
    const pending = c.append(1, "hello world");
    c.run(1000);
    expect(c.result(1, pending)).toBeUndefined();
    c.start(2);
    expect(c.await(1, pending)).toBe(1); // retransmitted write reaches the quorum
  });

  test("CoordinatorTest.Failover", () => {
    const c = pair();
    c.elect(1);
    c.awaitElected(1);
    expect(c.await(1, c.append(1, "hello world"))).toBe(1);
    c.elect(2);
    expect(c.awaitElected(2)).toBe(1);
    expect(readAppends(view(c, 2), 1, 1)).toEqual(["hello world"]);
  });

  test("CoordinatorTest.Demoted", () => {
    const c = pair();
    c.elect(1);
    c.awaitElected(1);
    expect(c.await(1, c.append(1, "hello world"))).toBe(1);
    c.elect(2);
    expect(c.awaitElected(2)).toBe(1);
    expect(c.await(1, c.append(1, "hello moto"))).toBeNull();
    expect(c.node(1).elected).toBeNull();
    expect(c.await(2, c.append(2, "hello hello"))).toBe(2);
    expect(readAppends(view(c, 2), 2, 2)).toEqual(["hello hello"]);
  });

  for (const learnedLost of [false, true]) {
    const name = learnedLost ? "CoordinatorTest.NotLearnedFill" : "CoordinatorTest.Fill";
    test(name, () => {
      // Replicas 1 and 2 hold the entry; replica 3 is new. Its coordinator's first election
      // is rejected (its proposal is too low), the retry wins and fills the entry.
      const c = new Cluster({ replicas: 3, quorum: 2, initialized: true }).startAll();
      c.network.isolate(3, c.ids);
      if (learnedLost) c.network.filter = dropLearnedTo(2);
      c.elect(1);
      c.awaitElected(1);
      expect(c.await(1, c.append(1, "hello world"))).toBe(1);
      if (learnedLost) expect(view(c, 2).actions.get(1)?.learned).toBe(false);
      c.crash(1);
      c.network.heal();
      c.network.filter = null;
      c.elect(3);
      expect(c.awaitElected(3)).toBe(1);
      expect(c.node(3).notices.some((n) => n.kind === NoticeKind.ElectFailed && n.a === 2)).toBe(true);
      expect(readAppends(view(c, 3), 1, 1)).toEqual(["hello world"]);
    });
  }

  for (const learnedLost of [false, true]) {
    const name = learnedLost ? "CoordinatorTest.MultipleAppendsNotLearnedFill" : "CoordinatorTest.MultipleAppends";
    test(name, () => {
      const c = pair();
      if (learnedLost) c.network.filter = dropLearnedTo(2);
      c.elect(1);
      c.awaitElected(1);
      expect(appendAll(c, 1, 10)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      c.network.filter = null;
      c.elect(2);
      expect(c.awaitElected(2)).toBe(10);
      expect(readAppends(view(c, 2), 1, 10)).toEqual(Array.from({ length: 10 }, (_, i) => `entry-${i + 1}`));
    });
  }

  for (const mode of ["Truncate", "TruncateNotLearnedFill", "TruncateLearnedFill"] as const) {
    test(`CoordinatorTest.${mode}`, () => {
      const c = pair();
      if (mode === "TruncateNotLearnedFill") c.network.filter = dropLearnedTo(2);
      c.elect(1);
      c.awaitElected(1);
      expect(appendAll(c, 1, 10)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(c.await(1, c.truncate(1, 7))).toBe(11);
      let reader = 1;
      if (mode !== "Truncate") {
        c.network.filter = null;
        c.elect(2);
        expect(c.awaitElected(2)).toBe(11);
        reader = 2;
      }
      expect(() => read(view(c, reader), 6, 10)).toThrow("Bad read range (truncated position)");
      expect(readAppends(view(c, reader), 7, 10)).toEqual(["entry-7", "entry-8", "entry-9", "entry-10"]);
      expect(bounds(view(c, reader)).begin).toBe(7);
    });
  }

  test("CoordinatorTest.RecoveryRace", () => {
    // All replicas start EMPTY; one is cut off, so auto-initialisation cannot finish and
    // every election is IGNORED. Once it rejoins they reach VOTING and the election wins.
    const c = new Cluster({ replicas: 3, quorum: 2, autoInitialize: true }).startAll();
    c.network.isolate(3, c.ids);
    c.elect(1);
    c.run(300);
    expect(c.node(1).elected).toBeNull();
    expect(c.node(1).notices.some((n) => n.kind === NoticeKind.ElectFailed && n.a === 1)).toBe(true);
    c.network.heal();
    expect(c.awaitElected(1, 5000)).toBe(0);
    expect(c.await(1, c.append(1, "after race"))).toBe(1);
  });

  test("a truncate beyond its own position is refused", () => {
    const c = pair();
    c.elect(1);
    c.awaitElected(1);
    const r = c.truncate(1, 99);
    c.runUntil(() => c.result(1, r) !== undefined, 100);
    expect(c.result(1, r)?.status).toBe(2);
  });

  test("batched and pipelined appends land in order, one write round per batch", () => {
    const c = pair();
    c.elect(1);
    c.awaitElected(1);
    let writeRequests = 0;
    c.observer = { onSend: (_n, _to, bytes) => { if (bytes[1] === Kind.WriteRequest) writeRequests++; } };
    const ids = Array.from({ length: 3000 }, (_, i) => c.append(1, `b${i}`));
    c.runUntil(() => ids.every((id) => c.result(1, id) !== undefined), 100);
    expect(ids.map((id) => c.result(1, id)?.position)).toEqual(ids.map((_, i) => i + 1));
    expect(writeRequests).toBeLessThan(3000 / 10);
    expect(readAppends(view(c, 2), 2999, 3000)).toEqual(["b2998", "b2999"]);
  });
});
