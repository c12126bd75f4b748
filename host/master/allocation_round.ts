// One allocation round (allocator.ts has the policy in its header): each agent's unused
// resources go to one framework at a time, stage 1 to roles with an unmet quota guarantee,
// stage 2 to every role, in hierarchical weighted DRF order. Roles are hierarchical, as in
// Mesos: `a/b` is under `a`, and what it consumes counts for `a`'s quota and `a`'s share.
import type { AllocatorAgent, AllocatorView } from "./allocator.ts";
import type { Framework } from "./frameworks/types.ts";
import type { Resources } from "./resources.ts";

const MIN_ALLOCATABLE: readonly Record<string, number>[] = [{ cpus: 0.01 }, { mem: 32 }];

type Quantities = Record<string, number>;
/** Whether a DECLINE filter stops this offer. */
export type FilterCheck = (framework_id: string, agent_id: string, role: string, offered: Resources, now_ms: number) => boolean;

const scalarsOf = (q: Record<string, { value: number }> | undefined): Quantities =>
  Object.fromEntries(Object.entries(q ?? {}).map(([k, v]) => [k, v.value]));

export class AllocationRound {
  private readonly now_ms: number;
  private readonly totals: Quantities;
  private readonly quotas: Map<string, { guarantees: Quantities; limits: Quantities }>;
  /** Unsuppressed roles of the subscribed frameworks, with their frameworks. */
  private readonly roles = new Map<string, Framework[]>();
  /** Roles with guarantees that no role above them has: the headroom is theirs. */
  private readonly topmost: string[];
  /** Frameworks a bound on offers stopped for this round. */
  private readonly stopped = new Set<string>();
  /** Unreserved scalars not offered yet this round, over every agent. */
  private unallocated: Quantities = {};

  constructor(
    private readonly view: AllocatorView,
    frameworks: readonly Framework[],
    private readonly agents: readonly AllocatorAgent[],
    private readonly filtered: FilterCheck,
  ) {
    this.now_ms = view.now_ms();
    this.totals = view.totals();
    this.quotas = new Map(view.quotas().map((q) => [q.role, { guarantees: scalarsOf(q.guarantees), limits: scalarsOf(q.limits) }]));
    for (const framework of frameworks) {
      for (const role of framework.roles) {
        if (framework.suppressed.has(role)) continue;
        let list = this.roles.get(role);
        if (list === undefined) this.roles.set(role, (list = []));
        list.push(framework);
      }
    }
    const guaranteed = [...this.quotas.keys()].filter((q) => Object.keys(this.quotas.get(q)!.guarantees).length > 0);
    this.topmost = guaranteed.filter((q) => !guaranteed.some((other) => other !== q && isUnder(q, other)));
    for (const agent of agents) addTo(this.unallocated, agent.available.unreserved().scalars(), 1);
  }

  run(): void {
    if (this.roles.size === 0) return;
    // Stage 1: roles with unmet guarantees; stage 2: every role.
    for (const agent of this.agents) {
      const wanting = [...this.roles.keys()].filter((role) => this.wants(role));
      if (wanting.length === 0) break;
      this.serve(agent, wanting);
    }
    for (const agent of this.agents) this.serve(agent, [...this.roles.keys()]);
  }

  /** One offer of the agent's resources per role, in DRF order, to the first framework that takes it. */
  private serve(agent: AllocatorAgent, role_names: string[]): void {
    for (const role of this.roleOrder(role_names)) {
      if (agent.available.isEmpty()) return;
      for (const framework of this.frameworkOrder(this.roles.get(role) ?? [], role)) {
        if (this.stopped.has(framework.id)) continue;
        const offered = agent.available.allocatableTo(role).capScalars(this.caps(role));
        if (!allocatable(offered)) break;
        if (this.filtered(framework.id, agent.id, role, offered, this.now_ms)) continue;
        if (!this.view.offer(framework, agent.id, role, offered)) {
          this.stopped.add(framework.id);
          continue;
        }
        agent.available.subtract(offered);
        const next = { ...this.unallocated };
        for (const [k, v] of Object.entries(offered.unreserved().scalars())) next[k] = Math.max(0, (next[k] ?? 0) - v);
        this.unallocated = next;
        break;
      }
    }
  }

