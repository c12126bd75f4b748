// Proves the hard cases Mesos declares in log_tests.cpp but leaves empty: racing elections,
// fills without a quorum, fills over inconsistent replicas, and a value learned on one
// replica but not another (also when that other one fails and recovers).
import { describe, expect, test } from "bun:test";
import { Cluster } from "../../host/sim/cluster.ts";
import { readAppends } from "../../host/log/reader.ts";
import { Kind, Status, decodeMessage } from "../../host/codec/index.ts";
import { dropLearnedTo, kindOf } from "./harness.ts";

const view = (c: Cluster, id: number) => c.node(id).store.snapshot();
const three = () => new Cluster({ replicas: 3, quorum: 2, initialized: true }).startAll();

describe("CoordinatorTest placeholders", () => {
  test("CoordinatorTest.RacingElect", () => {
    const c = three();
    c.network.faults = { loss: 0, duplicate: 0, delayMin: 1, delayMax: 4 };
    c.elect(1);
    c.elect(2);
    c.elect(3);
    // Each may win for a while and be demoted by a higher proposal; at most one stays.
    c.runUntil(() => c.nodes.some((n) => n.elected !== null), 3000);
    c.run(200);
    const leaders = c.nodes.filter((n) => n.elected !== null);
    expect(leaders.length).toBeGreaterThanOrEqual(1);
    // Whoever still believes it leads: only the highest proposal's appends succeed.
    const outcomes = leaders.map((n) => ({ id: n.id, proposal: n.elected!.proposal, r: c.append(n.id, `from-${n.id}`) }));
    for (const o of outcomes) c.runUntil(() => c.result(o.id, o.r) !== undefined, 2000);
    const won = outcomes.filter((o) => c.result(o.id, o.r)?.status === 1);
    expect(won.length).toBe(1);
    const top = Math.max(...outcomes.map((o) => o.proposal));
    expect(won[0]!.proposal).toBe(top);
  });

  test("CoordinatorTest.FillNoQuorum", () => {
    const c = three();
    c.network.filter = dropLearnedTo(2);
    c.network.isolate(3, c.ids);
    c.elect(1);
    c.awaitElected(1);
    expect(c.await(1, c.append(1, "unlearned on 2"))).toBe(1);
    c.crash(1);
    c.network.heal();
    // Replica 3 can win the implicit promise with replica 2, but its fill of position 1
    // never reaches a quorum while explicit promises are lost: it must not claim election.
    c.network.filter = (e) => {
      if (kindOf(e) !== Kind.PromiseRequest) return true;
      const m = decodeMessage(e.bytes);
      return !(m.kind === Kind.PromiseRequest && m.explicit);
    };
    c.elect(3);
    c.run(1500);
    expect(c.node(3).elected).toBeNull();
    c.network.filter = null;
    expect(c.awaitElected(3)).toBe(1);
    expect(readAppends(view(c, 3), 1, 1)).toEqual(["unlearned on 2"]);
  });

  test("CoordinatorTest.FillInconsistent", () => {
    // Position 1 holds "A" (proposal p1, only on replica 1, never chosen) and "B" (p2 > p1,
    // chosen on 2 and 3). A later fill that sees both must keep "B": the highest performed.
    const c = three();
    c.elect(1);
    c.awaitElected(1);
    c.network.isolate(1, c.ids);
    const lost = c.append(1, "A");
    c.run(50);
    expect(c.result(1, lost)).toBeUndefined();
    expect(view(c, 1).actions.get(1)?.learned).toBe(false);
    c.crash(1);
    c.network.heal();
    c.elect(2);
    expect(c.awaitElected(2)).toBe(0);
    expect(c.await(2, c.append(2, "B"))).toBe(1);
    c.start(1);
    c.network.isolate(3, c.ids); // the fill's quorum is {1, 2}: it sees "A" and "B"
    c.elect(1);
    expect(c.awaitElected(1)).toBe(1);
    expect(readAppends(view(c, 1), 1, 1)).toEqual(["B"]);
    c.network.heal();
    c.network.isolate(2, c.ids); // and with {1, 3}
    c.crash(1);
    c.start(1);
    c.elect(1);
    c.awaitElected(1);
    expect(readAppends(view(c, 1), 1, 1)).toEqual(["B"]);
  });
});

describe("LogTest placeholders", () => {
  test("LearnedOnOneReplica_NotLearnedOnAnother", () => {
    const c = three();
    c.network.filter = dropLearnedTo(2);
    c.network.isolate(3, c.ids);
    c.elect(1);
    c.awaitElected(1);
    expect(c.await(1, c.append(1, "v"))).toBe(1);
    expect(view(c, 1).actions.get(1)?.learned).toBe(true);
    expect(view(c, 2).actions.get(1)?.learned).toBe(false);
    c.network.filter = null;
    c.network.heal();
    c.elect(2);
    expect(c.awaitElected(2)).toBe(1);
    for (const id of [1, 2]) expect(readAppends(view(c, id), 1, 1)).toEqual(["v"]);
    expect(c.await(2, c.append(2, "w"))).toBe(2);
  });

  test("LearnedOnOneReplica_NotLearnedOnAnother_AnotherFailsAndRecovers", () => {
    const c = three();
    c.network.filter = dropLearnedTo(2);
    c.elect(1);
    c.awaitElected(1);
    expect(c.await(1, c.append(1, "v"))).toBe(1);
    c.network.filter = null;
    c.wipe(2); // the replica that never learned it loses its disk and comes back EMPTY
    c.start(2);
    expect(c.runUntil(() => c.node(2).status === Status.VOTING, 3000)).toBe(true);
    expect(readAppends(view(c, 2), 1, 1)).toEqual(["v"]);
    c.crash(1);
    c.elect(2);
    expect(c.awaitElected(2)).toBe(1);
    expect(c.await(2, c.append(2, "w"))).toBe(2);
    expect(readAppends(view(c, 3), 2, 2).length + readAppends(view(c, 2), 1, 2).length).toBe(3);
  });
});
