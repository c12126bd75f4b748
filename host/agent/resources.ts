// The agent's resources and attributes as Mesos writes them in SlaveInfo (v1 JSON), parsed
// from --resources / --attributes the way Mesos's Resources::parse and Attributes::parse read
// them, and detected from the machine when not given (Mesos's Containerizer::resources:
// cpus = CPUs, mem = total minus min(1 GB, 50%), disk = work_dir's filesystem size minus
// min(5 GB, 50%), ports [31000-32000]). Parse errors are thrown as Error with what was
// expected; the flag layer turns them into one line naming the flag.
import { statfsSync } from "node:fs";
import { cpus, totalmem } from "node:os";

export interface Range {
  begin: number;
  end: number;
}

export type Resource = { name: string; role: string } & (
  | { type: "SCALAR"; scalar: { value: number } }
  | { type: "RANGES"; ranges: { range: Range[] } }
  | { type: "SET"; set: { item: string[] } }
);

export type Attribute = { name: string } & (
  | { type: "TEXT"; text: { value: string } }
  | { type: "SCALAR"; scalar: { value: number } }
  | { type: "RANGES"; ranges: { range: Range[] } }
);

const MB = 1024 * 1024;
const GB = 1024 * MB;
/** The names Mesos detects, in SlaveInfo's order; other given resources follow them. */
const DETECTED_NAMES = ["cpus", "mem", "disk", "ports"] as const;
const RESOURCE_SYNTAX = "resources like cpus:4;mem:8192;ports:[31000-32000] or a JSON array of Resource";
const NAME = /^[A-Za-z0-9_.\-/]+$/;
const ROLE = /^[A-Za-z0-9_\-/.]+$/;
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

/** Parses --resources: `name(role):value;...` (scalar, [a-b,...] ranges or {a,b} sets) or JSON. */
export function parseResources(text: string): Resource[] {
  const trimmed = text.trim();
  if (trimmed.startsWith("[")) return parseResourcesJson(trimmed);
  const resources: Resource[] = [];
  for (const entry of trimmed.split(";").map((e) => e.trim()).filter((e) => e !== "")) {
    const colon = entry.indexOf(":");
    if (colon <= 0) throw new Error(`${RESOURCE_SYNTAX} (bad entry '${entry}')`);
    const { name, role } = parseNameRole(entry.slice(0, colon).trim(), entry);
    resources.push(parseResourceValue(name, role, entry.slice(colon + 1).trim(), entry));
  }
  if (resources.length === 0) throw new Error(RESOURCE_SYNTAX);
  checkUnique(resources);
  return resources;
}

function parseNameRole(text: string, entry: string): { name: string; role: string } {
  const match = /^([^()]+?)(?:\(([^()]*)\))?$/.exec(text);
  const name = match?.[1] ?? "";
  const role = match?.[2] ?? "*";
  if (!NAME.test(name)) throw new Error(`${RESOURCE_SYNTAX} (bad name in '${entry}')`);
  if (role !== "*" && (!ROLE.test(role) || role === "." || role === ".." || role.startsWith("/") || role.endsWith("/"))) {
    throw new Error(`${RESOURCE_SYNTAX} (bad role '${role}' in '${entry}')`);
  }
  return { name, role };
}

function parseResourceValue(name: string, role: string, value: string, entry: string): Resource {
  if (value.startsWith("[")) return { name, type: "RANGES", ranges: { range: parseRanges(value, entry) }, role };
  if (value.startsWith("{")) {
    if (!value.endsWith("}")) throw new Error(`${RESOURCE_SYNTAX} (bad set in '${entry}')`);
    const item = value.slice(1, -1).split(",").map((s) => s.trim()).filter((s) => s !== "");
    if (item.length === 0 || new Set(item).size !== item.length) throw new Error(`${RESOURCE_SYNTAX} (bad set in '${entry}')`);
    return { name, type: "SET", set: { item }, role };
  }
  const scalar = NUMBER.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(scalar) || scalar < 0) throw new Error(`${RESOURCE_SYNTAX} (bad scalar in '${entry}': a number >= 0)`);
  return { name, type: "SCALAR", scalar: { value: scalar }, role };
}

/** Parses `[a-b, c-d]` into sorted, non-overlapping ranges of non-negative integers. */
export function parseRanges(value: string, entry: string): Range[] {
  const bad = (why: string) => new Error(`${RESOURCE_SYNTAX} (bad ranges in '${entry}': ${why})`);
  if (!value.startsWith("[") || !value.endsWith("]")) throw bad("expected [begin-end,...]");
  const ranges: Range[] = [];
  for (const part of value.slice(1, -1).split(",").map((s) => s.trim()).filter((s) => s !== "")) {
    const match = /^(\d+)\s*-\s*(\d+)$/.exec(part);
    if (!match) throw bad(`'${part}' is not begin-end`);
    const begin = Number(match[1]);
    const end = Number(match[2]);
    if (!Number.isSafeInteger(begin) || !Number.isSafeInteger(end) || begin > end) throw bad(`'${part}' is not an increasing integer range`);
    ranges.push({ begin, end });
  }
  if (ranges.length === 0) throw bad("no range");
  ranges.sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i]!.begin <= ranges[i - 1]!.end) throw bad("ranges overlap");
  }
  return ranges;
}

