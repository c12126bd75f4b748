// The simulated network between replicas: per-link loss, duplication, delay (and so
// reordering), and partitions that may be one-way. Every choice is drawn from the seeded
// PRNG; time is the simulator's tick.
import type { Prng } from "./prng.ts";

export interface Faults {
  /** Probability that a message is lost. */
  loss: number;
  /** Probability that a message is delivered twice. */
  duplicate: number;
  /** Delivery delay in ticks, drawn in [min, max]; unequal delays reorder messages. */
  delayMin: number;
  delayMax: number;
}

export const NO_FAULTS: Faults = { loss: 0, duplicate: 0, delayMin: 0, delayMax: 0 };

export interface Envelope {
  from: number;
  to: number;
  bytes: Uint8Array;
}

export class SimNetwork {
  faults: Faults = { ...NO_FAULTS };
  /** Blocked directed links "from>to". */
  private blocked = new Set<string>();
  private queue = new Map<number, Envelope[]>();
  now = 0;
  sent = 0;
  dropped = 0;
  /** Scenario hook: return false to drop a message (e.g. only learned messages to one node). */
  filter: ((e: Envelope) => boolean) | null = null;

  constructor(private readonly prng: Prng) {}

  send(from: number, to: number, bytes: Uint8Array): void {
    this.sent++;
    const cut = this.blocked.has(`${from}>${to}`) || (this.filter !== null && !this.filter({ from, to, bytes }));
    if (cut || this.prng.chance(this.faults.loss)) {
      this.dropped++;
      return;
    }
    const copies = this.prng.chance(this.faults.duplicate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const at = this.now + this.prng.int(this.faults.delayMin, this.faults.delayMax);
      let bucket = this.queue.get(at);
      if (!bucket) this.queue.set(at, (bucket = []));
      bucket.push({ from, to, bytes });
    }
  }

  /** Messages due now, in a random order when the network reorders. */
  takeDue(): Envelope[] {
    const due = this.queue.get(this.now);
    if (!due || due.length === 0) return [];
    this.queue.delete(this.now);
    return this.faults.delayMax > this.faults.delayMin ? this.prng.shuffle(due) : due;
  }

  block(from: number, to: number): void {
    this.blocked.add(`${from}>${to}`);
  }

  unblock(from: number, to: number): void {
    this.blocked.delete(`${from}>${to}`);
  }

  isBlocked(from: number, to: number): boolean {
    return this.blocked.has(`${from}>${to}`);
  }

  /** Cuts a node off in both directions (or one: "in" = it hears nothing, "out" = nobody hears it). */
  isolate(node: number, others: number[], direction: "both" | "in" | "out" = "both"): void {
    for (const other of others) {
      if (other === node) continue;
      if (direction !== "in") this.block(node, other);
      if (direction !== "out") this.block(other, node);
    }
  }

  /** Splits the nodes into two sides; messages cross only where not blocked. */
  partition(side: number[], rest: number[], oneWay = false): void {
    for (const a of side) {
      for (const b of rest) {
        this.block(a, b);
        if (!oneWay) this.block(b, a);
      }
    }
  }

  heal(): void {
    this.blocked.clear();
  }

  /** Drops every message in flight to `node` (its process died with its sockets). */
  dropTo(node: number): void {
    for (const [at, bucket] of this.queue) this.queue.set(at, bucket.filter((e) => e.to !== node));
  }
}
