// Quota (mesos-spec §4.3 UpdateQuota, §6.1 /quota): GET_QUOTA / UPDATE_QUOTA of the v1 API and
// the deprecated /quota endpoint (POST sets a role's guarantee, which is also its limit;
// DELETE /quota/<role> resets it), with Mesos's validation and error texts (quota.cpp,
// quota_handler.cpp). Every change is one registry UPDATE_QUOTA. Scalars compare as Mesos's
// fixed point (three decimals). No agents exist in this build, so the cluster's capacity is
// empty and any guarantee needs `force` — as on a Mesos master with no agents registered.
import type { QuotaConfig, Registry, ResourceQuantities } from "../registry/types.ts";
import {
  arrayField, boolField, messageField, NAME_BYTES_MAX, numberField, objectOf, type JsonObject, type Plan, QUOTA_RESOURCES_MAX,
  perRegistry, type Reply, refuse, type RegistryWriter, requireFields, ROLES_MAX, ShapeError, stringField,
} from "./registry_requests.ts";
import type { RegistryProjection } from "./registry_projection.ts";
import { validateRole } from "./weights.ts";

/** A v0 Resource as the deprecated /quota request carries it; only what quota validation looks at. */
export interface QuotaResource {
  name: string;
  type: "SCALAR" | "RANGES" | "SET" | "TEXT";
  scalar?: number;
  has_ranges: boolean;
  has_set: boolean;
  has_reservations: boolean;
  has_disk: boolean;
  has_revocable: boolean;
}

export interface QuotaRequest {
  force: boolean;
  role?: string;
  guarantee: QuotaResource[];
}

// ---- Reading request JSON ----

/** A map<string, Value.Scalar>: {"cpus": {"value": 1}}. */
function scalarMap(object: JsonObject | undefined, path: string): ResourceQuantities | undefined {
  if (object === undefined) return undefined;
  const names = Object.keys(object);
  if (names.length > QUOTA_RESOURCES_MAX) throw new ShapeError(`'${path}' holds at most ${QUOTA_RESOURCES_MAX} resources`);
  const out: ResourceQuantities = {};
  for (const name of names) {
    if (Buffer.byteLength(name) > NAME_BYTES_MAX) throw new ShapeError(`A resource name in '${path}' is longer than ${NAME_BYTES_MAX} bytes`);
    const scalar = objectOf(object[name]);
    requireFields(scalar, `${path}[${name}].`, ["value"]);
    out[name] = { value: numberField(scalar, "value")! };
  }
  return out;
}

export function parseQuotaConfig(value: unknown, path = ""): QuotaConfig {
  const object = objectOf(value);
  requireFields(object, path, ["role"]);
  const config: QuotaConfig = { role: stringField(object, "role")! };
  const guarantees = scalarMap(messageField(object, "guarantees"), `${path}guarantees`);
  const limits = scalarMap(messageField(object, "limits"), `${path}limits`);
  if (guarantees !== undefined) config.guarantees = guarantees;
  if (limits !== undefined) config.limits = limits;
  return config;
}

const RESOURCE_TYPES = ["SCALAR", "RANGES", "SET", "TEXT"] as const;

function parseResource(value: unknown, path: string): QuotaResource {
  const object = objectOf(value);
  requireFields(object, path, ["name", "type"]);
  const type = stringField(object, "type")!;
  if (!(RESOURCE_TYPES as readonly string[]).includes(type)) throw new ShapeError(`Failed to find enum for '${type}'`);
  const scalar = messageField(object, "scalar");
  if (scalar !== undefined) requireFields(scalar, `${path}scalar.`, ["value"]);
  const role = stringField(object, "role");
  return {
    name: stringField(object, "name")!,
    type: type as QuotaResource["type"],
    ...(scalar !== undefined ? { scalar: numberField(scalar, "value")! } : {}),
    has_ranges: messageField(object, "ranges") !== undefined,
    has_set: messageField(object, "set") !== undefined,
    has_reservations: arrayField(object, "reservations").length > 0 || messageField(object, "reservation") !== undefined || (role !== undefined && role !== "*"),
    has_disk: messageField(object, "disk") !== undefined,
    has_revocable: messageField(object, "revocable") !== undefined,
  };
}

