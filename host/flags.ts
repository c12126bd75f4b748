// Flags parsed the way Mesos (stout) parses them: --name=value, --name / --no-name for
// booleans, MESOS_NAME environment variables (the command line wins), aliases, --help and
// --version. Every error is one line naming the flag and what was expected; the caller
// prints it and exits 1 before anything starts.
import { formatDuration, parseDuration } from "./duration.ts";

/** One flag: how to read it, how to print it back (for /flags and --help), and its help. */
export interface FlagSpec<T, D extends T | undefined = T | undefined> {
  kind: "bool" | "value";
  help: string;
  /** The placeholder in --help, e.g. VALUE, SECS. */
  metavar: string;
  default: D;
  aliases?: readonly string[];
  /** Parses raw text; throws FlagValueError with what was expected. */
  parse(raw: string): T;
  format(value: T): string;
}

export class FlagValueError extends Error {}

/** A user error in flags: the message is the one line printed before exit 1. */
export class FlagError extends Error {
  override name = "FlagError";
}

export type FlagSpecs = Record<string, FlagSpec<any, any>>;

/** Parsed values: flags with a default are always present, others may be undefined. */
export type FlagValues<S extends FlagSpecs> = {
  [K in keyof S]: S[K] extends FlagSpec<infer T, infer D> ? ([D] extends [undefined] ? T | undefined : T) : never;
};

export type ParseResult<S extends FlagSpecs> =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "flags"; values: FlagValues<S>; explicit: Set<string> };

// ---- Value kinds ------------------------------------------------------------------------

/** Throws the FlagValueError for a value that is not `what`. */
export function expect(what: string, raw: string): never {
  throw new FlagValueError(`expected ${what}, got '${raw}'`);
}

