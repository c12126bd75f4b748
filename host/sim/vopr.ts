// One seeded simulation run (TigerBeetle's VOPR shape). Every knob is drawn from the seed
// ("swarm" testing): 3 or 5 replicas, message loss, duplication, delay and reordering,
// symmetric and one-way partitions, crashes that lose unsynced writes, crashes between a
// batch's early requests and its persist (the host's crash point), disk wipes, and
// several nodes contending to be the writer. The safety phase runs the faults with the
// checkers on every event; the liveness phase heals a full cluster, elects one writer,
// appends, catches every replica up and checks that they converge (L2, L3, S3).
import { Cluster } from "./cluster.ts";
import { Checker, SafetyViolation } from "./checkers.ts";
import { Prng } from "./prng.ts";
import { Status } from "../codec/index.ts";
import { NoticeKind } from "../core.ts";

export interface VoprOptions {
  seed: number;
  safetyTicks?: number;
  livenessTicks?: number;
  /** TEST ONLY: run every replica with the broken write rule. */
  mutationAcceptLowWrites?: boolean;
  /** TEST ONLY: the host sends responses before the persist too (and the send-time S5 checks are off). */
  mutationEarlyResponses?: boolean;
}

export interface VoprResult {
  seed: number;
  ok: boolean;
  violation?: string;
  replicas: number;
  ticks: number;
  acked: number;
  chosen: number;
  checks: number;
  crashes: number;
  /** Deaths at the crash point between a batch's early requests and its persist. */
  crashesBeforePersist: number;
  /** Requests of such lost batches that a live peer received anyway. */
  orphansDelivered: number;
  wipes: number;
  partitions: number;
  messages: number;
  dropped: number;
}

/** The seed's fault mix. */
interface Swarm {
  replicas: number;
  initialized: boolean;
  loss: number;
  duplicate: number;
  delayMax: number;
  crash: number;
  crashBeforePersist: number;
  wipe: number;
  partition: number;
  elect: number;
  append: number;
  truncate: number;
  demote: number;
  catchup: number;
}

function drawSwarm(prng: Prng): Swarm {
  return {
    replicas: prng.chance(0.6) ? 3 : 5,
    initialized: prng.chance(0.5),
    loss: prng.chance(0.7) ? prng.float() * 0.25 : 0,
    duplicate: prng.chance(0.5) ? prng.float() * 0.15 : 0,
    delayMax: prng.int(0, 8),
    crash: prng.float() * 0.006,
    crashBeforePersist: prng.chance(0.7) ? prng.float() * 0.03 : 0,
    wipe: prng.chance(0.5) ? prng.float() * 0.002 : 0,
    partition: prng.float() * 0.006,
    elect: 0.002 + prng.float() * 0.02,
    append: 0.1 + prng.float() * 0.5,
    truncate: prng.float() * 0.01,
    demote: prng.float() * 0.002,
    catchup: prng.float() * 0.004,
  };
}

export function runSeed(options: VoprOptions): VoprResult {
  const prng = new Prng(options.seed);
  const swarm = drawSwarm(prng);
  const cluster = new Cluster({
    replicas: swarm.replicas,
    initialized: swarm.initialized,
    autoInitialize: true,
    seed: prng.u32(),
    track: true,
    mutationAcceptLowWrites: options.mutationAcceptLowWrites ?? false,
    mutationEarlyResponses: options.mutationEarlyResponses ?? false,
    crashBeforePersist: swarm.crashBeforePersist,
  });
  const checker = new Checker(cluster, { replyChecks: !options.mutationEarlyResponses });
  cluster.observer = checker;
  const run = new Run(cluster, checker, prng, swarm);
  const result: VoprResult = {
    seed: options.seed, ok: true, replicas: swarm.replicas, ticks: 0, acked: 0, chosen: 0, checks: 0,
    crashes: 0, crashesBeforePersist: 0, orphansDelivered: 0, wipes: 0, partitions: 0, messages: 0, dropped: 0,
  };
  try {
    cluster.startAll();
    run.safety(options.safetyTicks ?? 800);
    run.liveness(options.livenessTicks ?? 6000);
  } catch (e) {
    result.ok = false;
    result.violation = e instanceof SafetyViolation ? e.message : `${(e as Error).name}: ${(e as Error).message}`;
  }
  Object.assign(result, run.counts, {
    ticks: cluster.now,
    acked: checker.acked.size,
    chosen: checker.chosen.size,
    checks: checker.checks,
    messages: cluster.network.sent,
    dropped: cluster.network.dropped,
    crashesBeforePersist: cluster.counts.crashesBeforePersist,
    orphansDelivered: cluster.counts.orphansDelivered,
  });
  return result;
}

