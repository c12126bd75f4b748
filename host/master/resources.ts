// Resource arithmetic on the master (Mesos's Resources, trimmed to what offers and launches
// need): v1 Resource JSON grouped by name, reservation and revocability; scalars (rounded to
// Mesos's three decimal digits), ranges and sets add, subtract and compare. allocation_info
// is not part of a resource's identity: offers carry it, the ledgers do not.
import type { JsonObject } from "../agent/task_protocol.ts";

export interface ResourceJson {
  name: string;
  type?: string;
  role?: string;
  scalar?: { value: number };
  ranges?: { range?: { begin: number; end: number }[] };
  set?: { item?: string[] };
  reservations?: { role?: string; type?: string }[];
  revocable?: unknown;
  allocation_info?: { role?: string };
  [field: string]: unknown;
}

type Interval = [number, number];

interface Entry {
  /** The resource without its value and allocation_info (what identifies it). */
  shape: ResourceJson;
  scalar?: number;
  ranges?: Interval[];
  set?: Set<string>;
}

const round = (v: number) => Math.round(v * 1000) / 1000;

/** The role a resource is reserved to, or null when unreserved. */
export function reservedRole(r: ResourceJson): string | null {
  const last = r.reservations?.[r.reservations.length - 1]?.role;
  if (last !== undefined) return last;
  return r.role !== undefined && r.role !== "*" ? r.role : null;
}

function keyOf(r: ResourceJson): string {
  return `${r.name}\u0000${reservedRole(r) ?? ""}\u0000${r.revocable !== undefined ? 1 : 0}\u0000${r.ranges ? "R" : r.set ? "S" : "N"}`;
}

function normalizeRanges(list: Interval[]): Interval[] {
  const sorted = list.filter(([b, e]) => e >= b).sort((a, b) => a[0] - b[0]);
  const out: Interval[] = [];
  for (const [b, e] of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && b <= last[1] + 1) last[1] = Math.max(last[1], e);
    else out.push([b, e]);
  }
  return out;
}

function subtractRanges(a: Interval[], b: Interval[]): Interval[] {
  let out = a.map(([x, y]): Interval => [x, y]);
  for (const [sb, se] of b) {
    const next: Interval[] = [];
    for (const [x, y] of out) {
      if (se < x || sb > y) next.push([x, y]);
      else {
        if (x < sb) next.push([x, sb - 1]);
        if (y > se) next.push([se + 1, y]);
      }
    }
    out = next;
  }
  return out;
}

const rangesContain = (a: Interval[], b: Interval[]) => b.every(([sb, se]) => a.some(([x, y]) => x <= sb && se <= y));

export class Resources {
  private readonly entries = new Map<string, Entry>();

  static of(list: readonly unknown[] | undefined): Resources {
    const out = new Resources();
    for (const r of list ?? []) if (isResource(r)) out.addOne(r);
    return out;
  }

  clone(): Resources {
    const out = new Resources();
    for (const [k, e] of this.entries) out.entries.set(k, { shape: e.shape, scalar: e.scalar, ranges: e.ranges?.map(([b, x]): Interval => [b, x]), set: e.set ? new Set(e.set) : undefined });
    return out;
  }

  private addOne(r: ResourceJson): void {
    const key = keyOf(r);
    let e = this.entries.get(key);
    if (e === undefined) {
      const { scalar: _s, ranges: _r, set: _t, allocation_info: _a, ...shape } = r;
      e = { shape: shape as ResourceJson };
      this.entries.set(key, e);
    }
    if (r.scalar !== undefined) e.scalar = round((e.scalar ?? 0) + r.scalar.value);
    else if (r.ranges !== undefined) e.ranges = normalizeRanges([...(e.ranges ?? []), ...(r.ranges.range ?? []).map((x): Interval => [x.begin, x.end])]);
    else if (r.set !== undefined) e.set = new Set([...(e.set ?? []), ...(r.set.item ?? [])]);
  }

  /** this + other (in place); returns this. */
  add(other: Resources): this {
    for (const [key, o] of other.entries) {
      const e = this.entries.get(key);
      if (e === undefined) {
        this.entries.set(key, { shape: o.shape, scalar: o.scalar, ranges: o.ranges?.map(([b, x]): Interval => [b, x]), set: o.set ? new Set(o.set) : undefined });
      } else {
        if (o.scalar !== undefined) e.scalar = round((e.scalar ?? 0) + o.scalar);
        if (o.ranges !== undefined) e.ranges = normalizeRanges([...(e.ranges ?? []), ...o.ranges]);
        if (o.set !== undefined) e.set = new Set([...(e.set ?? []), ...o.set]);
      }
    }
    return this;
  }

  /** this - other (in place, never below empty); returns this. */
  subtract(other: Resources): this {
    for (const [key, o] of other.entries) {
      const e = this.entries.get(key);
      if (e === undefined) continue;
      if (o.scalar !== undefined && e.scalar !== undefined) e.scalar = round(e.scalar - o.scalar);
      if (o.ranges !== undefined && e.ranges !== undefined) e.ranges = subtractRanges(e.ranges, o.ranges);
      if (o.set !== undefined && e.set !== undefined) for (const item of o.set) e.set.delete(item);
      if (isEmptyEntry(e)) this.entries.delete(key);
    }
    return this;
  }

