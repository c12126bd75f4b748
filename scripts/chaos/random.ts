// A small seeded generator (mulberry32) so a chaos run's fault schedule is a function of its
// printed seed alone: `npm run chaos -- --seed N` draws the same faults, targets and durations.
export class Random {
  private state: number;

  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`seed: expected a whole number below 2^32, got ${seed}`);
    this.state = seed >>> 0;
  }

  /** A stream of its own for another purpose (so the workload's draws never shift the nemesis's). */
  fork(salt: number): Random {
    return new Random((Math.imul(this.next32() ^ salt, 0x9e3779b1) >>> 0));
  }

  next32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** In [0, 1). */
  float(): number {
    return this.next32() / 2 ** 32;
  }

  /** A whole number in [low, high]. */
  int(low: number, high: number): number {
    return low + Math.floor(this.float() * (high - low + 1));
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("pick: no items");
    return items[this.int(0, items.length - 1)]!;
  }
}
