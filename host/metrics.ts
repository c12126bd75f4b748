// The /metrics/snapshot registry: named gauges (read when a snapshot is taken), counters,
// timers, counters named at run time (Mesos's master/task_lost/source_master/reason_..., one per
// combination seen, at most DYNAMIC_COUNTERS_MAX), and providers that list metrics whose names
// come and go (per-framework ones). Names follow Mesos (master/elected, registrar/log/recovered,
// ...); every value has a kind, for the Prometheus rendering (host/prometheus.ts).

export type MetricKind = "gauge" | "counter";
export interface MetricValue {
  name: string;
  value: number;
  kind: MetricKind;
}

/** Counters named at run time kept at most (a bound on what odd inputs can create). */
export const DYNAMIC_COUNTERS_MAX = 10_000;

export class Metrics {
  private readonly gauges = new Map<string, () => number>();
  private readonly counters = new Map<string, number>();
  private readonly timers = new Map<string, Timer>();
  private readonly providers: (() => Iterable<MetricValue>)[] = [];
  private dynamic = 0;

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

  /** Adds to a counter named at run time, creating it at 0 first (false once DYNAMIC_COUNTERS_MAX are made). */
  count(name: string, by = 1): boolean {
    if (!this.counters.has(name)) {
      if (this.gauges.has(name) || this.timers.has(name) || this.dynamic >= DYNAMIC_COUNTERS_MAX) return false;
      this.counters.set(name, 0);
      this.dynamic++;
    }
    this.counters.set(name, this.counters.get(name)! + by);
    return true;
  }

  /** Metrics listed at each snapshot (names that come and go, such as per-framework ones). */
  provide(list: () => Iterable<MetricValue>): void {
    this.providers.push(list);
  }

  /** Every metric with its kind, sorted by name (timers' values are gauges). */
  values(): MetricValue[] {
    const out: MetricValue[] = [];
    for (const [name, read] of this.gauges) out.push({ name, value: read(), kind: "gauge" });
    for (const [name, value] of this.counters) out.push({ name, value, kind: "counter" });
    for (const [name, timer] of this.timers) for (const [key, value] of Object.entries(timer.render(name))) out.push({ name: key, value, kind: "gauge" });
    for (const list of this.providers) out.push(...list());
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Every metric by name, sorted, as flat JSON numbers. */
  snapshot(): Record<string, number> {
    return Object.fromEntries(this.values().map((m) => [m.name, m.value]));
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
