// The allocator (Mesos's HierarchicalDRFAllocator, trimmed; mesos-spec §6.5): every
// --allocation_interval each eligible agent's unused resources go to one framework at a time.
// Stage 1 serves roles whose quota guarantee is not met yet; stage 2 serves every role in
// weighted dominant-resource-fairness order (share = max over resources of consumed/total,
// divided by the role's weight), frameworks within a role by their own share. Quota limits
// are never exceeded; resources other roles' unmet guarantees still need (the headroom) are
// not handed to roles without an unmet guarantee. DECLINE filters (refuse_seconds, default
// 5 s) and per-role SUPPRESS are honoured; REVIVE clears both. Offers below Mesos's
// --min_allocatable_resources default (cpus:0.01 or mem:32) are not made.
import type { QuotaConfig } from "../registry/types.ts";
import type { Framework } from "./frameworks/types.ts";
import { Resources } from "./resources.ts";

export const DEFAULT_REFUSE_SECONDS = 5;
/** Mesos caps refuse_seconds at one year (a longer filter would overflow its timers). */
const MAX_REFUSE_SECONDS = 365 * 24 * 60 * 60;
/** Filters kept per framework (the oldest go first): a bound on a framework that declines forever. */
export const FILTERS_PER_FRAMEWORK_MAX = 10_000;
const MIN_ALLOCATABLE: readonly Record<string, number>[] = [{ cpus: 0.01 }, { mem: 32 }];

export interface AllocatorAgent {
  id: string;
  /** What is left to offer on the agent this round (the allocator lowers it as it offers). */
  available: Resources;
}

/** What the allocator reads and does through the task side (tasks.ts). */
export interface AllocatorView {
  now_ms(): number;
  /** Registered, connected, active agents with their unused resources. */
  agents(): AllocatorAgent[];
  /** Subscribed, active frameworks with an open stream. */
  frameworks(): Framework[];
  /** Scalar totals of the cluster's agents (the denominators of the shares). */
  totals(): Record<string, number>;
  /** Scalars consumed (used by tasks + offered) by a role, and by a framework. */
  roleConsumed(role: string): Record<string, number>;
  frameworkConsumed(framework_id: string): Record<string, number>;
  weight(role: string): number;
  quotas(): readonly QuotaConfig[];
  /** Makes one offer; false when a bound on offers stops this framework (or all) for this round. */
  offer(framework: Framework, agent_id: string, role: string, resources: Resources): boolean;
}

interface Filter {
  agent_id: string;
  role: string;
  resources: Resources;
  until_ms: number;
}

const scalarsOf = (q: Record<string, { value: number }> | undefined) =>
  Object.fromEntries(Object.entries(q ?? {}).map(([k, v]) => [k, v.value]));

export class Allocator {
  private readonly filters = new Map<string, Filter[]>();

  /**
   * A refuse filter (DECLINE, or the unused part of an ACCEPT): no offer of resources within
   * `resources` on that agent for that role, for refuse_seconds (absent or negative: 5 s; 0: none).
   */
  addFilter(framework_id: string, agent_id: string, role: string, resources: Resources, refuse_seconds: number | undefined, now_ms: number): void {
    let seconds = refuse_seconds === undefined || !Number.isFinite(refuse_seconds) || refuse_seconds < 0 ? DEFAULT_REFUSE_SECONDS : refuse_seconds;
    seconds = Math.min(seconds, MAX_REFUSE_SECONDS);
    if (seconds === 0 || resources.isEmpty()) return;
    let list = this.filters.get(framework_id);
    if (list === undefined) this.filters.set(framework_id, (list = []));
    list.push({ agent_id, role, resources, until_ms: now_ms + seconds * 1000 });
    if (list.length > FILTERS_PER_FRAMEWORK_MAX) list.splice(0, list.length - FILTERS_PER_FRAMEWORK_MAX);
  }

  /** REVIVE: the framework's filters for these roles (all roles when empty) are gone. */
  clearFilters(framework_id: string, roles: readonly string[] = []): void {
    if (roles.length === 0) return void this.filters.delete(framework_id);
    const list = this.filters.get(framework_id);
    if (list !== undefined) this.filters.set(framework_id, list.filter((f) => !roles.includes(f.role)));
  }

  removeFramework(framework_id: string): void {
    this.filters.delete(framework_id);
  }

  filterCount(framework_id: string): number {
    return this.filters.get(framework_id)?.length ?? 0;
  }

  private filtered(framework_id: string, agent_id: string, role: string, resources: Resources, now_ms: number): boolean {
    const list = this.filters.get(framework_id);
    if (list === undefined) return false;
    let refused = false;
    for (let i = list.length - 1; i >= 0; i--) {
      const f = list[i]!;
      if (f.until_ms <= now_ms) list.splice(i, 1);
      else if (!refused && f.agent_id === agent_id && f.role === role && f.resources.contains(resources)) refused = true;
    }
    if (list.length === 0) this.filters.delete(framework_id);
    return refused;
  }

