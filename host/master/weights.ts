// Role weights (/weights, GET_WEIGHTS, UPDATE_WEIGHTS) and Mesos's role-name rules
// (common/roles.cpp), which quota shares. An update is one registry UPDATE_WEIGHTS; a role
// may appear once per request (Mesos would let the last one win; we refuse the ambiguity).
import type { Registry, WeightInfo } from "../registry/types.ts";
import {
  arrayOf, numberField, objectOf, perRegistry, type Plan, type Reply, refuse, type RegistryWriter, requireFields, ROLES_MAX, stringField,
} from "./registry_requests.ts";

// Whitespace, vertical tab, form feed and DEL may not appear in a role component.
const INVALID_ROLE_CHARACTERS = /[\x09\x0a\x0b\x0c\x0d\x20\x7f]/;

/** Mesos's roles::validate: null when the role name is valid, else the reason. */
export function validateRole(role: string): string | null {
  if (role === "*") return null;
  if (role.startsWith("/")) return `Role '${role}' cannot start with a slash`;
  if (role.endsWith("/")) return `Role '${role}' cannot end with a slash`;
  if (role.includes("//")) return `Role '${role}' cannot contain two adjacent slashes`;
  const components = role.split("/").filter((c) => c !== "");
  if (components.length === 0) return "Role names cannot be the empty string";
  for (const component of components) {
    if (component === ".") return `Role '${role}' cannot include '.' as a component`;
    if (component === "..") return `Role '${role}' cannot include '..' as a component`;
    if (component === "*") return `Role '${role}' cannot include '*' as a component`;
    if (component.startsWith("-")) return `Role component '${component}' is invalid because it starts with a dash`;
    if (INVALID_ROLE_CHARACTERS.test(component)) return `Role component '${component}' is invalid because it contains backspace or whitespace`;
  }
  return null;
}

/** A JSON array of WeightInfo ({role, weight}; weight required). */
export function parseWeightInfos(value: unknown, path = ""): WeightInfo[] {
  return arrayOf(value).map((item, i) => {
    const object = objectOf(item);
    requireFields(object, `${path}[${i}].`, ["weight"]);
    return { role: stringField(object, "role") ?? "", weight: numberField(object, "weight")! };
  });
}

const PREFIX = "Failed to validate update weights request JSON";

/** Trims each role and checks it, its weight and that it appears once; the infos to store or the reason. */
export function validateWeights(infos: readonly WeightInfo[]): { value: WeightInfo[] } | { error: string } {
  const out: WeightInfo[] = [];
  const seen = new Set<string>();
  for (const info of infos) {
    const role = info.role.trim();
    const invalid = validateRole(role);
    if (invalid !== null) return { error: `${PREFIX}: Invalid role '${role}': ${invalid}` };
    if (!(info.weight > 0)) return { error: `${PREFIX} for role '${role}': Invalid weight '${info.weight}': Weights must be positive` };
    if (seen.has(role)) return { error: `${PREFIX}: Role '${role}' appears more than once` };
    seen.add(role);
    out.push({ role, weight: info.weight });
  }
  return { value: out };
}

/** The weights in force: the registry's, or --weights while the registry has none (Mesos's recovery rule); sorted by role. */
export const weightsJson = perRegistry(weightsView);

function weightsView(registry: Registry, initial: Record<string, number> | undefined): WeightInfo[] {
  const stored = (registry.weights ?? []).map((w) => ({ role: w.info.role, weight: w.info.weight }));
  const list = stored.length > 0 ? stored : Object.entries(initial ?? {}).map(([role, weight]) => ({ role, weight }));
  return list.sort((a, b) => (a.role < b.role ? -1 : a.role > b.role ? 1 : 0));
}

export class WeightsService {
  constructor(
    private readonly writer: RegistryWriter,
    private readonly initial: () => Record<string, number> | undefined,
  ) {}

  get(): WeightInfo[] {
    return weightsJson(this.writer.current(), this.initial());
  }

  update(infos: readonly WeightInfo[]): Promise<Reply> {
    const valid = validateWeights(infos);
    if ("error" in valid) return Promise.resolve(refuse(valid.error));
    const roles = valid.value.map((w) => w.role);
    return this.writer.write((registry): Plan => {
      if (registry.weightRolesWith(roles) > ROLES_MAX) return refuse(`${PREFIX}: at most ${ROLES_MAX} roles may have a weight`);
      return { operation: { type: "UPDATE_WEIGHTS", weights: valid.value } };
    });
  }
}
