// Proves the in-memory store's index (dense arrays plus a sparse map) loads exactly what a plain per-position model of its records says: the last METADATA, the last ACTION of every live position in position order, then the live LEARN records, across erases, crashes and far-apart positions.
import { expect, test } from "bun:test";
import { MemoryStore } from "../../host/storage/memory.ts";
import { decodeRecords, encodeRecord, Kind, type Action, type StoredRecord } from "../../host/codec/index.ts";
import { Prng } from "../../host/sim/prng.ts";

type Rec = StoredRecord;

/** The store's contract, kept the simple way: decoded records by key. */
class Model {
  metadata: Rec | null = null;
  actions = new Map<number, Rec>();
  learns: { end: number; rec: Rec }[] = [];
  durable: Rec[][] = [];
  volatile: Rec[][] = [];
  persist(recs: Rec[], sync: boolean): void {
    this.volatile.push(recs);
    if (!sync) return;
    for (const batch of this.volatile) for (const r of batch) this.apply(r);
    this.volatile = [];
  }
  private apply(r: Rec): void {
    if (r.kind === Kind.Metadata) this.metadata = r;
    else if (r.kind === Kind.Action) this.actions.set(r.action.position, r);
    else if (r.kind === Kind.Learn) this.learns.push({ end: r.first + r.count, rec: r });
    else if (r.kind === Kind.Erase) {
      for (const p of [...this.actions.keys()]) if (p < r.to) this.actions.delete(p);
      this.learns = this.learns.filter((l) => l.end > r.to);
    }
  }
  load(): Rec[] {
    const out: Rec[] = this.metadata ? [this.metadata] : [];
    for (const p of [...this.actions.keys()].sort((a, b) => a - b)) out.push(this.actions.get(p)!);
    for (const l of this.learns) out.push(l.rec);
    for (const batch of this.volatile) out.push(...batch);
    return out;
  }
}

function action(position: number, tag: number): Rec {
  const a: Action = { position, promised: 1, performed: 1, learned: false, tombstone: false, type: 2, payload: new Uint8Array([tag & 255]) } as Action;
  return { kind: Kind.Action, action: a } as Rec;
}

test("memory store: dense and sparse positions load like the per-position model", () => {
  const prng = new Prng(7);
  for (let trial = 0; trial < 30; trial++) {
    const store = new MemoryStore();
    const model = new Model();
    const base = prng.chance(0.3) ? 2 ** 40 : 0;
    for (let op = 0; op < 300; op++) {
      const recs: Rec[] = [];
      for (let i = prng.int(1, 5); i > 0; i--) {
        const k = prng.int(0, 19);
        if (k < 14) recs.push(action(prng.chance(0.1) ? base + prng.int(0, 1 << 20) * 7 : base + prng.int(0, 300), op));
        else if (k < 16) recs.push({ kind: Kind.Erase, to: base + prng.int(0, 300) } as Rec);
        else if (k < 18) recs.push({ kind: Kind.Learn, proposal: 1, first: base + prng.int(0, 300), count: prng.int(1, 10) } as Rec);
        else recs.push({ kind: Kind.Metadata, status: 1, promised: op, fenceProposal: 0, fencePosition: 0 } as Rec);
      }
      const parts = recs.map((r) => encodeRecord(r));
      const blob = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      parts.reduce((at, p) => (blob.set(p, at), at + p.length), 0);
      const sync = !prng.chance(0.3);
      store.persist(blob, sync);
      model.persist(recs, sync);
      if (prng.chance(0.02)) {
        store.crash();
        model.volatile = [];
      }
      const loaded = store.load().flatMap((b) => decodeRecords(b));
      expect(loaded).toEqual(model.load().map((r) => decodeRecords(encodeRecord(r))[0]!));
    }
  }
});