class Run {
  readonly counts = { crashes: 0, wipes: 0, partitions: 0 };
  private seq = 0;
  private downUntil = new Map<number, number>();

  constructor(
    private readonly c: Cluster,
    private readonly checker: Checker,
    private readonly prng: Prng,
    private readonly swarm: Swarm,
  ) {}

  safety(ticks: number): void {
    const s = this.swarm;
    this.c.network.faults = { loss: s.loss, duplicate: s.duplicate, delayMin: 0, delayMax: s.delayMax };
    for (let t = 0; t < ticks; t++) {
      this.faults();
      this.workload();
      this.c.tick();
    }
  }

  private faults(): void {
    const { c, prng, swarm } = this;
    for (const node of c.nodes) {
      const until = this.downUntil.get(node.id);
      if (!node.alive && until === undefined) {
        this.downUntil.set(node.id, c.now + prng.int(5, 300)); // died at the crash point
      } else if (!node.alive && until !== undefined && c.now >= until) {
        this.downUntil.delete(node.id);
        c.start(node.id);
      } else if (node.alive && prng.chance(swarm.crash)) {
        c.crash(node.id);
        this.counts.crashes++;
        this.downUntil.set(node.id, c.now + prng.int(5, 300));
      } else if (node.alive && prng.chance(swarm.wipe) && this.othersVoting(node.id)) {
        c.wipe(node.id);
        this.counts.wipes++;
        this.downUntil.set(node.id, c.now + prng.int(5, 100));
      }
    }
    if (prng.chance(swarm.partition)) this.partition();
    if (prng.chance(0.01)) c.network.heal();
  }

  /** A disk may be lost only while every other replica votes (one wipe at a time). */
  private othersVoting(id: number): boolean {
    return this.c.nodes.every((n) => n.id === id || n.store.view?.status === Status.VOTING);
  }

  private partition(): void {
    const { c, prng } = this;
    this.counts.partitions++;
    const ids = prng.shuffle([...c.ids]);
    const cut = prng.int(1, ids.length - 1);
    const shape = prng.int(0, 2);
    if (shape === 0) c.network.partition(ids.slice(0, cut), ids.slice(cut), false);
    else if (shape === 1) c.network.partition(ids.slice(0, cut), ids.slice(cut), true); // one-way
    else c.network.isolate(ids[0]!, c.ids, prng.pick(["both", "in", "out"] as const));
  }

  private workload(): void {
    const { c, prng, swarm } = this;
    // Any call may kill the node at the crash point: re-check it lives before the next.
    for (const node of c.nodes) {
      if (!node.alive) continue;
      if (node.elected === null && prng.chance(swarm.elect)) c.elect(node.id);
      if (node.alive && node.elected !== null) {
        if (prng.chance(swarm.append)) this.appendBurst(node.id, prng.int(1, 4));
        if (prng.chance(swarm.truncate) && node.alive) this.truncate(node.id);
        if (prng.chance(swarm.demote) && node.alive) c.demote(node.id);
      } else if (node.alive && node.status === Status.VOTING && prng.chance(swarm.catchup)) {
        c.catchup(node.id);
      }
    }
  }

  /** Replicas that may stay down: a minority whose absence leaves a VOTING quorum on disk. */
  private minorityOut(): number[] {
    const { c, prng } = this;
    const minority = c.ids.length - c.quorum;
    const out: number[] = [];
    for (const id of prng.shuffle([...c.ids])) {
      if (out.length >= minority) break;
      const rest = c.nodes.filter((n) => n.id !== id && !out.includes(n.id));
      if (rest.filter((n) => n.store.view?.status === Status.VOTING).length >= c.quorum) out.push(id);
    }
    return out.slice(0, prng.int(1, Math.max(1, out.length)));
  }

