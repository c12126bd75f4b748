// Helpers shared by the Mesos scenario tests: a lone replica driven by hand-made messages
// (the test plays the coordinator, as Mesos's ReplicaTest does), and small predicates over
// cluster traffic.
import { LogCore, BROADCAST, type Notice } from "../../host/core.ts";
import { MemoryStore } from "../../host/storage/memory.ts";
import {
  decodeMessage, encodeMessage, encodeRecord, Kind, Status, type Message,
} from "../../host/codec/index.ts";
import type { Envelope } from "../../host/sim/network.ts";

/** Replica 1 of the ensemble {1, 2}; the test speaks as replica 2. */
export class LoneReplica {
  core: LogCore;
  /** Every notice the replica gave, in order. */
  readonly notices: Notice[] = [];
  /** Bytes of records it was asked to persist, per send (the last send's last). */
  persisted: number[] = [];
  constructor(readonly store: MemoryStore = new MemoryStore({ track: true }), status?: number) {
    if (status !== undefined) store.persist(encodeRecord({ kind: Kind.Metadata, status, promised: 0, fenceProposal: 0, fencePosition: 0 }), true);
    this.core = LoneReplica.boot(store);
    this.drain();
  }

  private static boot(store: MemoryStore): LogCore {
    const core = new LogCore({ nodeId: 1, quorum: 2, replicas: [1, 2], autoInitialize: false, seed: 7 });
    for (const blob of store.load()) core.restore(blob);
    core.start();
    return core;
  }

  /** Restarts the replica from its store (a process restart). */
  restart(): void {
    this.core = LoneReplica.boot(this.store);
    this.drain();
  }

  /** Sends one message as replica 2 and returns the replies addressed to replica 2. */
  send(m: Message): Message[] {
    const code = this.core.receive(2, encodeMessage(m));
    if (code !== 0) throw new Error(`receive returned ${code}`);
    return this.drain();
  }

  private drain(): Message[] {
    const replies: Message[] = [];
    let persisted = 0;
    for (let batch = this.core.ready(); batch; batch = this.core.ready()) {
      this.store.persist(batch.persist, batch.mustSync);
      persisted += batch.persist.length;
      this.notices.push(...batch.notices);
      for (const out of batch.messages) {
        if (out.to === 2 || out.to === BROADCAST) replies.push(decodeMessage(out.bytes));
      }
      this.core.advance();
    }
    this.persisted.push(persisted);
    return replies.filter((m) => m.kind !== Kind.RecoverRequest);
  }
}

export const VOTING = Status.VOTING;
export const EMPTY = Status.EMPTY;

/** Message kind of an envelope (its frame header). */
export function kindOf(e: Envelope): number {
  return e.bytes[1] ?? 0;
}

/** Learned broadcasts: full actions (fills) or a range (a coordinator's chosen round). */
export function isLearned(e: Envelope): boolean {
  return kindOf(e) === Kind.Learned || kindOf(e) === Kind.LearnedRange;
}

/** A filter dropping learned messages to `to` (Mesos: "learned messages were lost"). */
export function dropLearnedTo(to: number): (e: Envelope) => boolean {
  return (e) => !(e.to === to && isLearned(e));
}

export const text = (s: string) => new TextEncoder().encode(s);
