// The /metrics/snapshot registry: named gauges (read when a snapshot is taken) and counters.
// Names follow Mesos (master/elected, registrar/log/recovered, ...).

export class Metrics {
  private readonly gauges = new Map<string, () => number>();
  private readonly counters = new Map<string, number>();
  private readonly timers = new Map<string, Timer>();

  gauge(name: string, read: () => number): void {
    this.claim(name);
    this.gauges.set(name, read);
  }

  counter(name: string): void {
    this.claim(name);
    this.counters.set(name, 0);
  }

  /** A Mesos Timer: `name` (the last value) and its /count /min /max /pNN over a day. */
  timer(name: string): Timer {
    this.claim(name);
    const timer = new Timer();
    this.timers.set(name, timer);
    return timer;
  }

  private claim(name: string): void {
    if (this.gauges.has(name) || this.counters.has(name) || this.timers.has(name)) throw new Error(`metric ${name} registered twice`);
  }

  increment(name: string, by = 1): void {
    const value = this.counters.get(name);
    if (value === undefined) throw new Error(`unknown counter ${name}`);
    this.counters.set(name, value + by);
  }

  /** Every metric by name, sorted, as flat JSON numbers. */
  snapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    const names = [...this.gauges.keys(), ...this.counters.keys()].sort();
    for (const name of names) out[name] = this.gauges.get(name)?.() ?? this.counters.get(name) ?? 0;
    for (const [name, timer] of this.timers) Object.assign(out, timer.render(name));
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
}

/** Samples a timer keeps (the latest ones within its window): a bound on its memory. */
export const TIMER_SAMPLES_MAX = 10_000;
const TIMER_WINDOW_MS = 24 * 60 * 60 * 1000;
const PERCENTILES = [["p50", 0.5], ["p90", 0.9], ["p95", 0.95], ["p99", 0.99], ["p999", 0.999], ["p9999", 0.9999]] as const;

export class Timer {
  private readonly values_ms = new Float64Array(TIMER_SAMPLES_MAX);
  private readonly at_ms = new Float64Array(TIMER_SAMPLES_MAX);
  private next = 0;
  private size = 0;
  private last_ms: number | null = null;

  record(value_ms: number, now_ms = Date.now()): void {
    this.values_ms[this.next] = value_ms;
    this.at_ms[this.next] = now_ms;
    this.next = (this.next + 1) % TIMER_SAMPLES_MAX;
    this.size = Math.min(this.size + 1, TIMER_SAMPLES_MAX);
    this.last_ms = value_ms;
  }

  /** Nothing until the first sample, as Mesos shows a timer. */
  render(name: string, now_ms = Date.now()): Record<string, number> {
    if (this.last_ms === null) return {};
    const live: number[] = [];
    for (let i = 0; i < this.size; i++) if (now_ms - this.at_ms[i]! <= TIMER_WINDOW_MS) live.push(this.values_ms[i]!);
    live.sort((a, b) => a - b);
    const out: Record<string, number> = { [name]: this.last_ms, [`${name}/count`]: live.length };
    if (live.length === 0) return out;
    out[`${name}/min`] = live[0]!;
    out[`${name}/max`] = live[live.length - 1]!;
    for (const [suffix, q] of PERCENTILES) out[`${name}/${suffix}`] = live[Math.min(live.length - 1, Math.floor(q * live.length))]!;
    return out;
  }
}