  private appendBurst(id: number, count: number): void {
    const node = this.c.node(id);
    for (let i = 0; i < count && node.elected; i++) {
      const payload = `n${id}.p${node.elected.proposal}.${this.seq++}`;
      const requestId = this.c.append(id, payload);
      this.checker.propose(requestId, payload);
    }
  }

  private truncate(id: number): void {
    const acked = [...this.checker.acked.keys()];
    if (acked.length < 4) return;
    const to = Math.max(...acked) - this.prng.int(2, 20);
    if (to > 0) this.c.truncate(id, to);
  }

  /**
   * Heals a core of replicas — everyone, or (half the seeds) all but a minority left down —
   * and requires it to converge: every core replica VOTING (L2), one writer elected and
   * appending (L1), every core replica caught up to the same learned log (L3, S3).
   */
  liveness(budget: number): void {
    const c = this.c;
    const deadline = c.now + budget;
    c.crashBeforePersist = 0;
    c.network.heal();
    c.network.faults = { loss: 0, duplicate: 0, delayMin: 0, delayMax: 2 };
    const out = this.prng.chance(0.5) ? this.minorityOut() : [];
    for (const id of out) if (c.node(id).alive) c.crash(id);
    const core = c.nodes.filter((n) => !out.includes(n.id));
    for (const node of core) if (!node.alive) c.start(node.id);
    for (const node of core) c.demote(node.id);
    const left = () => Math.max(0, deadline - c.now);
    if (!c.runUntil(() => core.every((n) => n.status === Status.VOTING), left())) {
      throw new SafetyViolation(`L2: not every core replica reached VOTING by tick ${c.now}: ${core.map((n) => n.status)}`);
    }
    // One writer: elect it and append a final entry; a stale fill can still demote it
    // once, so the writer retries as a registrar would (elect again, append again).
    const leader = core[0]!.id;
    let final: number | null | undefined = null;
    for (let attempt = 0; attempt < 10 && typeof final !== "number" && left() > 0; attempt++) {
      c.elect(leader);
      if (c.awaitElected(leader, left()) === undefined) continue;
      const payload = `n${leader}.p${c.node(leader).elected!.proposal}.final${attempt}`;
      const requestId = c.append(leader, payload);
      this.checker.propose(requestId, payload);
      final = c.await(leader, requestId, left());
    }
    if (typeof final !== "number") throw new SafetyViolation(`L1: no final append acknowledged by tick ${c.now}`);
    // A barrier entry after the final one: catch-up stops one short of the end (so as not
    // to demote the writer), and a replica that refused the final write still gets it. A
    // replica holding a higher promise can demote the writer here too: elect again, retry.
    let barrier: number | null | undefined = null;
    for (let attempt = 0; attempt < 10 && typeof barrier !== "number" && left() > 0; attempt++) {
      if (!c.node(leader).elected) c.elect(leader);
      if (c.awaitElected(leader, left()) === undefined) continue;
      const payload = `n${leader}.p${c.node(leader).elected!.proposal}.barrier${attempt}`;
      const requestId = c.append(leader, payload);
      this.checker.propose(requestId, payload);
      barrier = c.await(leader, requestId, left());
    }
    if (typeof barrier !== "number") throw new SafetyViolation(`L1: no barrier append acknowledged by tick ${c.now}`);
    // Reader catch-up on every other replica. It answers none while an earlier catch-up is
    // still running, or when the log holds a single position; then try again a bit later.
    for (const node of core) {
      if (node.id === leader) continue;
      let done = false;
      for (let attempt = 0; attempt < 20 && !done && left() > 0; attempt++) {
        done = typeof c.await(node.id, c.catchup(node.id), left()) === "number";
        if (!done) c.run(Math.min(50, left()));
      }
    }
    c.run(20);
    this.checker.checkConverged(final, core);
    if (c.nodes.some((n) => n.notices.some((x) => x.kind === NoticeKind.InitNeeded))) {
      throw new SafetyViolation("auto-initialisation was asked for although it is enabled");
    }
  }
}