  /** What a role's guarantee still lacks, counting what the roles under it consume. */
  private unmet(role: string): Quantities {
    const guarantees = this.quotas.get(role)?.guarantees;
    if (guarantees === undefined) return {};
    const consumed = this.view.roleConsumed(role);
    const out: Quantities = {};
    for (const [k, v] of Object.entries(guarantees)) if ((consumed[k] ?? 0) < v) out[k] = v - (consumed[k] ?? 0);
    return out;
  }

  /** Whether a role (or a role above it) still has an unmet guarantee: it is served in stage 1. */
  private wants(role: string): boolean {
    return pathOf(role).some((node) => Object.keys(this.unmet(node)).length > 0);
  }

  /** Dominant share: the largest fraction of a cluster total consumed. */
  private share(consumed: Quantities): number {
    let max = 0;
    for (const [k, v] of Object.entries(consumed)) if ((this.totals[k] ?? 0) > 0) max = Math.max(max, v / this.totals[k]!);
    return max;
  }

  /**
   * Hierarchical weighted DRF: siblings compare by their subtree's weighted share, level by level
   * from the top. A role's own frameworks sit in a virtual leaf `role/.` under it that competes
   * with its sub-roles on what the role itself consumes (Mesos's sorter does the same), so `a`
   * does not win every tie against `a/b` by being shorter.
   */
  private roleOrder(names: string[]): string[] {
    const weighted = (role: string, consumed: Quantities) => this.share(consumed) / Math.max(this.view.weight(role), 1e-9);
    const key = (role: string): ShareKey => [
      ...pathOf(role).map((node) => ({ node, share: weighted(node, this.view.roleConsumed(node)) })),
      { node: `${role}/.`, share: weighted(role, this.view.roleOwnConsumed(role)) },
    ];
    return names.map((name) => ({ name, key: key(name) })).sort((a, b) => compareKeys(a.key, b.key)).map((x) => x.name);
  }

  /** Frameworks of a role by their share in that role (then id). */
  private frameworkOrder(list: Framework[], role: string): Framework[] {
    return list
      .map((f) => ({ f, share: this.share(this.view.frameworkConsumed(f.id, role)) }))
      .sort((a, b) => a.share - b.share || (a.f.id < b.f.id ? -1 : 1)).map((x) => x.f);
  }

  /**
   * Caps of a role for this offer: the limits of the role and of every role above it, and the
   * headroom that unmet guarantees elsewhere (not this role's own, nor its ancestors') still need.
   */
  private caps(role: string): Quantities {
    const out: Quantities = {};
    for (const node of pathOf(role)) {
      const limits = this.quotas.get(node)?.limits ?? {};
      const consumed = this.view.roleConsumed(node);
      for (const [k, v] of Object.entries(limits)) out[k] = Math.min(out[k] ?? Infinity, Math.max(0, v - (consumed[k] ?? 0)));
    }
    const required: Quantities = {};
    for (const other of this.topmost) if (!isUnder(role, other)) addTo(required, this.unmet(other), 1);
    for (const [k, v] of Object.entries(required)) out[k] = Math.min(out[k] ?? Infinity, Math.max(0, (this.unallocated[k] ?? 0) - v));
    return out;
  }
}

function addTo(into: Quantities, q: Quantities, sign: number): void {
  for (const [k, v] of Object.entries(q)) into[k] = (into[k] ?? 0) + sign * v;
}

/** `a`, `a/b`, `a/b/c` for `a/b/c`: a role and the roles above it, from the top. */
function pathOf(role: string): string[] {
  const parts = role.split("/");
  return parts.map((_, i) => parts.slice(0, i + 1).join("/"));
}

/** Whether `role` is `ancestor` or under it. */
function isUnder(role: string, ancestor: string): boolean {
  return role === ancestor || role.startsWith(`${ancestor}/`);
}

/** A role's path from the top, each node with its subtree's weighted share. */
type ShareKey = { node: string; share: number }[];

/** Level by level from the top: the lower share first, then the name. */
function compareKeys(a: ShareKey, b: ShareKey): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i]!.share !== b[i]!.share) return a[i]!.share - b[i]!.share;
    if (a[i]!.node !== b[i]!.node) return a[i]!.node < b[i]!.node ? -1 : 1;
  }
  return a.length - b.length;
}

/** Mesos's default --min_allocatable_resources (cpus:0.01|mem:32): any one of them suffices. */
function allocatable(resources: Resources): boolean {
  if (resources.isEmpty()) return false;
  const scalars = resources.scalars();
  return MIN_ALLOCATABLE.some((min) => Object.entries(min).every(([k, v]) => (scalars[k] ?? 0) >= v));
}
