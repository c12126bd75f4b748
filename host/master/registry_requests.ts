// What the registry's HTTP services share: the reply they hand to the HTTP modules, a
// reader of request JSON in the shapes Mesos's protobuf parser accepts (and its error
// texts), the registry's size bounds checked before an operation is queued, and the writer
// that validates requests in order and stores them together.
import "../json_int64.ts";
import { logger } from "../logging.ts";
import { exactInteger } from "../registry/codec.ts";
import type { RegistrarService } from "../registry/service.ts";
import type { Operation, Registry } from "../registry/types.ts";
import { RegistryProjection } from "./registry_projection.ts";

const log = logger("registry_requests.ts");

/** 200 with a JSON body (or an empty one when json is undefined), or a status with a one-line text. */
export type Reply = { status: 200; json?: unknown } | { status: number; message: string };

export const ok = (json?: unknown): Reply => ({ status: 200, json });
export const refuse = (message: string, status = 400): Reply => ({ status, message: oneLine(message) });

export function isRefusal(reply: Reply): reply is { status: number; message: string } {
  return "message" in reply;
}

// The registry's bounds (core/util/limits.ts and host/master/registrar.ts); requests beyond
// them are refused with 400 here instead of failing in the registrar.
/** Bytes of a request body (a registry operation must stay under the registrar's 512 KiB batch). */
export const REQUEST_BODY_BYTES_MAX = 256 << 10;
/** Bytes of a hostname, ip, role or resource name (REGISTRY_NAME_MAX_BYTES). */
export const NAME_BYTES_MAX = 4096;
/** Windows in one schedule (WINDOWS_MAX), roles with a quota or weight (REGISTRY_ROLES_MAX), resources per quota map. */
export const WINDOWS_MAX = 1 << 14;
export const ROLES_MAX = 1 << 14;
export const QUOTA_RESOURCES_MAX = 256;

/** A request whose JSON does not have the expected shape; the message is Mesos's parser's. */
export class ShapeError extends Error {}

export type JsonObject = Record<string, unknown>;

/** The body as text, or a 400 when it is larger than REQUEST_BODY_BYTES_MAX. */
export async function bodyText(request: Request): Promise<string | Reply> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  const tooLarge = refuse(`Request body is larger than ${REQUEST_BODY_BYTES_MAX} bytes`);
  if (declared > REQUEST_BODY_BYTES_MAX) return tooLarge;
  const text = await request.text();
  return Buffer.byteLength(text) > REQUEST_BODY_BYTES_MAX ? tooLarge : text;
}

/** How a body's errors are worded: Mesos prefixes some endpoints' texts with the body itself. */
export interface BodyTexts {
  parse?: (error: string, body: string) => string;
  shape?: (error: string, body: string) => string;
}

/** Reads, parses and shapes a request body; every failure is a 400 with one line. */
export async function readBody<T>(request: Request, shape: (json: unknown) => T, texts: BodyTexts = {}): Promise<{ value: T } | { reply: Reply }> {
  const body = await bodyText(request);
  if (typeof body !== "string") return { reply: body };
  const json = parseJson(body);
  if ("error" in json) return { reply: refuse(texts.parse ? texts.parse(json.error, quoted(body)) : json.error) };
  const shaped = readShape(() => shape(json.value));
  if ("error" in shaped) return { reply: refuse(texts.shape ? texts.shape(shaped.error, quoted(body)) : shaped.error) };
  return shaped;
}

/** Mesos's answer on a leader whose registry is not recovered yet (503). */
export const NOT_RECOVERED = "Master has not finished recovery";

/** An integer literal: kept exact as a bigint beyond 2^53. */
const INTEGER_LITERAL = /^-?\d+$/;

/**
 * JSON.parse with a one-line reason. An integer literal beyond 2^53 becomes a bigint (exact)
 * instead of the nearest double: int64Field checks it, numberField reads it as a double.
 */
export function parseJson(text: string): { value: unknown } | { error: string } {
  try {
    return { value: JSON.parse(text, exactIntegers) as unknown };
  } catch (error) {
    return { error: oneLine(error instanceof Error ? error.message : String(error)) };
  }
}

function exactIntegers(this: unknown, _key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value !== "number" || Number.isSafeInteger(value) || context?.source === undefined) return value;
  return INTEGER_LITERAL.test(context.source) ? exactInteger(BigInt(context.source)) : value;
}

/** Runs a shape reader; its ShapeError becomes the error text. */
export function readShape<T>(read: () => T): { value: T } | { error: string } {
  try {
    return { value: read() };
  } catch (error) {
    if (error instanceof ShapeError) return { error: error.message };
    throw error;
  }
}

