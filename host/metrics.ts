// The /metrics/snapshot registry: named gauges (read when a snapshot is taken) and counters.
// Names follow Mesos (master/elected, registrar/log/recovered, ...).

export class Metrics {
  private readonly gauges = new Map<string, () => number>();
  private readonly counters = new Map<string, number>();

  gauge(name: string, read: () => number): void {
    if (this.gauges.has(name) || this.counters.has(name)) throw new Error(`metric ${name} registered twice`);
    this.gauges.set(name, read);
  }

  counter(name: string): void {
    if (this.gauges.has(name) || this.counters.has(name)) throw new Error(`metric ${name} registered twice`);
    this.counters.set(name, 0);
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
    return out;
  }
}
