// UpdateQuota and UpdateWeights (Mesos's master/quota.cpp, master/weights.cpp). Quota
// validation follows Mesos's quota::validate: a valid role (roles::validate), no quantity
// above 1 exabyte in MB (mem, disk) or 1 trillion (others), every quantity finite, not NaN,
// not subnormal and not negative, and each guarantee within the limit of the same resource
// (compared as Mesos compares scalars: fixed point, three decimals). One invalid config fails
// the whole operation and changes nothing.
import { REGISTRY_ROLES_MAX } from "../util/limits";
import { CAP_QUOTA_V2, Quantities, QuotaConfig, Registry } from "./state";
import { Op } from "./ops";
import { add_capability, remove_capability } from "./agents";
import { fits, quota_size } from "./sizes";
import { name_size } from "./wire";

const EXABYTE_IN_MB: f64 = 1099511627776.0; // 1024^4
const OTHER_MAX: f64 = 1e12;

export function update_quota(reg: Registry, op: Op): bool {
  const configs = op.quotas!;
  for (let i = 0; i < configs.length; i++) {
    if (!valid_config(unchecked(configs[i]))) return false;
  }
  // The roles' sizes after the operation (-1: no quota), to check the bounds before changing
  // anything: the cost is the operation's, not the registry's.
  const after = new Map<string, i32>();
  for (let i = 0; i < configs.length; i++) {
    const c = unchecked(configs[i]);
    after.set(c.role, is_default(c) ? -1 : quota_size(c));
  }
  let count = reg.quota_configs.length;
  let delta: i64 = 0;
  const roles = after.keys();
  for (let i = 0; i < roles.length; i++) {
    const role = unchecked(roles[i]);
    const before = reg.quota_index.has(role) ? quota_size(unchecked(reg.quota_configs[reg.quota_index.get(role)])) : -1;
    const now = after.get(role);
    if (before < 0 && now >= 0) count++;
    if (before >= 0 && now < 0) count--;
    delta += <i64>(now < 0 ? 0 : now) - <i64>(before < 0 ? 0 : before);
  }
  if (count > REGISTRY_ROLES_MAX) return false;
  // The QUOTA_V2 capability the first quota adds counts too: the registry must stay within its bound.
  const capability: i64 = count > 0 && !reg.capabilities.includes(CAP_QUOTA_V2) ? <i64>name_size(CAP_QUOTA_V2) : 0;
  if (delta + capability > 0 && !fits(reg, delta + capability)) return false;
  for (let i = 0; i < configs.length; i++) upsert_quota(reg, unchecked(configs[i]));
  reg.small_bytes += delta;
  assert(reg.quota_configs.length == count, "update_quota: role count");
  if (count > 0) add_capability(reg, CAP_QUOTA_V2);
  else remove_capability(reg, CAP_QUOTA_V2);
  return true;
}

/** A changed config replaces the role's in place, a new role appends, a default one removes it. */
function upsert_quota(reg: Registry, c: QuotaConfig): void {
  const index = reg.quota_index;
  if (!index.has(c.role)) {
    if (is_default(c)) return;
    index.set(c.role, reg.quota_configs.length);
    reg.quota_configs.push(c);
    return;
  }
  const at = index.get(c.role);
  if (!is_default(c)) {
    unchecked((reg.quota_configs[at] = c));
    return;
  }
  // A removal shifts the roles after it (rare: removals are the operator's, one role each).
  reg.quota_configs.splice(at, 1);
  index.delete(c.role);
  for (let i = at; i < reg.quota_configs.length; i++) index.set(unchecked(reg.quota_configs[i]).role, i);
}