/** The body of POST /quota: {"role": ..., "guarantee": [Resource], "force": bool}. */
export function parseQuotaRequest(value: unknown): QuotaRequest {
  const object = objectOf(value);
  const role = stringField(object, "role");
  const guarantee = arrayField(object, "guarantee").map((r, i) => parseResource(r, `guarantee[${i}].`));
  return { force: boolField(object, "force") ?? false, ...(role !== undefined ? { role } : {}), guarantee };
}

// ---- Scalars and quantities as Mesos compares them ----

const fixed = (value: number): number => Math.round(value * 1000);
const scalarText = (value: number): string => String(fixed(value) / 1000);

/** ResourceQuantities: positive amounts by name (zeros dropped), in name order. */
type Quantities = Map<string, number>;

function quantities(map: ResourceQuantities | undefined): Quantities {
  const out: Quantities = new Map();
  for (const name of Object.keys(map ?? {}).sort()) {
    if (fixed(map![name]!.value) !== 0) out.set(name, map![name]!.value);
  }
  return out;
}

function add(into: Quantities, more: Quantities): void {
  for (const [name, value] of more) into.set(name, (into.get(name) ?? 0) + value);
}

function contains(left: Quantities, right: Quantities): boolean {
  return [...right].every(([name, value]) => fixed(left.get(name) ?? 0) >= fixed(value));
}

function quantitiesText(q: Quantities | [string, number][]): string {
  const entries = [...q].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length === 0 ? "{}" : entries.map(([name, value]) => `${name}:${scalarText(value)}`).join("; ");
}

const mapText = (map: ResourceQuantities | undefined) => quantitiesText(Object.entries(map ?? {}).map(([n, s]) => [n, s.value]));

// ---- Validation ----

const EXABYTE_IN_MB = 1024 ** 4;
const OTHER_LIMIT = 1000 ** 4;

function tooLarge(map: ResourceQuantities | undefined): string | null {
  for (const [name, { value }] of Object.entries(map ?? {})) {
    if ((name === "mem" || name === "disk") && value > EXABYTE_IN_MB) {
      return `{'${name}': ${scalarText(value)}} is invalid: values greater than 1 exabyte (${EXABYTE_IN_MB}) are not supported`;
    }
    if (name !== "mem" && name !== "disk" && value > OTHER_LIMIT) {
      return `{'${name}': ${scalarText(value)}} is invalid: values greater than 1 trillion (${OTHER_LIMIT}) are not supported`;
    }
  }
  return null;
}

function invalidScalar(value: number): string | null {
  if (value !== 0 && Math.abs(value) < Number.MIN_VALUE * 2 ** 52) return "Subnormal values not supported";
  return value < 0 ? "Negative values not supported" : null;
}

/** Mesos's quota::validate(QuotaConfig): null when valid, else the reason. */
export function validateQuotaConfig(config: QuotaConfig): string | null {
  const role = validateRole(config.role);
  if (role !== null) return `Invalid 'QuotaConfig.role': ${role}`;
  const large = tooLarge(config.guarantees);
  if (large !== null) return `Invalid 'QuotaConfig.guarantees': ${large}`;
  const largeLimit = tooLarge(config.limits);
  if (largeLimit !== null) return `Invalid 'QuotaConfig.limits': ${largeLimit}`;
  for (const [what, map] of [["guarantee", config.guarantees], ["limit", config.limits]] as const) {
    for (const [name, { value }] of Object.entries(map ?? {})) {
      const invalid = invalidScalar(value);
      if (invalid !== null) return `Invalid ${what} configuration {'${name}': ${scalarText(value)}}: ${invalid}`;
    }
  }
  const limits = config.limits ?? {};
  for (const [name, value] of quantities(config.guarantees)) {
    const limit = limits[name];
    if (limit !== undefined && fixed(limit.value) < fixed(value)) {
      return `'QuotaConfig.guarantees' ${mapText(config.guarantees)} is not contained within the 'QuotaConfig.limits' ${mapText(config.limits)}`;
    }
  }
  return null;
}

/** UPDATE_QUOTA's checks of each config alone (Mesos's order), plus: a role appears once per request. */
export function validateQuotaConfigs(configs: readonly QuotaConfig[]): string | null {
  const seen = new Set<string>();
  for (const config of configs) {
    if (config.role.includes("/")) return `Updating quota on nested role '${config.role}' is not supported yet`;
    const invalid = validateQuotaConfig(config);
    if (invalid !== null) return `Invalid QuotaConfig: ${invalid}`;
    if (seen.has(config.role)) return `Invalid QuotaConfig: role '${config.role}' appears more than once`;
    seen.add(config.role);
  }
  return null;
}