function parseResourcesJson(text: string): Resource[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${RESOURCE_SYNTAX} (not JSON)`);
  }
  if (!Array.isArray(value) || value.length === 0) throw new Error(`${RESOURCE_SYNTAX} (a non-empty JSON array)`);
  const resources = value.map((r: any, i): Resource => {
    const bad = (why: string) => new Error(`${RESOURCE_SYNTAX} (resource ${i}: ${why})`);
    if (typeof r !== "object" || r === null || typeof r.name !== "string" || !NAME.test(r.name)) throw bad("a name");
    const role = r.role === undefined ? "*" : r.role;
    if (typeof role !== "string" || (role !== "*" && !ROLE.test(role))) throw bad("a role");
    const entry = `${r.name}`;
    if (r.type === "SCALAR") return parseResourceValue(r.name, role, String(r.scalar?.value), entry);
    if (r.type === "RANGES" && Array.isArray(r.ranges?.range)) {
      return parseResourceValue(r.name, role, `[${r.ranges.range.map((x: any) => `${x?.begin}-${x?.end}`).join(",")}]`, entry);
    }
    if (r.type === "SET" && Array.isArray(r.set?.item) && r.set.item.every((s: unknown) => typeof s === "string")) {
      return parseResourceValue(r.name, role, `{${r.set.item.join(",")}}`, entry);
    }
    throw bad("type SCALAR, RANGES or SET with its value");
  });
  checkUnique(resources);
  return resources;
}

/** One entry per (name, role): Mesos would add duplicates up, we ask the operator to. */
function checkUnique(resources: Resource[]): void {
  const seen = new Set<string>();
  for (const r of resources) {
    const key = `${r.name}(${r.role})`;
    if (seen.has(key)) throw new Error(`${RESOURCE_SYNTAX} (${key} given more than once)`);
    seen.add(key);
  }
}

/** Parses --attributes: `name:value;...`, a number is SCALAR, [a-b,...] RANGES, anything else TEXT. */
export function parseAttributes(text: string): Attribute[] {
  const syntax = "attributes like rack:a;zone:1";
  const attributes: Attribute[] = [];
  for (const entry of text.split(";").map((e) => e.trim()).filter((e) => e !== "")) {
    const pair = entry.split(":");
    const name = pair[0]?.trim() ?? "";
    const value = pair[1]?.trim() ?? "";
    // Attributes::parse wants exactly one ':' per pair.
    if (pair.length !== 2 || name === "" || value === "" || !NAME.test(name)) throw new Error(`${syntax} (bad attribute '${entry}')`);
    if (value.startsWith("[")) attributes.push({ name, type: "RANGES", ranges: { range: parseRanges(value, entry) } });
    else if (NUMBER.test(value)) attributes.push({ name, type: "SCALAR", scalar: { value: Number(value) } });
    else attributes.push({ name, type: "TEXT", text: { value } });
  }
  if (attributes.length === 0) throw new Error(syntax);
  return attributes;
}

/** What the machine has, as Mesos detects it; disk is measured on the work_dir's filesystem. */
export function detectResources(work_dir: string): Resource[] {
  const cpuCount = Math.max(1, cpus().length);
  const memBytes = totalmem();
  const fs = statfsSync(work_dir);
  const diskBytes = fs.blocks * fs.bsize;
  const scalar = (name: string, value: number): Resource => ({ name, type: "SCALAR", scalar: { value }, role: "*" });
  return [
    scalar("cpus", cpuCount),
    scalar("mem", Math.floor((memBytes - Math.min(GB, memBytes / 2)) / MB)),
    scalar("disk", Math.floor((diskBytes - Math.min(5 * GB, diskBytes / 2)) / MB)),
    { name: "ports", type: "RANGES", ranges: { range: [{ begin: 31000, end: 32000 }] }, role: "*" },
  ];
}

/**
 * The agent's total: a given resource replaces the detected one of the same name (in any role,
 * as Mesos skips detection of a name the operator set), in SlaveInfo's order cpus, mem, disk,
 * ports, then the other given resources in their order.
 */
export function mergeResources(given: readonly Resource[], detected: () => Resource[]): Resource[] {
  const givenNames = new Set(given.map((r) => r.name));
  const needDetection = DETECTED_NAMES.some((n) => !givenNames.has(n));
  const found = needDetection ? detected() : [];
  const out: Resource[] = [];
  for (const name of DETECTED_NAMES) {
    if (givenNames.has(name)) out.push(...given.filter((r) => r.name === name));
    else out.push(...found.filter((r) => r.name === name));
  }
  out.push(...given.filter((r) => !(DETECTED_NAMES as readonly string[]).includes(r.name)));
  return out;
}

/** Mesos /state's summary form: {"cpus": 4, "ports": "[31000-32000]", ...} (summed over roles). */
export function summarizeResources(resources: readonly Resource[]): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (const r of resources) {
    if (r.type === "SCALAR") out[r.name] = (typeof out[r.name] === "number" ? (out[r.name] as number) : 0) + r.scalar.value;
    else if (r.type === "RANGES") out[r.name] = `[${r.ranges.range.map((x) => `${x.begin}-${x.end}`).join(", ")}]`;
    else out[r.name] = `{${r.set.item.join(", ")}}`;
  }
  return out;
}

/** Mesos /state's attributes: {"rack": "a", "zone": 1}. */
export function summarizeAttributes(attributes: readonly Attribute[]): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (const a of attributes) {
    if (a.type === "SCALAR") out[a.name] = a.scalar.value;
    else if (a.type === "RANGES") out[a.name] = `[${a.ranges.range.map((x) => `${x.begin}-${x.end}`).join(", ")}]`;
    else out[a.name] = a.text.value;
  }
  return out;
}
