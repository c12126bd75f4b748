// Mesos's per-framework metrics (master/frameworks/<encoded name>/<id>/..., Mesos 1.7), kept while
// the framework is registered: subscribed; calls and calls/<call>; events and events/<event>;
// offers/sent, accepted, declined, rescinded; tasks/active/<state> (gauges) and
// tasks/terminal/<state>; roles/<role>/suppressed. The name is URL-encoded, as Mesos does;
// call, event and state names are lower case (calls/accept, events/offers, tasks/active/task_running).
// operations/* is left out: no offer operation but LAUNCH is served.
import type { MetricValue } from "../../metrics.ts";

/** Frameworks whose counts are kept at most (Mesos keeps them for registered frameworks; removal frees them). */
export const FRAMEWORKS_COUNTED_MAX = 10_000;

type OfferKind = "sent" | "accepted" | "declined" | "rescinded";

interface Counts {
  calls: Map<string, number>;
  events: Map<string, number>;
  offers: Record<OfferKind, number>;
  terminal: Map<string, number>;
}

export interface FrameworkView {
  id: string;
  name: string;
  connected: boolean;
  roles: readonly string[];
  suppressed: ReadonlySet<string>;
  /** The states of its tasks that are not terminal. */
  activeStates(): Iterable<string>;
}

const bump = (map: Map<string, number>, key: string, by = 1) => map.set(key, (map.get(key) ?? 0) + by);

export class FrameworkMetrics {
  private readonly by_id = new Map<string, Counts>();

  private counts(id: string): Counts | null {
    let c = this.by_id.get(id);
    if (c === undefined) {
      if (this.by_id.size >= FRAMEWORKS_COUNTED_MAX) return null;
      c = { calls: new Map(), events: new Map(), offers: { sent: 0, accepted: 0, declined: 0, rescinded: 0 }, terminal: new Map() };
      this.by_id.set(id, c);
    }
    return c;
  }

  call(id: string, type: string): void {
    const c = this.counts(id);
    if (c !== null) bump(c.calls, type.toLowerCase());
  }

  event(id: string, type: string): void {
    const c = this.counts(id);
    if (c !== null) bump(c.events, type.toLowerCase());
  }

  offers(id: string, kind: OfferKind, n: number): void {
    const c = this.counts(id);
    if (c !== null) c.offers[kind] += n;
  }

  terminal(id: string, state: string): void {
    const c = this.counts(id);
    if (c !== null) bump(c.terminal, state.toLowerCase());
  }

  /** The framework left the master: its metrics go, as Mesos removes them. */
  remove(id: string): void {
    this.by_id.delete(id);
  }

  values(frameworks: Iterable<FrameworkView>): MetricValue[] {
    const out: MetricValue[] = [];
    for (const f of frameworks) {
      const prefix = `master/frameworks/${encodeURIComponent(f.name)}/${f.id}`;
      const gauge = (name: string, value: number) => out.push({ name: `${prefix}/${name}`, value, kind: "gauge" });
      const counter = (name: string, value: number) => out.push({ name: `${prefix}/${name}`, value, kind: "counter" });
      const c = this.by_id.get(f.id);
      gauge("subscribed", f.connected ? 1 : 0);
      const sum = (map: Map<string, number> | undefined) => [...(map?.values() ?? [])].reduce((a, b) => a + b, 0);
      counter("calls", sum(c?.calls));
      for (const [type, n] of c?.calls ?? []) counter(`calls/${type}`, n);
      counter("events", sum(c?.events));
      for (const [type, n] of c?.events ?? []) counter(`events/${type}`, n);
      for (const kind of ["sent", "accepted", "declined", "rescinded"] as const) counter(`offers/${kind}`, c?.offers[kind] ?? 0);
      const active = new Map<string, number>();
      for (const state of f.activeStates()) bump(active, state.toLowerCase());
      for (const [state, n] of active) gauge(`tasks/active/${state}`, n);
      for (const [state, n] of c?.terminal ?? []) counter(`tasks/terminal/${state}`, n);
      for (const role of f.roles) gauge(`roles/${role}/suppressed`, f.suppressed.has(role) ? 1 : 0);
    }
    return out;
  }
}
