// The replica's actions by position. The live log is nearly always one dense run of
// positions [begin, end], so actions sit in an array indexed by position − base (a lookup
// is an index, not a hash probe — the write path does several per entry). Positions far
// outside the dense run (a sparse log: Mesos's TruncateWithManyHoles, positions near 2^53)
// go to a map. Truncation drops a prefix of the array in O(dropped).
import { Action } from "./action";
import { DENSE_SLACK_POSITIONS } from "../util/limits";

export class ActionStore {
  /** Position of dense[head]. */
  private base: u64 = 0;
  private head: i32 = 0;
  private dense: Array<Action | null> = [];
  private sparse: Map<u64, Action> = new Map();
  size: i32 = 0;

  get(position: u64): Action | null {
    if (position >= this.base) {
      const offset = position - this.base;
      if (offset < <u64>(this.dense.length - this.head)) return unchecked(this.dense[this.head + <i32>offset]);
    }
    if (this.sparse.size == 0 || !this.sparse.has(position)) return null;
    return this.sparse.get(position);
  }

  set(position: u64, a: Action): void {
    assert(a.position == position, "ActionStore.set: position mismatch");
    if (this.size == 0 && this.sparse.size == 0) this.reset_base(position);
    const live = this.dense.length - this.head;
    if (position >= this.base && position - this.base == <u64>live && this.sparse.size == 0) {
      this.dense.push(a); // the common case: the next position of the dense run
      this.size++;
      return;
    }
    if (position >= this.base && position - this.base < <u64>(live + DENSE_SLACK_POSITIONS)) {
      const offset = <i32>(position - this.base);
      while (this.dense.length - this.head <= offset) this.grow();
      const slot = this.head + offset;
      if (unchecked(this.dense[slot]) == null) this.size++;
      unchecked((this.dense[slot] = a));
      return;
    }
    if (!this.sparse.has(position)) this.size++;
    this.sparse.set(position, a);
  }

  /** Adds one dense slot at the end, moving in a sparse action that already holds it. */
  private grow(): void {
    const position = this.base + <u64>(this.dense.length - this.head);
    if (this.sparse.size > 0 && this.sparse.has(position)) {
      this.dense.push(this.sparse.get(position));
      this.sparse.delete(position);
      return;
    }
    this.dense.push(null);
  }

  private reset_base(position: u64): void {
    this.dense = [];
    this.head = 0;
    this.base = position;
  }

  /** Removes every action below `to`, calling back for learned ones (for counters). */
  delete_below(to: u64): i32 {
    let learned_removed = 0;
    while (this.head < this.dense.length && this.base < to) {
      const a = unchecked(this.dense[this.head]);
      if (a != null) {
        this.size--;
        if (a.learned) learned_removed++;
      }
      unchecked((this.dense[this.head] = null));
      this.head++;
      this.base++;
    }
    if (this.head > 4096 && this.head * 2 > this.dense.length) {
      this.dense = this.dense.slice(this.head);
      this.head = 0;
    }
    if (this.sparse.size > 0) {
      const keys = this.sparse.keys();
      for (let i = 0; i < keys.length; i++) {
        const p = unchecked(keys[i]);
        if (p >= to) continue;
        if (this.sparse.get(p).learned) learned_removed++;
        this.sparse.delete(p);
        this.size--;
      }
    }
    if (this.head == this.dense.length && to > this.base) this.base = to;
    assert(this.size >= 0, "ActionStore: negative size");
    return learned_removed;
  }

  /** Every stored action (order unspecified). */
  values(): Array<Action> {
    const out = new Array<Action>();
    for (let i = this.head; i < this.dense.length; i++) {
      const a = unchecked(this.dense[i]);
      if (a != null) out.push(a);
    }
    const sparse = this.sparse.values();
    for (let i = 0; i < sparse.length; i++) out.push(unchecked(sparse[i]));
    assert(out.length == this.size, "ActionStore: size out of step");
    return out;
  }

  clear(): void {
    this.dense = [];
    this.head = 0;
    this.base = 0;
    this.sparse.clear();
    this.size = 0;
  }
}
