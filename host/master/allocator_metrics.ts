// Mesos's allocator/mesos/* metrics for this master's allocation rounds: allocation_runs, the
// round's duration (allocation_run_ms) and how late a periodic round started against its
// schedule (allocation_run_latency_ms), both Mesos Timers; and per scalar resource the agents'
// total and what is offered or allocated (resources/<name>/total, offered_or_allocated).
// allocator/mesos/event_queue_dispatches is left out: no allocator process queue exists here.
import type { Metrics } from "../metrics.ts";
import { addQuantities } from "./resources.ts";

export interface AllocationSource {
  resourceTotals(): Record<string, number>;
  usedTotals(): Record<string, number>;
  role_offered: ReadonlyMap<string, Record<string, number>>;
}

export class AllocatorMetrics {
  private readonly run_ms;
  private readonly latency_ms;
  /** When the next periodic round is due (null: none scheduled yet). */
  private due_ms: number | null = null;

  constructor(private readonly metrics: Metrics, source: AllocationSource) {
    metrics.counter("allocator/mesos/allocation_runs");
    this.run_ms = metrics.timer("allocator/mesos/allocation_run_ms");
    this.latency_ms = metrics.timer("allocator/mesos/allocation_run_latency_ms");
    const offeredOrAllocated = () => {
      const out = { ...source.usedTotals() };
      for (const q of source.role_offered.values()) addQuantities(out, q);
      return out;
    };
    for (const name of ["cpus", "mem", "disk"]) {
      metrics.gauge(`allocator/mesos/resources/${name}/total`, () => source.resourceTotals()[name] ?? 0);
      metrics.gauge(`allocator/mesos/resources/${name}/offered_or_allocated`, () => offeredOrAllocated()[name] ?? 0);
    }
  }

  /** Arms the schedule: a periodic round is due every `interval_ms` from `now_ms`. */
  schedule(now_ms: number, interval_ms: number): void {
    this.due_ms = now_ms + interval_ms;
  }

  /** Runs one round, timing it; `periodic` rounds also record their lateness and move the schedule. */
  run(round: () => void, now_ms: number, interval_ms: number | null): void {
    if (interval_ms !== null && this.due_ms !== null) {
      this.latency_ms.record(Math.max(0, now_ms - this.due_ms));
      this.due_ms = now_ms + interval_ms;
    }
    const started = performance.now();
    round();
    this.run_ms.record(performance.now() - started);
    this.metrics.increment("allocator/mesos/allocation_runs");
  }
}