export const flag = {
  bool<D extends boolean | undefined = undefined>(help: string, fallback?: D): FlagSpec<boolean, D> {
    return {
      kind: "bool", help, metavar: "", default: fallback as D,
      parse: (raw) => (raw === "true" || raw === "1" ? true : raw === "false" || raw === "0" ? false : expect("true or false", raw)),
      format: (v) => String(v),
    };
  },
  string<D extends string | undefined = undefined>(help: string, fallback?: D, check?: (v: string) => string | null): FlagSpec<string, D> {
    return {
      kind: "value", help, metavar: "VALUE", default: fallback as D,
      parse: (raw) => {
        const problem = check?.(raw);
        return problem ? expect(problem, raw) : raw;
      },
      format: (v) => v,
    };
  },
  oneOf<T extends string, D extends T | undefined = undefined>(help: string, choices: readonly T[], fallback?: D, aliases: Record<string, T> = {}): FlagSpec<T, D> {
    return {
      kind: "value", help, metavar: choices.join("|"), default: fallback as D,
      parse: (raw) => aliases[raw] ?? (choices.includes(raw as T) ? (raw as T) : expect(`one of ${choices.join(", ")}`, raw)),
      format: (v) => v,
    };
  },
  int<D extends number | undefined = undefined>(help: string, min: number, max: number, fallback?: D): FlagSpec<number, D> {
    return {
      kind: "value", help, metavar: "N", default: fallback as D,
      parse: (raw) => {
        const value = /^[+-]?\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
        if (!Number.isSafeInteger(value) || value < min || value > max) {
          return expect(max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`, raw);
        }
        return value;
      },
      format: (v) => String(v),
    };
  },
  /** A duration in milliseconds within [min_ms, max_ms]. */
  duration<D extends number | undefined = undefined>(help: string, min_ms: number, max_ms: number, fallback?: D): FlagSpec<number, D> {
    const range = max_ms === Infinity ? `>= ${formatDuration(min_ms)}` : `in [${formatDuration(min_ms)}, ${formatDuration(max_ms)}]`;
    return {
      kind: "value", help, metavar: "DURATION", default: fallback as D,
      parse: (raw) => {
        const ms = parseDuration(raw);
        if (ms === null) return expect("a duration like 500ms, 10secs, 1mins, 2hrs or 2weeks", raw);
        if (ms < min_ms || ms > max_ms) return expect(`a duration ${range}`, raw);
        return ms;
      },
      format: (v) => formatDuration(v),
    };
  },
  /** A percentage like 100% or 12.5%, kept as a fraction in [0, 1]. */
  percent<D extends number | undefined = undefined>(help: string, fallback?: D): FlagSpec<number, D> {
    return {
      kind: "value", help, metavar: "PERCENT", default: fallback as D,
      parse: (raw) => {
        const match = /^(\d+(?:\.\d+)?)%$/.exec(raw.trim());
        const value = match ? Number(match[1]) : Number.NaN;
        return value >= 0 && value <= 100 ? value / 100 : expect("a percentage in [0%, 100%] like 50%", raw);
      },
      format: (v) => `${Number((v * 100).toPrecision(6))}%`,
    };
  },
  /** A custom value: `parse` returns T or calls expect(what, raw). */
  custom<T>(help: string, metavar: string, parse: (raw: string) => T, format: (v: T) => string): FlagSpec<T, undefined> {
    return { kind: "value", help, metavar, default: undefined, parse, format };
  },
};

export function withAliases<T, D extends T | undefined>(spec: FlagSpec<T, D>, ...aliases: string[]): FlagSpec<T, D> {
  return { ...spec, aliases };
}

// ---- Parsing ---------------------------------------------------------------------------

type Source = { origin: "command line" | "environment"; via: string };

/** Parses argv (without the program name) and the MESOS_* environment against `specs`. */
export function parseFlags<S extends FlagSpecs>(specs: S, argv: readonly string[], env: Record<string, string | undefined>): ParseResult<S> {
  const byName = indexByName(specs);
  const raw = new Map<string, { text: string; source: Source }>();
  for (const arg of argv) {
    if (arg === "--help" || arg === "-h") return { kind: "help" };
    if (arg === "--version") return { kind: "version" };
  }
  for (const [key, text] of Object.entries(env)) {
    if (!key.startsWith("MESOS_") || text === undefined) continue;
    const name = key.slice("MESOS_".length).toLowerCase();
    const canonical = byName.get(name);
    if (canonical === undefined) continue; // stout ignores MESOS_* variables it does not know
    raw.set(canonical, { text: text === "" && specs[canonical]!.kind === "bool" ? "true" : text, source: { origin: "environment", via: key } });
  }
  const fromCommandLine = new Set<string>();
  for (const arg of argv) readArgument(arg, specs, byName, raw, fromCommandLine);
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const given = raw.get(name);
    values[name] = given === undefined ? spec.default : parseValue(name, spec, given.text, given.source);
  }
  return { kind: "flags", values: values as FlagValues<S>, explicit: new Set(raw.keys()) };
}

function indexByName(specs: FlagSpecs): Map<string, string> {
  const byName = new Map<string, string>();
  for (const [name, spec] of Object.entries(specs)) {
    byName.set(name, name);
    for (const alias of spec.aliases ?? []) byName.set(alias, name);
  }
  return byName;
}

function readArgument(
  arg: string, specs: FlagSpecs, byName: Map<string, string>,
  raw: Map<string, { text: string; source: Source }>, seen: Set<string>,
): void {
  if (!arg.startsWith("--") || arg === "--") throw new FlagError(`Unexpected argument '${arg}': flags look like --name=value`);
  const body = arg.slice(2);
  const eq = body.indexOf("=");
  let name = eq >= 0 ? body.slice(0, eq) : body;
  let text: string | undefined = eq >= 0 ? body.slice(eq + 1) : undefined;
  let negated = false;
  if (!byName.has(name) && name.startsWith("no-") && byName.has(name.slice(3))) {
    name = name.slice(3);
    negated = true;
  }
  const canonical = byName.get(name);
  if (canonical === undefined) throw new FlagError(`Failed to load unknown flag '${name}'`);
  const spec = specs[canonical]!;
  if (spec.kind === "bool") {
    if (negated && text !== undefined) throw new FlagError(`Failed to load boolean flag '${canonical}' via '${arg}': --no-${name} takes no value`);
    text = negated ? "false" : text ?? "true";
  } else if (negated || text === undefined) {
    throw new FlagError(`Failed to load non-boolean flag '${canonical}' via '${arg}': expected --${name}=VALUE`);
  }
  if (seen.has(canonical)) throw new FlagError(`Flag '${canonical}' is given more than once on the command line`);
  seen.add(canonical);
  raw.set(canonical, { text, source: { origin: "command line", via: arg } });
}

function parseValue(name: string, spec: FlagSpec<unknown, unknown>, text: string, source: Source): unknown {
  try {
    return spec.parse(text);
  } catch (error) {
    if (!(error instanceof FlagValueError)) throw error;
    const from = source.origin === "environment" ? ` from environment variable '${source.via}'` : "";
    throw new FlagError(`Failed to load flag '${name}'${from}: ${error.message}`);
  }
}

// ---- Rendering -------------------------------------------------------------------------

/** `{name: string-value}` for every flag that has a value, as Mesos's /flags shows them. */
export function renderFlags<S extends FlagSpecs>(specs: S, values: FlagValues<S>, redact: (name: string, text: string) => string = (_, t) => t): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(specs).sort()) {
    const value = (values as Record<string, unknown>)[name];
    if (value !== undefined) out[name] = redact(name, specs[name]!.format(value));
  }
  return out;
}

/** --help text: usage, then every flag alphabetically with its default and one line. */
export function helpText(program: string, specs: FlagSpecs): string {
  const lines = [`Usage: ${program} [options]`, ""];
  for (const name of Object.keys(specs).sort()) {
    const spec = specs[name]!;
    const left = spec.kind === "bool" ? `--[no-]${name}` : `--${name}=${spec.metavar}`;
    const fallback = spec.default === undefined ? "" : ` (default: ${spec.format(spec.default)})`;
    const aliases = spec.aliases?.length ? ` (alias: ${spec.aliases.map((a) => `--${a}`).join(", ")})` : "";
    lines.push(`  ${left.padEnd(44)} ${spec.help}${fallback}${aliases}`);
  }
  lines.push(`  ${"--help".padEnd(44)} Prints this help and exits.`);
  lines.push(`  ${"--version".padEnd(44)} Prints the version and exits.`);
  return lines.join("\n");
}