function validateResource(resource: QuotaResource): string | null {
  if (resource.name === "") return "Empty resource name";
  if (resource.type === "SCALAR") {
    if (resource.scalar === undefined || resource.has_ranges || resource.has_set) return "Invalid scalar resource";
    if (resource.scalar !== 0 && fixed(resource.scalar) <= 0) return "Invalid scalar resource: value <= 0";
  } else if (resource.type === "RANGES" && (resource.scalar !== undefined || !resource.has_ranges || resource.has_set)) {
    return "Invalid ranges resource";
  } else if (resource.type === "SET" && (resource.scalar !== undefined || resource.has_ranges || !resource.has_set)) {
    return "Invalid set resource";
  }
  return null;
}

function validateQuotaInfo(role: string | undefined, guarantee: readonly QuotaResource[]): string | null {
  if (role === undefined) return "QuotaInfo must specify a role";
  const invalidRole = validateRole(role);
  if (invalidRole !== null) return `QuotaInfo with invalid role: ${invalidRole}`;
  if (guarantee.length === 0) return "QuotaInfo with empty 'guarantee'";
  const names = new Set<string>();
  for (const resource of guarantee) {
    if (resource.has_reservations) return "QuotaInfo must not contain any ReservationInfo";
    if (resource.has_disk) return "QuotaInfo must not contain DiskInfo";
    if (resource.has_revocable) return "QuotaInfo must not contain RevocableInfo";
    if (resource.type !== "SCALAR") return "QuotaInfo must not include non-scalar resources";
    if (names.has(resource.name)) return `QuotaInfo contains duplicate resource name '${resource.name}'`;
    names.add(resource.name);
  }
  return null;
}

/** POST /quota's checks of the request alone; the config it sets (guarantee = limit) or the reason. */
export function validateQuotaRequest(request: QuotaRequest): { value: QuotaConfig } | { error: string } {
  for (const resource of request.guarantee) {
    const invalid = validateResource(resource);
    if (invalid !== null) return { error: `Failed to validate set quota request: QuotaInfo with invalid resource: ${invalid}` };
  }
  const invalid = validateQuotaInfo(request.role, request.guarantee);
  if (invalid !== null) return { error: `Failed to validate set quota request: ${invalid}` };
  const role = request.role!;
  if (role.includes("/")) return { error: `Setting quota on nested role '${role}' is not supported yet` };
  const map: ResourceQuantities = {};
  for (const r of request.guarantee) map[r.name] = { value: r.scalar! };
  const config: QuotaConfig = { role, guarantees: map, limits: { ...map } };
  const bounds = validateQuotaConfig(config);
  return bounds !== null ? { error: `Failed to validate set quota request: ${bounds}` } : { value: config };
}

// ---- Views of the registry ----

function configsOf(registry: Registry): QuotaConfig[] {
  return [...(registry.quota_configs ?? [])].sort((a, b) => (a.role < b.role ? -1 : a.role > b.role ? 1 : 0));
}

function mapJson(q: Quantities | [string, number][]): ResourceQuantities {
  const out: ResourceQuantities = {};
  for (const [name, value] of q) out[name] = { value };
  return out;
}

/** QuotaStatus: legacy `infos` (guarantees as scalar Resources) and `configs`, by role; `{}` when no role has quota. */
export const quotaStatusJson = perRegistry(quotaStatusView);

function quotaStatusView(registry: Registry): Record<string, unknown> {
  const configs = configsOf(registry);
  if (configs.length === 0) return {};
  const infos = configs.map((c) => {
    const guarantee = [...quantities(c.guarantees)].map(([name, value]) => ({ name, type: "SCALAR", scalar: { value } }));
    return guarantee.length > 0 ? { role: c.role, guarantee } : { role: c.role };
  });
  const out = configs.map((c) => {
    const config: Record<string, unknown> = { role: c.role };
    const guarantees = quantities(c.guarantees);
    const limits = Object.keys(c.limits ?? {}).sort().map((name): [string, number] => [name, c.limits![name]!.value]);
    if (guarantees.size > 0) config.guarantees = mapJson(guarantees);
    if (limits.length > 0) config.limits = mapJson(limits);
    return config;
  });
  return { infos, configs: out };
}

