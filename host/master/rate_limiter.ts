// The agent removal rate limiter (--agent_removal_rate_limit, mesos-spec §5.3/§5.6) and the
// clock the agents service runs on. Like libprocess's RateLimiter, permits are handed out one
// every `per_ms / agents` in FIFO order; the first one is immediate; a cancelled request
// (a pong arrived, the agent re-registered) is skipped without spending a permit. Only one
// timer is armed at a time, whatever the queue's length, so 40,000 queued removals cost one.
import type { RemovalRate } from "./flags.ts";

/** Time as the agents service sees it; tests substitute a fake one to skip minutes. */
export interface AgentClock {
  now_ms(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export const REAL_CLOCK: AgentClock = {
  now_ms: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (handle) => clearInterval(handle as ReturnType<typeof setInterval>),
};

/** One queued request for a permit; cancel() before it runs withdraws it. */
export interface Permit {
  cancel(): void;
  readonly cancelled: boolean;
}

interface Waiter extends Permit {
  run: () => void;
  cancelled: boolean;
}

export class RateLimiter {
  private readonly interval_ms: number;
  private readonly queue: Waiter[] = [];
  private head = 0;
  private last_ms = -Infinity;
  private timer: unknown = null;

  constructor(rate: RemovalRate, private readonly clock: AgentClock) {
    this.interval_ms = rate.per_ms / rate.agents;
  }

  /** Runs `run` when a permit is free (at once if one is); the returned permit can withdraw it. */
  acquire(run: () => void): Permit {
    const waiter: Waiter = { run, cancelled: false, cancel: () => { waiter.cancelled = true; } };
    this.queue.push(waiter);
    this.pump();
    return waiter;
  }

  /** Requests waiting for a permit (cancelled ones excluded). */
  waiting(): number {
    let n = 0;
    for (let i = this.head; i < this.queue.length; i++) if (!this.queue[i]!.cancelled) n++;
    return n;
  }

  stop(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.queue.length = 0;
    this.head = 0;
  }

  private pump(): void {
    if (this.timer !== null) return;
    while (this.head < this.queue.length) {
      const waiter = this.queue[this.head]!;
      if (waiter.cancelled) {
        this.shift();
        continue;
      }
      const wait_ms = this.last_ms + this.interval_ms - this.clock.now_ms();
      if (wait_ms > 0) {
        this.timer = this.clock.setTimeout(() => {
          this.timer = null;
          this.pump();
        }, wait_ms);
        return;
      }
      this.shift();
      this.last_ms = this.clock.now_ms();
      waiter.run();
    }
  }

  private shift(): void {
    this.head++;
    // Compact now and then so a long-lived queue does not keep every finished waiter.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }
}
