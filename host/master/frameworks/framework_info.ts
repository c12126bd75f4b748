// FrameworkInfo as SUBSCRIBE carries it: Mesos's validation (master/validation.cpp's
// framework::validate, common/roles.cpp, common/validation.cpp's validateID) with its error
// texts, the roles a framework subscribes with (MULTI_ROLE: info.roles, else [info.role]), its
// capabilities, and the fields a re-subscription may not change (preserveImmutableFields).
import { validateRole } from "../weights.ts";
import type { Framework } from "./types.ts";

export type FrameworkInfo = Framework["info"];

/** Bytes of an ID (NAME_MAX). */
const ID_BYTES_MAX = 255;
/** Largest failover_timeout Duration::create accepts: int64 nanoseconds. */
const FAILOVER_TIMEOUT_SECONDS_MAX = 9_223_372_036;

export function hasCapability(info: FrameworkInfo, type: string): boolean {
  return (info.capabilities ?? []).some((c) => c?.type === type);
}

/** The roles of a framework: info.roles when MULTI_ROLE, else [info.role ?? "*"]. */
export function rolesOf(info: FrameworkInfo): string[] {
  return hasCapability(info, "MULTI_ROLE") ? [...(info.roles ?? [])] : [info.role ?? "*"];
}

/** Mesos's `stringify(set)`. */
export const setText = (items: Iterable<string>) => `{ ${[...items].join(", ")} }`;


export function validateId(id: string): string | null {
  if (id === "") return "ID must not be empty";
  if (id.length > ID_BYTES_MAX) return `ID must not be greater than ${ID_BYTES_MAX} characters`;
  if (id === "." || id === "..") return `'${id}' is disallowed`;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f/\\]/.test(id)) return `'${id}' contains invalid characters`;
  return null;
}

/** framework::validate: roles, the id, failover_timeout. */
export function validateFrameworkInfo(info: FrameworkInfo): string | null {
  const multi_role = hasCapability(info, "MULTI_ROLE");
  if (multi_role && info.role !== undefined) return "'FrameworkInfo.role' must not be set when the framework is MULTI_ROLE capable";
  if (!multi_role && (info.roles ?? []).length > 0) return "'FrameworkInfo.roles' must not be set when the framework is not MULTI_ROLE capable";
  if (multi_role) {
    const seen = new Set<string>();
    const duplicates = new Set<string>();
    for (const role of info.roles ?? []) (seen.has(role) ? duplicates : seen).add(role);
    if (duplicates.size > 0) return `'FrameworkInfo.roles' contains duplicate items: ${setText(duplicates)}`;
    for (const role of info.roles ?? []) {
      const error = validateRole(role);
      if (error !== null) return `'FrameworkInfo.roles' contains invalid role: ${error}`;
    }
  } else {
    const error = validateRole(info.role ?? "*");
    if (error !== null) return `'FrameworkInfo.role' is not a valid role: ${error}`;
  }
  const id = info.id?.value;
  if (id !== undefined && id !== "") {
    const error = validateId(id);
    if (error !== null) return error;
  }
  const timeout = info.failover_timeout ?? 0;
  if (!Number.isFinite(timeout) || Math.abs(timeout) > FAILOVER_TIMEOUT_SECONDS_MAX) return `The framework failover_timeout (${timeout}) is invalid`;
  return null;
}

/** validateSuppressedRoles. */
export function validateSuppressedRoles(roles: readonly string[], suppressed: readonly string[]): string | null {
  const valid = new Set(roles);
  const invalid = [...new Set(suppressed)].filter((r) => !valid.has(r)).sort();
  return invalid.length === 0 ? null : `Suppressed roles ${setText(invalid)} are not contained in the set of roles`;
}

/** preserveImmutableFields then validateUpdate: user and checkpoint keep their old values; the principal may not change. */
export function updateInfo(old: FrameworkInfo, next: FrameworkInfo): { info: FrameworkInfo } | { error: string } {
  const info: FrameworkInfo = { ...next };
  if (old.user === undefined) delete info.user;
  else info.user = old.user;
  if (old.checkpoint === undefined) delete info.checkpoint;
  else info.checkpoint = old.checkpoint;
  if (old.principal !== next.principal) return { error: "Changing framework's principal is not allowed." };
  return { info };
}

/** validateUpdate for UPDATE_FRAMEWORK (no fields preserved): principal, user and checkpoint may not change. */
export function validateUpdate(old: FrameworkInfo, next: FrameworkInfo): string | null {
  if (old.principal !== next.principal) return "Changing framework's principal is not allowed.";
  if ((next.user ?? "") !== (old.user ?? "")) {
    return `Updating 'FrameworkInfo.user' is unsupported; attempted to update from '${old.user ?? ""}' to '${next.user ?? ""}'`;
  }
  if ((next.checkpoint ?? false) !== (old.checkpoint ?? false)) {
    return `Updating 'FrameworkInfo.checkpoint' is unsupported; attempted to update from '${old.checkpoint ?? false}' to '${next.checkpoint ?? false}'`;
  }
  return null;
}

/** failover_timeout in milliseconds (negative: 0). */
export function failoverTimeoutMs(info: FrameworkInfo): number {
  return Math.max(0, (info.failover_timeout ?? 0) * 1000);
}