  /** Whether every resource of `other` is within this. */
  contains(other: Resources): boolean {
    for (const [key, o] of other.entries) {
      const e = this.entries.get(key);
      if (e === undefined) return isEmptyEntry(o);
      if (o.scalar !== undefined && (e.scalar ?? 0) + 1e-9 < o.scalar) return false;
      if (o.ranges !== undefined && !rangesContain(e.ranges ?? [], o.ranges)) return false;
      if (o.set !== undefined && ![...o.set].every((i) => e.set?.has(i))) return false;
    }
    return true;
  }

  isEmpty(): boolean {
    for (const e of this.entries.values()) if (!isEmptyEntry(e)) return false;
    return true;
  }

  /** The resources a role may use: unreserved ones and those reserved to it. */
  allocatableTo(role: string): Resources {
    return this.filter((r) => {
      const reserved = reservedRole(r);
      return reserved === null || reserved === role;
    });
  }

  unreserved(): Resources {
    return this.filter((r) => reservedRole(r) === null);
  }

  filter(keep: (shape: ResourceJson) => boolean): Resources {
    const out = new Resources();
    for (const [k, e] of this.entries) if (keep(e.shape)) out.entries.set(k, e);
    return out.clone();
  }

  /** Scalars summed by name (Mesos's ResourceQuantities), revocable ones under `<name>_revocable` when asked. */
  scalars(split_revocable = false): Record<string, number> {
    const out: Record<string, number> = {};
    for (const e of this.entries.values()) {
      if (e.scalar === undefined) continue;
      const name = split_revocable && e.shape.revocable !== undefined ? `${e.shape.name}_revocable` : e.shape.name;
      out[name] = round((out[name] ?? 0) + e.scalar);
    }
    return out;
  }

  /** Lowers scalars named in `caps` so that their sum per name is at most the cap (in place). */
  capScalars(caps: Record<string, number>): this {
    const left = { ...caps };
    for (const [key, e] of this.entries) {
      const cap = left[e.shape.name];
      if (e.scalar === undefined || cap === undefined) continue;
      e.scalar = round(Math.max(0, Math.min(e.scalar, cap)));
      left[e.shape.name] = round(cap - e.scalar);
      if (isEmptyEntry(e)) this.entries.delete(key);
    }
    return this;
  }

  /** v1 Resource JSON, each with allocation_info when a role is given. */
  toJson(role?: string): ResourceJson[] {
    const out: ResourceJson[] = [];
    for (const e of this.entries.values()) {
      if (isEmptyEntry(e)) continue;
      const r: ResourceJson = { ...e.shape };
      if (e.scalar !== undefined) r.scalar = { value: e.scalar };
      if (e.ranges !== undefined) r.ranges = { range: e.ranges.map(([begin, end]) => ({ begin, end })) };
      if (e.set !== undefined) r.set = { item: [...e.set].sort() };
      if (role !== undefined) r.allocation_info = { role };
      out.push(r);
    }
    return out;
  }
}

function isEmptyEntry(e: Entry): boolean {
  if (e.scalar !== undefined) return e.scalar <= 0;
  if (e.ranges !== undefined) return e.ranges.length === 0;
  if (e.set !== undefined) return e.set.size === 0;
  return true;
}

/** A v1 Resource with a name and exactly one well-formed value. */
export function isResource(v: unknown): v is ResourceJson {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const r = v as JsonObject;
  if (typeof r.name !== "string" || r.name === "") return false;
  const scalar = r.scalar as { value?: unknown } | undefined;
  const ranges = r.ranges as { range?: unknown } | undefined;
  const set = r.set as { item?: unknown } | undefined;
  const kinds = [scalar, ranges, set].filter((x) => x !== undefined).length;
  if (kinds !== 1) return false;
  if (scalar !== undefined) return typeof scalar.value === "number" && Number.isFinite(scalar.value) && scalar.value >= 0;
  if (ranges !== undefined) {
    return ranges.range === undefined || (Array.isArray(ranges.range) && ranges.range.every((x: unknown) =>
      typeof x === "object" && x !== null && Number.isInteger((x as JsonObject).begin) && Number.isInteger((x as JsonObject).end) && ((x as { begin: number }).begin <= (x as { end: number }).end)));
  }
  return set!.item === undefined || (Array.isArray(set!.item) && set!.item.every((i: unknown) => typeof i === "string"));
}

/** The allocation role of a list of resources (the first one's allocation_info), if any. */
export function allocationRole(list: readonly unknown[] | undefined): string | undefined {
  for (const r of list ?? []) {
    const role = (r as ResourceJson | null)?.allocation_info?.role;
    if (typeof role === "string") return role;
  }
  return undefined;
}

/** Adds scalar quantities into `into` (sign ±1). */
export function addQuantities(into: Record<string, number>, q: Record<string, number>, sign = 1): void {
  for (const [k, v] of Object.entries(q)) {
    const next = round((into[k] ?? 0) + sign * v);
    if (next <= 0) delete into[k];
    else into[k] = next;
  }
}
