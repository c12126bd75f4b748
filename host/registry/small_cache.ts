// The stored registry's small parts as the master reads them (RegistrarService.current()),
// kept up to date after each stored batch at the cost of what the batch changed: weights and
// quota configs are upserted through a role index (a registry of 10,000 roles is not decoded
// again per batch); the other small sections a batch touches (machines, schedules, the master,
// capabilities: bounded by the operations themselves or tiny) are decoded from the core's
// snapshot of just those sections. Each refresh yields a new object, so readers that cache by
// identity see the change, and the arrays handed out earlier are never mutated.
import { storedQuota } from "./codec.ts";
import { type Operation, type QuotaConfig, type Registry, Section, SMALL_SECTIONS, type WeightInfo } from "./types.ts";

/**
 * The small sections to decode after an operation other than UPDATE_WEIGHTS/UPDATE_QUOTA
 * (which applyBatch applies itself): maintenance its two; RECOVER (the first store after a
 * replay: everything the log held) and the rare others (drains change capabilities) all.
 */
function sectionsToDecode(op: Operation): number {
  switch (op.type) {
    case "UPDATE_SCHEDULE": case "START_MAINTENANCE": case "STOP_MAINTENANCE": return Section.MACHINES | Section.SCHEDULES;
    default: return SMALL_SECTIONS;
  }
}

/**
 * The default quota (no limits, every guarantee zero in Mesos's fixed point of three decimals):
 * storing it removes the role's (core/registry/quota.ts: is_default).
 */
export function isDefaultQuota(config: QuotaConfig): boolean {
  if (Object.keys(config.limits ?? {}).length > 0) return false;
  return Object.values(config.guarantees ?? {}).every((q) => Math.round(q.value * 1000) === 0);
}

const KEYS: [number, keyof Registry][] = [
  [Section.MASTER, "master"], [Section.MACHINES, "machines"], [Section.SCHEDULES, "schedules"],
  [Section.QUOTAS, "quota_configs"], [Section.WEIGHTS, "weights"], [Section.CAPABILITIES, "minimum_capabilities"],
];

export class SmallCache {
  private registry: Registry = {};
  private weight_index = new Map<string, number>();
  private quota_index = new Map<string, number>();

  current(): Registry {
    return this.registry;
  }

  /** Replaces the sections in `mask` with `parts` (decoded from the core's snapshot of them). */
  replace(parts: Registry, mask: number): void {
    const next: Registry = { ...this.registry };
    for (const [bit, key] of KEYS) {
      if ((mask & bit) === 0) continue;
      if (parts[key] === undefined) delete next[key];
      else (next as Record<string, unknown>)[key] = parts[key];
    }
    this.registry = next;
    if (mask & Section.WEIGHTS) this.weight_index = new Map((next.weights ?? []).map((w, i) => [w.info.role, i]));
    if (mask & Section.QUOTAS) this.quota_index = new Map((next.quota_configs ?? []).map((c, i) => [c.role, i]));
  }

  /**
   * Applies a stored batch's applied weight and quota operations as the core did
   * (core/registry/quota.ts); returns the other small sections the batch touched, to decode.
   */
  applyBatch(ops: readonly Operation[]): number {
    let weights: { info: WeightInfo }[] | null = null;
    let quotas: QuotaConfig[] | null = null;
    let decode = 0;
    for (const op of ops) {
      if (op.type === "UPDATE_WEIGHTS") {
        weights ??= [...(this.registry.weights ?? [])];
        for (const w of op.weights) this.upsertWeight(weights, w);
      } else if (op.type === "UPDATE_QUOTA") {
        quotas ??= [...(this.registry.quota_configs ?? [])];
        for (const c of op.configs) this.upsertQuota(quotas, c);
        decode |= Section.CAPABILITIES;
      } else {
        decode |= sectionsToDecode(op);
      }
    }
    if (weights !== null || quotas !== null) {
      const next: Registry = { ...this.registry };
      if (weights !== null) setOrDelete(next, "weights", weights);
      if (quotas !== null) setOrDelete(next, "quota_configs", quotas);
      this.registry = next;
    }
    return decode;
  }

  private upsertWeight(weights: { info: WeightInfo }[], w: WeightInfo): void {
    const at = this.weight_index.get(w.role);
    const entry = { info: { role: w.role, weight: w.weight } };
    if (at === undefined) {
      this.weight_index.set(w.role, weights.length);
      weights.push(entry);
    } else if (weights[at]!.info.weight !== w.weight) {
      weights[at] = entry;
    }
  }

  private upsertQuota(quotas: QuotaConfig[], c: QuotaConfig): void {
    const at = this.quota_index.get(c.role);
    if (!isDefaultQuota(c)) {
      const stored = storedQuota(c);
      if (at === undefined) {
        this.quota_index.set(c.role, quotas.length);
        quotas.push(stored);
      } else {
        quotas[at] = stored;
      }
      return;
    }
    if (at === undefined) return;
    quotas.splice(at, 1);
    this.quota_index.delete(c.role);
    for (let i = at; i < quotas.length; i++) this.quota_index.set(quotas[i]!.role, i);
  }
}

function setOrDelete<K extends "weights" | "quota_configs">(registry: Registry, key: K, list: NonNullable<Registry[K]>): void {
  if (list.length === 0) delete registry[key];
  else registry[key] = list;
}