/** Upsert per role: a changed weight replaces the entry in place, a new role appends. */
export function update_weights(reg: Registry, op: Op): bool {
  const weights = op.weights!;
  const added = new Set<string>();
  let delta: i64 = 0;
  for (let i = 0; i < weights.length; i++) {
    const role = unchecked(weights[i]).role;
    if (reg.weight_index.has(role) || added.has(role)) continue;
    added.add(role);
    delta += <i64>(name_size(role) + 8);
  }
  if (reg.weights.length + added.size > REGISTRY_ROLES_MAX) return false;
  if (delta > 0 && !fits(reg, delta)) return false;
  for (let i = 0; i < weights.length; i++) {
    const w = unchecked(weights[i]);
    if (!reg.weight_index.has(w.role)) {
      reg.weight_index.set(w.role, reg.weights.length);
      reg.weights.push(w);
    } else {
      const at = reg.weight_index.get(w.role);
      if (unchecked(reg.weights[at]).weight != w.weight) unchecked((reg.weights[at] = w));
    }
  }
  reg.small_bytes += delta;
  return true;
}

/** Mesos's DEFAULT_QUOTA: no guarantee above zero (zero quantities are dropped) and no limits. */
function is_default(c: QuotaConfig): bool {
  if (c.limits.names.length > 0) return false;
  for (let i = 0; i < c.guarantees.values.length; i++) {
    if (fixed(unchecked(c.guarantees.values[i])) != 0) return false;
  }
  return true;
}

export function valid_config(c: QuotaConfig): bool {
  if (!valid_role(c.role)) return false;
  if (!within_maximum(c.guarantees) || !within_maximum(c.limits)) return false;
  if (!valid_scalars(c.guarantees) || !valid_scalars(c.limits)) return false;
  // Guarantees within limits: only resources with both a (non-zero) guarantee and a limit.
  const g = c.guarantees;
  for (let i = 0; i < g.names.length; i++) {
    const q = fixed(unchecked(g.values[i]));
    if (q == 0) continue;
    const at = c.limits.names.indexOf(unchecked(g.names[i]));
    if (at >= 0 && fixed(unchecked(c.limits.values[at])) < q) return false;
  }
  return true;
}

function within_maximum(q: Quantities): bool {
  for (let i = 0; i < q.names.length; i++) {
    const name = unchecked(q.names[i]);
    const v = unchecked(q.values[i]);
    const max = name == "mem" || name == "disk" ? EXABYTE_IN_MB : OTHER_MAX;
    if (v > max) return false;
  }
  return true;
}

/** common::validation::validateInputScalarValue: zero, or a positive normal number. */
function valid_scalars(q: Quantities): bool {
  for (let i = 0; i < q.values.length; i++) {
    const v = unchecked(q.values[i]);
    if (v == 0) continue; // +0 and -0 (FP_ZERO)
    if (!isFinite(v) || v < 0) return false;
    if (Math.abs(v) < 2.2250738585072014e-308) return false; // subnormal
  }
  return true;
}

/** Mesos's scalar fixed point: llround(v * 1000) (v is validated, so finite and ≥ 0). */
function fixed(v: f64): i64 {
  const x = v * 1000.0;
  const f = Math.floor(x);
  return <i64>(x - f >= 0.5 ? f + 1.0 : f);
}

/** roles::validate on a byte string: "*", or '/'-separated components that are all valid. */
export function valid_role(role: string): bool {
  if (role == "*") return true;
  const n = role.length;
  if (n == 0 || role.charCodeAt(0) == 0x2f || role.charCodeAt(n - 1) == 0x2f) return false;
  if (role.includes("//")) return false;
  const parts = role.split("/");
  for (let i = 0; i < parts.length; i++) {
    const c = unchecked(parts[i]);
    if (c == "." || c == ".." || c == "*") return false;
    if (c.charCodeAt(0) == 0x2d) return false; // '-'
    for (let j = 0; j < c.length; j++) {
      const ch = c.charCodeAt(j);
      if ((ch >= 0x09 && ch <= 0x0d) || ch == 0x20 || ch == 0x7f) return false;
    }
  }
  return true;
}