/** A body quoted inside an error line: whitespace runs collapsed, at most 200 characters. */
export function quoted(body: string): string {
  const flat = body.replace(/\s+/g, " ");
  return flat.length > 200 ? `${flat.slice(0, 200)}...` : flat;
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, " ");
}

function kind(value: unknown): string {
  if (Array.isArray(value)) return "JSON array";
  if (typeof value === "object") return "JSON object";
  return `JSON ${typeof value}`;
}

function notExpecting(value: unknown, key: string): never {
  throw new ShapeError(`Not expecting a ${kind(value)} for field '${key}'`);
}

/** The value as a JSON object, or "Expecting a JSON object". */
export function objectOf(value: unknown): JsonObject {
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new ShapeError("Expecting a JSON object");
  return value as JsonObject;
}

/** Throws "Missing required fields: a, b" (paths as protobuf names them) when any is absent. */
export function requireFields(object: JsonObject, path: string, fields: readonly string[]): void {
  const missing = fields.filter((f) => object[f] === undefined || object[f] === null).map((f) => `${path}${f}`);
  if (missing.length > 0) throw new ShapeError(`Missing required fields: ${missing.join(", ")}`);
}

export function stringField(object: JsonObject, key: string): string | undefined {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") notExpecting(value, key);
  // A lone surrogate has no UTF-8 form: stored, it would become U+FFFD and no longer match itself.
  if (!value.isWellFormed()) throw new ShapeError(`Field '${key}' is not valid UTF-8 (a lone surrogate)`);
  if (Buffer.byteLength(value) > NAME_BYTES_MAX) throw new ShapeError(`Field '${key}' is longer than ${NAME_BYTES_MAX} bytes`);
  return value;
}

/** A number; numeric strings are accepted as protobuf's JSON mapping allows for 64-bit integers. */
export function numberField(object: JsonObject, key: string, integer = false): number | undefined {
  const raw = object[key];
  if (raw === undefined || raw === null) return undefined;
  const value = typeof raw === "bigint" ? Number(raw) : raw; // a double field given a huge integer
  const number = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  if (typeof value === "string" && Number.isNaN(number)) throw new ShapeError(`Failed to convert '${value}' to number for field '${key}'`);
  if (typeof number !== "number") notExpecting(value, key);
  if (!Number.isFinite(number)) throw new ShapeError(`Expecting a finite number for field '${key}'`);
  if (integer && !Number.isInteger(number)) throw new ShapeError(`Expecting an integer for field '${key}', got ${String(value)}`);
  return number;
}

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

/**
 * An int64 field (protobuf's JSON mapping: a number or a decimal string), exact: a number when
 * it is a safe integer, else a bigint; a value outside int64 is refused, never rounded.
 */
export function int64Field(object: JsonObject, key: string): number | bigint | undefined {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  let exact: bigint;
  if (typeof value === "bigint") {
    exact = value;
  } else if (typeof value === "number") {
    if (!Number.isInteger(value)) throw new ShapeError(`Expecting an integer for field '${key}', got ${value}`);
    if (Number.isSafeInteger(value)) return value;
    exact = BigInt(value); // not from parseJson: already a double
  } else if (typeof value === "string") {
    if (INTEGER_LITERAL.test(value.trim())) exact = BigInt(value.trim());
    else if (Number.isNaN(Number(value))) throw new ShapeError(`Failed to convert '${value}' to number for field '${key}'`);
    else throw new ShapeError(`Expecting an integer for field '${key}', got ${value}`);
  } else {
    notExpecting(value, key);
  }
  if (exact < INT64_MIN || exact > INT64_MAX) throw new ShapeError(`Value ${exact} of field '${key}' is out of the int64 range`);
  return exactInteger(exact);
}

export function boolField(object: JsonObject, key: string): boolean | undefined {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") notExpecting(value, key);
  return value;
}

export function messageField(object: JsonObject, key: string): JsonObject | undefined {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) notExpecting(value, key);
  return value as JsonObject;
}

/** A repeated field (absent or null: empty). */
export function arrayField(object: JsonObject, key: string): unknown[] {
  const value = object[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) notExpecting(value, key);
  return value;
}

/** The top-level JSON array of a body, or "Expecting a JSON array". */
export function arrayOf(value: unknown): unknown[] {
  if (!Array.isArray(value)) throw new ShapeError("Expecting a JSON array");
  return value;
}

/**
 * A view of the stored registry computed once per stored change: current() returns the same
 * object until a batch changes it, so reads between two changes share one result. Callers
 * must not mutate what it returns.
 */
