// Proves recovery of non-VOTING replicas and catch-up (reference §3.8, §3.9) on the WASM
// core, mirroring Mesos's RecoverTest.* and LogTest.ReaderCatchup.
import { describe, expect, test } from "bun:test";
import { Cluster } from "../../host/sim/cluster.ts";
import { bounds, read, readAppends } from "../../host/log/reader.ts";
import { Kind, Status, decodeMessage } from "../../host/codec/index.ts";
import { NoticeKind } from "../../host/core.ts";
import { dropLearnedTo, isLearned, kindOf } from "./harness.ts";

const view = (c: Cluster, id: number) => c.node(id).store.snapshot();
const voting = (c: Cluster, ids: number[]) => () => ids.every((id) => c.node(id).status === Status.VOTING);

function appendAll(c: Cluster, id: number, count: number): void {
  const ids = Array.from({ length: count }, (_, i) => c.append(id, `entry-${i + 1}`));
  for (const r of ids) expect(c.await(id, r)).toBeGreaterThan(0);
}

describe("RecoverTest", () => {
  test("RecoverTest.RacingCatchup", () => {
    const c = new Cluster({ replicas: 5, quorum: 3, initialized: true, emptyIds: [4, 5] }).startAll();
    c.network.isolate(4, c.ids);
    c.network.isolate(5, c.ids);
    c.elect(1);
    c.awaitElected(1);
    appendAll(c, 1, 10);
    c.network.heal();
    expect(c.runUntil(voting(c, [4, 5]), 5000)).toBe(true);
    for (const id of [4, 5]) expect(readAppends(view(c, id), 1, 10)).toHaveLength(10);
    c.crash(1);
    c.elect(4);
    expect(c.awaitElected(4)).toBe(10);
    expect(c.await(4, c.append(4, "eleven"))).toBe(11);
  });

  test("RecoverTest.CatchupRetry", () => {
    // The recovering replica's fill writes are lost for longer than the 10 s fill timeout:
    // each fill restarts with a higher proposal, and recovery completes once writes flow.
    // The helpers never learned the entries (learned messages lost), so every fill must
    // write; replica 1, which learned them, is gone.
    const c = new Cluster({ replicas: 5, quorum: 3, initialized: true, emptyIds: [5] }).startAll();
    c.network.isolate(5, c.ids);
    c.network.filter = (e) => !(e.to !== 5 && isLearned(e));
    c.elect(1);
    c.awaitElected(1);
    appendAll(c, 1, 10);
    c.crash(1);
    c.network.heal();
    const proposals: number[] = [];
    c.network.filter = (e) => {
      if (e.from === 5 && kindOf(e) === Kind.PromiseRequest) {
        const m = decodeMessage(e.bytes);
        if (m.kind === Kind.PromiseRequest && m.explicit && m.position === 5) proposals.push(m.proposal);
      }
      return !(e.from === 5 && kindOf(e) === Kind.WriteRequest);
    };
    c.run(1100);
    expect(c.node(5).status).toBe(Status.RECOVERING);
    c.network.filter = null;
    expect(c.runUntil(voting(c, [5]), 3000)).toBe(true);
    expect(proposals.length).toBeGreaterThan(1);
    const attempts = [...new Set(proposals)]; // one broadcast reaches four replicas
    expect(attempts.length).toBeGreaterThan(2); // rejected at 0, then timed out at least once
    expect(attempts.every((p, i) => i === 0 || p > attempts[i - 1]!)).toBe(true);
    expect(readAppends(view(c, 5), 1, 10)).toHaveLength(10);
  });

  test("RecoverTest.RecoverProtocolRetry", () => {
    const c = new Cluster({ replicas: 3, quorum: 2, initialized: true, emptyIds: [3], autoInitialize: false });
    c.start(1);
    c.start(3); // replica 2 is down: only one VOTING replica answers
    let recoverRequests = 0;
    c.observer = { onSend: (n, _to, bytes) => { if (n.id === 3 && bytes[1] === Kind.RecoverRequest) recoverRequests++; } };
    c.run(2500);
    expect(c.node(3).status).toBe(Status.EMPTY);
    const rounds = recoverRequests;
    expect(rounds).toBeGreaterThan(4);
    c.start(2);
    expect(c.runUntil(voting(c, [3]), 3000)).toBe(true);
  });

  test("RecoverTest.AutoInitialization", () => {
    const c = new Cluster({ replicas: 3, quorum: 2, autoInitialize: true }).startAll();
    expect(c.runUntil(voting(c, [1, 2, 3]), 3000)).toBe(true);
    c.elect(1);
    c.awaitElected(1);
    expect(c.await(1, c.append(1, "first"))).toBe(1);
  });

  test("RecoverTest.AutoInitializationRetry", () => {
    const c = new Cluster({ replicas: 3, quorum: 2, autoInitialize: true });
    c.start(1);
    c.start(2);
    c.run(1500);
    // Two of three cannot initialise: it needs all 2·quorum−1 replicas.
    expect(c.node(1).status).not.toBe(Status.VOTING);
    expect(c.node(2).status).not.toBe(Status.VOTING);
    c.start(3);
    expect(c.runUntil(voting(c, [1, 2, 3]), 3000)).toBe(true);
    c.elect(2);
    c.awaitElected(2);
    expect(c.await(2, c.append(2, "first"))).toBe(1);
  });

  test("auto-initialisation disabled: all EMPTY asks for `mesos-log initialize`", () => {
    const c = new Cluster({ replicas: 3, quorum: 2, autoInitialize: false }).startAll();
    c.run(300);
    expect(c.nodes.every((n) => n.status === Status.EMPTY)).toBe(true);
    expect(c.node(1).notices.some((n) => n.kind === NoticeKind.InitNeeded)).toBe(true);
  });

  test("RecoverTest.CatchupTruncated", () => {
    // Replica 2 missed the learned truncate, so the VOTING quorum's lowest begin is stale (0).
    const c = new Cluster({ replicas: 3, quorum: 2, initialized: true, emptyIds: [3] }).startAll();
    c.network.isolate(3, c.ids);
    c.elect(1);
    c.awaitElected(1);
    appendAll(c, 1, 9);
    c.network.filter = dropLearnedTo(2);
    expect(c.await(1, c.truncate(1, 5))).toBe(10);
    c.network.filter = null;
    c.network.heal();
    expect(c.runUntil(voting(c, [3]), 5000)).toBe(true);
    expect(bounds(view(c, 3))).toEqual({ begin: 5, end: 10 });
    c.restart(3);
    expect(c.runUntil(voting(c, [3]), 100)).toBe(true);
    expect(bounds(view(c, 3))).toEqual({ begin: 5, end: 10 });
    expect(readAppends(view(c, 3), 5, 10)).toEqual(["entry-5", "entry-6", "entry-7", "entry-8", "entry-9"]);
  });

  for (const gap of [false, true]) {
    test(gap ? "RecoverTest.CatchupVotingWithGap" : "RecoverTest.CatchupVoting", () => {
      const c = new Cluster({ replicas: 3, quorum: 2, initialized: true }).startAll();
      c.elect(1);
      c.awaitElected(1);
      if (gap) appendAll(c, 1, 3); // replica 3 has 1..3, then misses the rest
      c.network.isolate(3, c.ids);
      appendAll(c, 1, gap ? 6 : 9);
      expect(c.await(1, c.truncate(1, 5))).toBe(10);
      expect(c.await(1, c.append(1, "tail"))).toBe(11);
      c.network.heal();
      const r = c.catchup(3);
      expect(c.await(3, r, 5000)).toBe(10);
      expect(bounds(view(c, 3)).begin).toBe(5);
      expect(read(view(c, 3), 5, 10)).toHaveLength(6);
      expect(c.node(3).status).toBe(Status.VOTING);
    });
  }

  test("RecoverTest.CatchupVotingOnePosition", () => {
    const c = new Cluster({ replicas: 3, quorum: 2, initialized: true }).startAll();
    const r = c.catchup(3);
    c.runUntil(() => c.result(3, r) !== undefined, 1000);
    expect(c.result(3, r)?.status).toBe(0); // begin == end: only one position known
  });
});

describe("LogTest", () => {
  test("LogTest.ReaderCatchup", () => {
    const c = new Cluster({ replicas: 3, quorum: 2, initialized: true }).startAll();
    c.network.isolate(3, c.ids);
    c.elect(1);
    c.awaitElected(1);
    appendAll(c, 1, 10);
    c.network.heal();
    expect(c.await(3, c.catchup(3), 5000)).toBe(9);
    expect(readAppends(view(c, 3), 1, 9)).toHaveLength(9); // the last position is skipped
    expect(() => read(view(c, 3), 10, 10)).toThrow();
  });
});
