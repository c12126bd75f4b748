// The registry's bytes on the host side: registry operations (types.ts) into the core's
// encoding, batches, and the core's snapshots back into the JSON shapes of types.ts. The
// layouts are documented once, in core/registry/ops.ts (operations), core/registry/wire.ts
// (shared pieces) and core/registry/snapshot.ts (sections); test/fixtures/registry-vectors.json
// pins them on both sides. Little-endian; every batch and snapshot record carries a CRC-32C.
import "../json_int64.ts";
import { crc32c } from "../codec/crc32c.ts";
import type {
  DrainInfo, MachineID, MachineInfo, Nanoseconds, Operation, QuotaConfig, Registry, ResourceQuantities, Schedule,
  SlaveInfo, Unavailability, WeightInfo,
} from "./types.ts";

/**
 * `v` as a number when it is a safe integer, else as the bigint: beyond 2^53 even a double that
 * holds the value exactly would print other digits (JSON.stringify(-(2 ** 63)) is
 * "-9223372036854776000"), so only a bigint keeps the integer an operator sent.
 */
export function exactInteger(v: bigint): Nanoseconds {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** A batch or snapshot the core (or this decoder) refuses: malformed, corrupt or oversized. */
export class RegistryFormatError extends Error {
  override name = "RegistryFormatError";
}

/** Bounds shared with core/util/limits.ts (the core refuses what exceeds them). */
export const REGISTRY_LIMITS = {
  maxBytes: 128 << 20,
  inputMaxBytes: (128 << 20) + (1 << 20),
  batchMaxBytes: 64 << 20,
  batchOpsMax: 1 << 17,
  agentIdMaxBytes: 1024,
  slaveInfoMaxBytes: 256 << 10,
  masterInfoMaxBytes: 64 << 10,
  nameMaxBytes: 4096,
} as const;

export const REGISTRY_VERSION = 1;
export const RecordKind = { Header: 0x40, Section: 0x41, Batch: 0x50 } as const;

export const OpType = {
  RECOVER: 1, ADMIT_SLAVE: 2, UPDATE_SLAVE: 3, MARK_SLAVE_UNREACHABLE: 4, MARK_SLAVE_REACHABLE: 5,
  REMOVE_SLAVE: 6, MARK_SLAVE_GONE: 7, PRUNE: 8, DRAIN_AGENT: 9, MARK_AGENT_DRAINED: 10,
  DEACTIVATE_AGENT: 11, REACTIVATE_AGENT: 12, UPDATE_SCHEDULE: 13, START_MAINTENANCE: 14,
  STOP_MAINTENANCE: 15, UPDATE_QUOTA: 16, UPDATE_WEIGHTS: 17,
} as const satisfies Record<Operation["type"], number>;

const MODES = ["UP", "DRAINING", "DOWN"] as const;
const DRAIN_STATES = ["DRAINING", "DRAINED"] as const;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

// ---- Canonical JSON -----------------------------------------------------------------------

/** Compact JSON with object keys sorted at every level (as masterInfoJson): equal values, equal bytes. */
export function canonicalJson(value: unknown): string {
  // A sorted copy through the native serializer: about twice as fast as building the string here.
  const out = JSON.stringify(sortKeys(value));
  if (out === undefined) throw new TypeError("canonicalJson: value has no JSON form");
  return out;
}

function sortKeys(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(sortKeys);
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  keys.sort();
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = sortKeys(obj[key]);
  return out;
}

// ---- Encoding -------------------------------------------------------------------------------

/** A growable little-endian writer (one per encode; operations are small). */
class Out {
  bytes = new Uint8Array(256);
  view = new DataView(this.bytes.buffer);
  length = 0;

  room(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): void { this.room(1); this.bytes[this.length++] = v; }
  u16(v: number): void { this.room(2); this.view.setUint16(this.length, v, true); this.length += 2; }
  u32(v: number): void { this.room(4); this.view.setUint32(this.length, v, true); this.length += 4; }
  i64(v: number | bigint): void {
    if (typeof v === "number" && !Number.isInteger(v)) throw new RangeError(`not an integer number of nanoseconds: ${v}`);
    const exact = BigInt(v);
    if (exact !== BigInt.asIntN(64, exact)) throw new RangeError(`${exact} nanoseconds do not fit an int64`);
    this.room(8); this.view.setBigInt64(this.length, exact, true); this.length += 8;
  }
  f64(v: number): void { this.room(8); this.view.setFloat64(this.length, v, true); this.length += 8; }
  raw(b: Uint8Array): void { this.room(b.length); this.bytes.set(b, this.length); this.length += b.length; }
  /** A u32-prefixed UTF-8 string of at most max bytes, encoded in place (the hot path of admits). */
  text(s: string, max: number, what: string): void {
    this.room(4 + s.length * 3);
    const { written } = utf8.encodeInto(s, this.bytes.subarray(this.length + 4));
    if (written > max) throw new RangeError(`${what} of ${written} bytes exceeds ${max}`);
    this.view.setUint32(this.length, written, true);
    this.length += 4 + written;
  }
  /** A u16-prefixed UTF-8 string of at most max bytes. */
  name(s: string, max: number = REGISTRY_LIMITS.nameMaxBytes): void {
    this.room(2 + s.length * 3);
    const { written } = utf8.encodeInto(s, this.bytes.subarray(this.length + 2));
    if (written > max) throw new RangeError(`name of ${written} bytes exceeds ${max}: ${s.slice(0, 40)}`);
    this.view.setUint16(this.length, written, true);
    this.length += 2 + written;
  }
  id(s: string): void {
    if (typeof s !== "string") throw new TypeError("agent id must be a string");
    this.name(s, REGISTRY_LIMITS.agentIdMaxBytes);
  }
  done(): Uint8Array { return this.bytes.slice(0, this.length); }
}

const scratch = new Out();

/** One operation: `type:u8 | len:u32 | body` (core/registry/ops.ts). */
export function encodeOperation(op: Operation): Uint8Array {
  const w = scratch;
  w.length = 0; // One scratch buffer for every encode (not re-entrant): only the result is allocated.
  w.u8(OpType[op.type]);
  w.u32(0);
  encodeBody(w, op);
  w.view.setUint32(1, w.length - 5, true);
  return w.done();
}

function encodeBody(w: Out, op: Operation): void {
  switch (op.type) {
    case "RECOVER":
      return w.text(canonicalJson(op.master_info), REGISTRY_LIMITS.masterInfoMaxBytes, "MasterInfo");
    case "ADMIT_SLAVE": case "UPDATE_SLAVE": case "MARK_SLAVE_REACHABLE":
      w.id(op.info.id?.value);
      return w.text(canonicalJson(op.info), REGISTRY_LIMITS.slaveInfoMaxBytes, "SlaveInfo");
    case "MARK_SLAVE_UNREACHABLE":
      w.id(op.info.id?.value);
      return w.i64(op.time.nanoseconds);
    case "REMOVE_SLAVE":
      return w.id(op.info.id?.value);
    case "MARK_SLAVE_GONE":
      w.id(op.id);
      return w.i64(op.time.nanoseconds);
    case "PRUNE":
      for (const ids of [op.unreachable, op.gone]) {
        w.u32(ids.length);
        for (const id of ids) w.id(id);
      }
      return;
    case "DRAIN_AGENT":
      w.id(op.id);
      w.u8(op.max_grace_period ? 1 : 0);
      w.i64(op.max_grace_period?.nanoseconds ?? 0);
      return w.u8(op.mark_gone ? 1 : 0);
    case "MARK_AGENT_DRAINED": case "DEACTIVATE_AGENT": case "REACTIVATE_AGENT":
      return w.id(op.id);
    case "UPDATE_SCHEDULE":
      return encodeSchedule(w, op.schedule);
    case "START_MAINTENANCE": case "STOP_MAINTENANCE":
      return encodeMachineIds(w, op.machines);
    case "UPDATE_QUOTA":
      w.u32(op.configs.length);
      for (const c of op.configs) encodeQuota(w, c);
      return;
    case "UPDATE_WEIGHTS":
      w.u32(op.weights.length);
      for (const x of op.weights) { w.name(x.role); w.f64(x.weight); }
      return;
  }
  throw new TypeError(`unknown registry operation ${(op as { type: unknown }).type}`);
}

function encodeMachineIds(w: Out, ids: MachineID[]): void {
  w.u32(ids.length);
  for (const id of ids) {
    w.u8((id.hostname !== undefined ? 1 : 0) | (id.ip !== undefined ? 2 : 0));
    if (id.hostname !== undefined) w.name(id.hostname);
    if (id.ip !== undefined) w.name(id.ip);
  }
}

function encodeUnavailability(w: Out, u: Unavailability): void {
  w.i64(u.start.nanoseconds);
  w.u8(u.duration ? 1 : 0);
  w.i64(u.duration?.nanoseconds ?? 0);
}

function encodeSchedule(w: Out, s: Schedule): void {
  w.u32(s.windows.length);
  for (const window of s.windows) {
    encodeMachineIds(w, window.machine_ids);
    encodeUnavailability(w, window.unavailability);
  }
}

/** Resource names in UTF-8 byte order, as the core requires (one encoding per map). */
function encodeQuantities(w: Out, q: ResourceQuantities | undefined): void {
  const entries = Object.entries(q ?? {}).map(([name, v]) => ({ name, key: utf8.encode(name), value: v.value }));
  entries.sort((a, b) => Buffer.compare(a.key, b.key));
  w.u32(entries.length);
  for (const e of entries) { w.name(e.name); w.f64(e.value); }
}

function encodeQuota(w: Out, c: QuotaConfig): void {
  w.name(c.role);
  encodeQuantities(w, c.guarantees);
  encodeQuantities(w, c.limits);
}

/** A batch record: `version | 0x50 | body_len:u32 | count:u32 | ops | crc32c`. */
export function encodeBatch(ops: Uint8Array[]): Uint8Array {
  if (ops.length > REGISTRY_LIMITS.batchOpsMax) throw new RangeError(`batch of ${ops.length} operations exceeds ${REGISTRY_LIMITS.batchOpsMax}`);
  let body = 4;
  for (const op of ops) body += op.length;
  const out = new Uint8Array(6 + body + 4);
  const v = new DataView(out.buffer);
  v.setUint8(0, REGISTRY_VERSION);
  v.setUint8(1, RecordKind.Batch);
  v.setUint32(2, body, true);
  v.setUint32(6, ops.length, true);
  let at = 10;
  for (const op of ops) { out.set(op, at); at += op.length; }
  v.setUint32(at, crc32c(out, 0, at), true);
  return out;
}

// ---- Decoding a snapshot -----------------------------------------------------------------

/** A bounds-checked reader; any overrun is a RegistryFormatError. */
class In {
  view: DataView;
  constructor(readonly bytes: Uint8Array, public at: number, readonly end: number) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  need(n: number): number {
    if (this.at + n > this.end) throw new RegistryFormatError("registry snapshot: truncated");
    const p = this.at;
    this.at += n;
    return p;
  }
  u8(): number { return this.view.getUint8(this.need(1)); }
  u16(): number { return this.view.getUint16(this.need(2), true); }
  u32(): number { return this.view.getUint32(this.need(4), true); }
  i64(): number { return Number(this.view.getBigInt64(this.need(8), true)); }
  /** An operator's int64, exact: a number when it is a safe integer, else a bigint. */
  exactI64(): Nanoseconds {
    return exactInteger(this.view.getBigInt64(this.need(8), true));
  }
  f64(): number { return this.view.getFloat64(this.need(8), true); }
  raw(n: number): Uint8Array { const p = this.need(n); return this.bytes.subarray(p, p + n); }
  name(): string { return fromUtf8.decode(this.raw(this.u16())); }
  json(n: number): Record<string, unknown> { return JSON.parse(fromUtf8.decode(this.raw(n))) as Record<string, unknown>; }
}

/** The records of a snapshot, checked: returns the section mask and a reader per present section. */
function readRecords(snapshot: Uint8Array): { sections: number; bodies: Map<number, In> } {
  const view = new DataView(snapshot.buffer, snapshot.byteOffset, snapshot.byteLength);
  const bodies = new Map<number, In>();
  let at = 0;
  let sections = -1;
  while (at < snapshot.length) {
    if (at + 10 > snapshot.length || view.getUint8(at) !== REGISTRY_VERSION) throw new RegistryFormatError("registry snapshot: bad record header");
    const kind = view.getUint8(at + 1);
    const len = view.getUint32(at + 2, true);
    const end = at + 6 + len;
    if (end + 4 > snapshot.length) throw new RegistryFormatError("registry snapshot: truncated record");
    if (crc32c(snapshot, at, end) !== view.getUint32(end, true)) throw new RegistryFormatError("registry snapshot: checksum mismatch");
    const body = new In(snapshot, at + 6, end);
    if (sections < 0) {
      if (kind !== RecordKind.Header || len !== 4) throw new RegistryFormatError("registry snapshot: no header");
      sections = body.u32();
    } else {
      const bit = kind - RecordKind.Section;
      if (bit < 0 || bit > 8 || (sections & (1 << bit)) === 0 || bodies.has(bit)) throw new RegistryFormatError(`registry snapshot: unexpected record ${kind}`);
      bodies.set(bit, body);
    }
    at = end + 4;
  }
  if (sections < 0) throw new RegistryFormatError("registry snapshot: empty");
  for (let bit = 0; bit < 9; bit++) {
    if ((sections & (1 << bit)) !== 0 && !bodies.has(bit)) throw new RegistryFormatError(`registry snapshot: section ${bit} missing`);
  }
  return { sections, bodies };
}

/** The registry (or the sections a partial snapshot holds) as types.ts's JSON shapes. */
export function decodeRegistry(snapshot: Uint8Array): Registry {
  const { bodies } = readRecords(snapshot);
  const registry: Registry = {};
  for (const [bit, r] of bodies) {
    decodeSection(registry, bit, r);
    if (r.at !== r.end) throw new RegistryFormatError(`registry snapshot: section ${bit} has trailing bytes`);
  }
  return registry;
}

function list<T>(r: In, item: (r: In) => T): T[] {
  const n = r.u32();
  if (n > r.end - r.at) throw new RegistryFormatError("registry snapshot: count beyond the record");
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(item(r));
  return out;
}

function decodeSection(reg: Registry, bit: number, r: In): void {
  switch (bit) {
    case 0: {
      const present = r.u8();
      const n = r.u32();
      if (present) reg.master = { info: r.json(n) };
      return;
    }
    case 1: {
      const slaves = list(r, (r) => {
        r.name(); // the id, which the SlaveInfo also holds
        return { info: r.json(r.u32()) as SlaveInfo, ...agentState(r) };
      });
      if (slaves.length > 0) reg.slaves = { slaves };
      return;
    }
    case 2: {
      const slaves = list(r, (r) => ({ id: { value: r.name() }, timestamp: { nanoseconds: r.i64() }, ...agentState(r) }));
      if (slaves.length > 0) reg.unreachable = { slaves };
      return;
    }
    case 3: {
      const slaves = list(r, (r) => ({ id: { value: r.name() }, timestamp: { nanoseconds: r.i64() } }));
      if (slaves.length > 0) reg.gone = { slaves };
      return;
    }
    default:
      return decodeSmallSection(reg, bit, r);
  }
}

function decodeSmallSection(reg: Registry, bit: number, r: In): void {
  switch (bit) {
    case 4: {
      const machines = list(r, decodeMachine);
      if (machines.length > 0) reg.machines = { machines };
      return;
    }
    case 5: {
      const schedules = list(r, decodeSchedule);
      if (schedules.length > 0) reg.schedules = schedules;
      return;
    }
    case 6: {
      const configs = list(r, decodeQuota);
      if (configs.length > 0) reg.quota_configs = configs;
      return;
    }
    case 7: {
      const weights = list(r, (r): { info: WeightInfo } => ({ info: { role: r.name(), weight: r.f64() } }));
      if (weights.length > 0) reg.weights = weights;
      return;
    }
    case 8: {
      const caps = list(r, (r) => ({ capability: r.name() }));
      if (caps.length > 0) reg.minimum_capabilities = caps;
      return;
    }
  }
  throw new RegistryFormatError(`registry snapshot: unknown section ${bit}`);
}

function agentState(r: In): { drain_info?: DrainInfo; deactivated?: boolean } {
  const flags = r.u8();
  const out: { drain_info?: DrainInfo; deactivated?: boolean } = {};
  if (flags & 2) {
    const state = DRAIN_STATES[r.u8() - 1];
    const markGone = r.u8() === 1;
    const hasGrace = r.u8() === 1;
    const grace = r.exactI64();
    if (!state) throw new RegistryFormatError("registry snapshot: bad drain state");
    out.drain_info = { state, config: { mark_gone: markGone, ...(hasGrace ? { max_grace_period: { nanoseconds: grace } } : {}) } };
  }
  if (flags & 1) out.deactivated = true;
  return out;
}

function decodeMachineId(r: In): MachineID {
  const flags = r.u8();
  const id: MachineID = {};
  if (flags & 1) id.hostname = r.name();
  if (flags & 2) id.ip = r.name();
  return id;
}

function decodeUnavailability(r: In): Unavailability {
  const start = r.exactI64();
  const hasDuration = r.u8() === 1;
  const duration = r.exactI64();
  return { start: { nanoseconds: start }, ...(hasDuration ? { duration: { nanoseconds: duration } } : {}) };
}

function decodeMachine(r: In): MachineInfo {
  const id = decodeMachineId(r);
  const mode = MODES[r.u8() - 1];
  if (!mode) throw new RegistryFormatError("registry snapshot: bad machine mode");
  const machine: MachineInfo = { id, mode };
  if (r.u8() === 1) machine.unavailability = decodeUnavailability(r);
  return machine;
}

function decodeSchedule(r: In): Schedule {
  return { windows: list(r, (r) => ({ machine_ids: list(r, decodeMachineId), unavailability: decodeUnavailability(r) })) };
}

function decodeQuantities(r: In): ResourceQuantities | undefined {
  const entries = list(r, (r) => [r.name(), { value: r.f64() }] as const);
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

/** A quota config as the registry stores and returns it (the core keeps what it read): encoded and decoded back. */
export function storedQuota(c: QuotaConfig): QuotaConfig {
  const w = new Out();
  encodeQuota(w, c);
  return decodeQuota(new In(w.bytes, 0, w.length));
}

function decodeQuota(r: In): QuotaConfig {
  const role = r.name();
  const guarantees = decodeQuantities(r);
  const limits = decodeQuantities(r);
  return { role, ...(guarantees ? { guarantees } : {}), ...(limits ? { limits } : {}) };
}