  /** One allocation round. */
  allocate(view: AllocatorView): void {
    const frameworks = view.frameworks();
    if (frameworks.length === 0) return;
    const agents = view.agents();
    if (agents.length === 0) return;
    const now = view.now_ms();
    const totals = view.totals();
    const quotas = new Map(view.quotas().map((q) => [q.role, { guarantees: scalarsOf(q.guarantees), limits: scalarsOf(q.limits) }]));
    const roles = new Map<string, Framework[]>();
    for (const framework of frameworks) {
      for (const role of framework.roles) {
        if (framework.suppressed.has(role)) continue;
        let list = roles.get(role);
        if (list === undefined) roles.set(role, (list = []));
        list.push(framework);
      }
    }
    if (roles.size === 0) return;
    const stopped = new Set<string>();
    let unallocated: Record<string, number> = {};
    for (const agent of agents) for (const [k, v] of Object.entries(agent.available.unreserved().scalars())) unallocated[k] = (unallocated[k] ?? 0) + v;

    const unmet = (role: string): Record<string, number> => {
      const guarantees = quotas.get(role)?.guarantees;
      if (guarantees === undefined) return {};
      const consumed = view.roleConsumed(role);
      const out: Record<string, number> = {};
      for (const [k, v] of Object.entries(guarantees)) if ((consumed[k] ?? 0) < v) out[k] = v - (consumed[k] ?? 0);
      return out;
    };
    const share = (consumed: Record<string, number>) => {
      let max = 0;
      for (const [k, v] of Object.entries(consumed)) if ((totals[k] ?? 0) > 0) max = Math.max(max, v / totals[k]!);
      return max;
    };
    const roleOrder = (names: string[]) => names
      .map((name) => ({ name, share: share(view.roleConsumed(name)) / Math.max(view.weight(name), 1e-9) }))
      .sort((a, b) => a.share - b.share || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((x) => x.name);
    const frameworkOrder = (list: Framework[]) => list
      .map((f) => ({ f, share: share(view.frameworkConsumed(f.id)) }))
      .sort((a, b) => a.share - b.share || (a.f.id < b.f.id ? -1 : 1)).map((x) => x.f);

    /** Caps of a role for this offer: its limit, and the headroom other roles' unmet guarantees need. */
    const caps = (role: string): Record<string, number> => {
      const out: Record<string, number> = {};
      const limits = quotas.get(role)?.limits ?? {};
      const consumed = view.roleConsumed(role);
      for (const [k, v] of Object.entries(limits)) out[k] = Math.max(0, v - (consumed[k] ?? 0));
      const required: Record<string, number> = {};
      for (const other of quotas.keys()) {
        if (other === role) continue;
        for (const [k, v] of Object.entries(unmet(other))) required[k] = (required[k] ?? 0) + v;
      }
      for (const [k, v] of Object.entries(required)) out[k] = Math.min(out[k] ?? Infinity, Math.max(0, (unallocated[k] ?? 0) - v));
      return out;
    };

    const serve = (agent: AllocatorAgent, role_names: string[]): void => {
      for (const role of roleOrder(role_names)) {
        if (agent.available.isEmpty()) return;
        for (const framework of frameworkOrder(roles.get(role) ?? [])) {
          if (stopped.has(framework.id)) continue;
          const offered = agent.available.allocatableTo(role).capScalars(caps(role));
          if (!allocatable(offered)) break;
          if (this.filtered(framework.id, agent.id, role, offered, now)) continue;
          if (!view.offer(framework, agent.id, role, offered)) {
            stopped.add(framework.id);
            continue;
          }
          agent.available.subtract(offered);
          const next = { ...unallocated };
          for (const [k, v] of Object.entries(offered.unreserved().scalars())) next[k] = Math.max(0, (next[k] ?? 0) - v);
          unallocated = next;
          break;
        }
      }
    };

    // Stage 1: roles with unmet guarantees; stage 2: every role.
    for (const agent of agents) {
      const wanting = [...roles.keys()].filter((role) => Object.keys(unmet(role)).length > 0);
      if (wanting.length === 0) break;
      serve(agent, wanting);
    }
    for (const agent of agents) serve(agent, [...roles.keys()]);
  }
}

/** Mesos's default --min_allocatable_resources (cpus:0.01|mem:32): any one of them suffices. */
function allocatable(resources: Resources): boolean {
  if (resources.isEmpty()) return false;
  const scalars = resources.scalars();
  return MIN_ALLOCATABLE.some((min) => Object.entries(min).every(([k, v]) => (scalars[k] ?? 0) >= v));
}