/** A QuotaStatus with only the roles `visible` allows (get_quotas); `{}` when none is left. */
export function visibleQuotaStatus(status: Record<string, unknown>, visible: (role: string) => boolean): Record<string, unknown> {
  const keep = (list: unknown) => ((list ?? []) as { role: string }[]).filter((entry) => visible(entry.role));
  const infos = keep(status.infos);
  const configs = keep(status.configs);
  return configs.length === 0 ? {} : { infos, configs };
}

/** The guarantees' sum once `updates` are stored: a walk of every quota, so only asked for when 'force' is not set. */
function totalGuarantees(registry: RegistryProjection, updates: readonly QuotaConfig[]): Quantities {
  const byRole = new Map(registry.quotas);
  for (const config of updates) byRole.set(config.role, config);
  const total: Quantities = new Map();
  // Nested roles are refused, so every quota is a top-level node of Mesos's quota tree and
  // the tree's parent-contains-children rule always holds.
  for (const config of byRole.values()) add(total, quantities(config.guarantees));
  return total;
}

// ---- The service ----

export class QuotaService {
  /** The cluster's capacity: registered agents' non-revocable scalars (none exist in this build). */
  constructor(private readonly writer: RegistryWriter, private readonly capacity: () => Quantities = () => new Map()) {}

  status(): Record<string, unknown> {
    return quotaStatusJson(this.writer.current());
  }

  /** v1 UPDATE_QUOTA. A role's consumption never exceeds its new limits here: nothing is allocated in this build. */
  update(configs: QuotaConfig[], force: boolean): Promise<Reply> {
    const invalid = validateQuotaConfigs(configs);
    if (invalid !== null) return Promise.resolve(refuse(invalid));
    return this.writer.write((registry): Plan => {
      if (registry.quotaRolesWith(configs) > ROLES_MAX) return refuse(`Invalid QuotaConfig: at most ${ROLES_MAX} roles may have a quota`);
      if (force) return { operation: { type: "UPDATE_QUOTA", configs } };
      const total = totalGuarantees(registry, configs);
      const capacity = this.capacity();
      if (!contains(capacity, total)) {
        return refuse(`Invalid QuotaConfig: total quota guarantees '${quantitiesText(total)}' exceed cluster capacity '${quantitiesText(capacity)}' (use 'force' flag to bypass this check)`);
      }
      return { operation: { type: "UPDATE_QUOTA", configs } };
    });
  }

  /** POST /quota: sets a role's quota (guarantee and limit) when it has none. */
  set(request: QuotaRequest): Promise<Reply> {
    const valid = validateQuotaRequest(request);
    if ("error" in valid) return Promise.resolve(refuse(valid.error));
    const config = valid.value;
    return this.writer.write((registry): Plan => {
      if (registry.quotas.has(config.role)) {
        return refuse(`Failed to validate set quota request: Cannot set quota for role '${config.role}' which already has quota`);
      }
      if (registry.quotaRolesWith([config]) > ROLES_MAX) return refuse(`Failed to validate set quota request: at most ${ROLES_MAX} roles may have a quota`);
      if (request.force) return { operation: { type: "UPDATE_QUOTA", configs: [config] } };
      const total = totalGuarantees(registry, [config]);
      const capacity = this.capacity();
      if (!contains(capacity, total)) {
        return refuse(`Quota guarantees overcommit the cluster (use 'force' to bypass this check): Total quota guarantees '${quantitiesText(total)}' exceed cluster capacity '${quantitiesText(capacity)}'`, 409);
      }
      return { operation: { type: "UPDATE_QUOTA", configs: [config] } };
    });
  }

  /** DELETE /quota/<role>: back to the default quota. `path` is the request path, for the error texts. */
  remove(path: string, role: string): Promise<Reply> {
    if (role === "") return Promise.resolve(refuse(`Failed to parse remove quota request for path '${path}': expected a role after '/quota/'`));
    return this.writer.write((registry): Plan => {
      if (!registry.quotas.has(role)) {
        return refuse(`Failed to remove quota for path '${path}': Role '${role}' has no quota set`);
      }
      return { operation: { type: "UPDATE_QUOTA", configs: [{ role }] } };
    });
  }
}
