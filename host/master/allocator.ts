// The allocator (Mesos's HierarchicalDRFAllocator, trimmed; mesos-spec §6.5): every
// --allocation_interval each eligible agent's unused resources go to one framework at a time.
// Stage 1 serves roles whose quota guarantee is not met yet; stage 2 serves every role in
// weighted dominant-resource-fairness order (share = max over resources of consumed/total,
// divided by the role's weight), frameworks within a role by their own share in that role.
// Roles are hierarchical, as in Mesos: `a/b` is under `a`, and what it consumes counts for
// `a`'s quota and `a`'s share (siblings compare level by level from the top). Quota limits
// (a role's and its ancestors') are never exceeded; resources other roles' unmet guarantees
// still need (the headroom) are not handed to roles without an unmet guarantee. DECLINE filters (refuse_seconds, default
// 5 s) and per-role SUPPRESS are honoured; REVIVE clears both. Offers below Mesos's
// --min_allocatable_resources default (cpus:0.01 or mem:32) are not made.
import type { QuotaConfig } from "../registry/types.ts";
import type { Framework } from "./frameworks/types.ts";
import { AllocationRound } from "./allocation_round.ts";
import type { Resources } from "./resources.ts";

export const DEFAULT_REFUSE_SECONDS = 5;
/** Mesos caps refuse_seconds at one year (a longer filter would overflow its timers). */
const MAX_REFUSE_SECONDS = 365 * 24 * 60 * 60;
/** Filters kept per framework (the oldest go first): a bound on a framework that declines forever. */
export const FILTERS_PER_FRAMEWORK_MAX = 10_000;

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
  /** Scalars consumed (used by tasks + offered) by a role and the roles under it (`role/...`). */
  roleConsumed(role: string): Record<string, number>;
  /** Scalars consumed by exactly that role (not the roles under it). */
  roleOwnConsumed(role: string): Record<string, number>;
  /** Scalars a framework consumes in one of its roles. */
  frameworkConsumed(framework_id: string, role: string): Record<string, number>;
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

  /** One allocation round (allocation_round.ts). */
  allocate(view: AllocatorView): void {
    const frameworks = view.frameworks();
    if (frameworks.length === 0) return;
    const agents = view.agents();
    if (agents.length === 0) return;
    new AllocationRound(view, frameworks, agents, (framework_id, agent_id, role, offered, now_ms) => this.filtered(framework_id, agent_id, role, offered, now_ms))
      .run();
  }
}

