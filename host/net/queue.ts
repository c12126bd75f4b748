// A bounded FIFO of encoded frames waiting for one peer's link. Paxos tolerates a lossy link;
// it does not tolerate unbounded memory (S12). So when either bound is reached the newest
// frame is refused (the caller counts it), never an older one silently replaced.

export class BoundedQueue {
  private items: Uint8Array[] = [];
  private head = 0;
  private bytes_queued = 0;

  constructor(
    readonly messages_max: number,
    readonly bytes_max: number,
  ) {
    if (!(messages_max >= 1) || !(bytes_max >= 1)) throw new Error("queue bounds must be at least 1");
  }

  get length(): number {
    return this.items.length - this.head;
  }

  get bytes(): number {
    return this.bytes_queued;
  }

  /** Appends `frame` and returns true, or returns false when it would pass a bound. */
  push(frame: Uint8Array): boolean {
    if (this.length + 1 > this.messages_max || this.bytes_queued + frame.length > this.bytes_max) return false;
    this.items.push(frame);
    this.bytes_queued += frame.length;
    return true;
  }

  peek(): Uint8Array | undefined {
    return this.items[this.head];
  }

  shift(): Uint8Array | undefined {
    const frame = this.items[this.head];
    if (frame === undefined) return undefined;
    this.items[this.head] = EMPTY;
    this.head++;
    this.bytes_queued -= frame.length;
    // Compact once the consumed prefix dominates, so shift stays O(1) amortised.
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return frame;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
    this.bytes_queued = 0;
  }
}

const EMPTY = new Uint8Array(0);