export function perRegistry<T, A extends unknown[]>(view: (registry: Registry, ...args: A) => T): (registry: Registry, ...args: A) => T {
  const cache = new WeakMap<Registry, { args: A; value: T }>();
  return (registry, ...args) => {
    const hit = cache.get(registry);
    if (hit !== undefined && hit.args.every((a, i) => a === args[i])) return hit.value;
    const value = view(registry, ...args);
    cache.set(registry, { args, value });
    return value;
  };
}

/** Requests waiting for the projection's rebuild (the registrar's own queue bound). */
const WAITING_MAX = 1 << 17;

/** An operation to queue once the request is valid, or the refusal. */
export type Plan = { operation: Operation } | Reply;

/**
 * Validates registry requests one after another against the registry as it will be once every
 * earlier accepted request is stored (a RegistryProjection), and queues each accepted operation
 * with the registrar at once: concurrent requests are stored together in the registrar's next
 * batch (one log entry, one fsync round) and answered in their order. A check that only one of
 * two concurrent requests may pass is passed by the first only, as if they had run in turn.
 * When the registrar refuses or fails an operation, the projection may have drifted from what
 * is stored: later requests wait until every queued one is answered, and the projection is
 * rebuilt from the stored registry.
 */
declare const MESOS_MUTANT: string | undefined;
/**
 * TEST ONLY: true in a binary built with `bun scripts/build.ts --mutant=ack_before_quorum`, never
 * in the product's (the constant is absent there, so this is false and the branch is dead): a
 * deliberately broken master that answers a registry write before the log has stored it, for
 * the chaos suite's mutation test, which must report the acknowledged writes this loses.
 */
const ACK_BEFORE_QUORUM = typeof MESOS_MUTANT === "string" && MESOS_MUTANT === "ack_before_quorum";

export class RegistryWriter {
  private projection: RegistryProjection | null = null;
  /** The registrar the projection was built from (a new one, a new projection). */
  private built_from: RegistrarService | null = null;
  private queued = 0;
  private stale = true;
  /** Requests waiting for a rebuild, in arrival order; at most WAITING_MAX. */
  private waiting: (() => void)[] = [];

  constructor(private readonly registrar: () => RegistrarService | undefined) {}

  /** The last stored registry's small parts; {} before recovery. */
  current(): Registry {
    const registrar = this.registrar();
    return registrar !== undefined && registrar.recovered() ? registrar.current() : {};
  }

  recovered(): boolean {
    return this.registrar()?.recovered() ?? false;
  }

  write(plan: (registry: RegistryProjection) => Plan): Promise<Reply> {
    const registrar = this.registrar();
    if (registrar === undefined || !registrar.recovered()) return Promise.resolve(refuse(NOT_RECOVERED, 503));
    if (registrar !== this.built_from) this.stale = true;
    if (this.stale && (this.queued > 0 || this.waiting.length > 0)) {
      if (this.waiting.length >= WAITING_MAX) return Promise.resolve(refuse("Too many registry requests are waiting", 503));
      return new Promise((resolve) => this.waiting.push(() => resolve(this.write(plan))));
    }
    if (this.stale) this.rebuild(registrar);
    const planned = plan(this.projection!);
    if (!("operation" in planned)) return Promise.resolve(planned);
    return this.queue(registrar, planned.operation);
  }

  private rebuild(registrar: RegistrarService): void {
    this.projection = RegistryProjection.of(registrar.current());
    this.built_from = registrar;
    this.stale = false;
  }

  private async queue(registrar: RegistrarService, operation: Operation): Promise<Reply> {
    this.projection!.apply(operation);
    this.queued++;
    const stored = this.store(registrar, operation);
    if (!ACK_BEFORE_QUORUM) return await stored;
    void stored;
    return ok();
  }

  private async store(registrar: RegistrarService, operation: Operation): Promise<Reply> {
    const type = operation.type;
    try {
      if (await registrar.apply(operation)) return ok();
      this.stale = true;
      log.error(`The registry refused a validated ${type} operation`);
      return refuse(`The registry refused the ${type} operation`, 500);
    } catch (error) {
      this.stale = true;
      const reason = error instanceof Error ? error.message : String(error);
      log.error(`Registrar failed to apply ${type}: ${reason}`);
      return refuse(`Registrar failed: ${reason}`, 503);
    } finally {
      if (--this.queued === 0) this.release();
    }
  }

  /** Every queued operation answered: the waiting requests run, in order, on a rebuilt projection. */
  private release(): void {
    for (const run of this.waiting.splice(0)) run();
  }
}
