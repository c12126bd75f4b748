// The pieces shared by the registry's operation and snapshot encodings (little-endian; the
// TS mirror is host/registry/codec.ts). Readers return null (or leave the Reader failed) on
// any malformed input — a bad length, an unknown flag bit, a non-canonical field — so that a
// batch or snapshot that fails here is refused whole. "Canonical" matters: every accepted
// encoding re-encodes to the same bytes, which is what makes snapshot→restore→snapshot exact.
//
//   id/name     := len:u16 | bytes
//   drain       := state:u8 (1 DRAINING, 2 DRAINED) | mark_gone:u8 | has_grace:u8 | grace_ns:i64
//   flags       := u8: bit0 deactivated, bit1 a drain follows
//   machine_id  := flags:u8 (bit0 hostname, bit1 ip) | [hostname:name] | [ip:name]
//   unavail     := start_ns:i64 | has_duration:u8 | duration_ns:i64
//   window      := n:u32 | machine_id × n | unavail          schedule := n:u32 | window × n
//   quantities  := n:u32 | (name | value:f64) × n, names strictly ascending
//   quota       := role:name | guarantees:quantities | limits:quantities
import { Reader } from "../codec/reader";
import { Writer } from "../codec/writer";
import {
  AGENT_ID_MAX_BYTES, MACHINES_MAX, QUOTA_RESOURCES_MAX, REGISTRY_NAME_MAX_BYTES, WINDOWS_MAX,
} from "../util/limits";
import {
  DRAIN_DRAINED, DRAIN_DRAINING, Drain, MachineId, Quantities, QuotaConfig, Schedule, Unavailability,
  Window, bytes_to_key,
} from "./state";

export const DRAIN_BYTES: i32 = 11;
export const FLAG_DEACTIVATED: u8 = 1;
export const FLAG_DRAIN: u8 = 2;

/** A byte string of at most max bytes, or null (reader failed). */
export function read_name(r: Reader, max: i32): string | null {
  const len = <i32>r.u8() | (<i32>r.u8() << 8);
  if (r.failed || len > max) { r.failed = true; return null; }
  const at = r.skip(len);
  if (r.failed) return null;
  return bytes_to_key(at, len);
}

export function read_id(r: Reader): string | null {
  return read_name(r, AGENT_ID_MAX_BYTES);
}

export function write_name(w: Writer, s: string): void {
  const n = s.length;
  assert(n <= 0xffff, "write_name: name beyond u16");
  w.reserve(2 + n);
  w.u8(<u8>(n & 0xff));
  w.u8(<u8>(n >>> 8));
  const src = changetype<usize>(s);
  const dst = w.ptr + <usize>w.length;
  for (let i = 0; i < n; i++) store<u8>(dst + <usize>i, <u8>load<u16>(src + (<usize>i << 1)));
  w.length += n;
}

@inline export function name_size(s: string): i32 {
  return 2 + s.length;
}

/** A strict boolean byte: anything but 0 or 1 fails the reader. */
export function read_bool(r: Reader): bool {
  const b = r.u8();
  if (b > 1) r.failed = true;
  return b == 1;
}

export function read_drain(r: Reader): Drain | null {
  const d = new Drain();
  d.state = r.u8();
  d.mark_gone = read_bool(r);
  d.has_grace = read_bool(r);
  d.grace_ns = <i64>r.u64();
  if (r.failed || (d.state != DRAIN_DRAINING && d.state != DRAIN_DRAINED)) { r.failed = true; return null; }
  if (!d.has_grace && d.grace_ns != 0) { r.failed = true; return null; }
  return d;
}

export function write_drain(w: Writer, d: Drain): void {
  w.u8(d.state);
  w.u8(d.mark_gone ? 1 : 0);
  w.u8(d.has_grace ? 1 : 0);
  w.u64(<u64>(d.has_grace ? d.grace_ns : 0));
}

/** Agent flags plus the drain they announce; returns false when malformed. */
export function read_flags(r: Reader): u8 {
  const f = r.u8();
  if ((f & ~(FLAG_DEACTIVATED | FLAG_DRAIN)) != 0) r.failed = true;
  return f;
}

export function write_agent_state(w: Writer, drain: Drain | null, deactivated: bool): void {
  w.u8((deactivated ? FLAG_DEACTIVATED : 0) | (drain !== null ? FLAG_DRAIN : 0));
  if (drain !== null) write_drain(w, drain);
}

export function read_machine_id(r: Reader): MachineId | null {
  const f = r.u8();
  if (r.failed || (f & ~3) != 0) { r.failed = true; return null; }
  const m = new MachineId();
  if ((f & 1) != 0) {
    const h = read_name(r, REGISTRY_NAME_MAX_BYTES);
    if (h === null) return null;
    m.has_hostname = true;
    m.hostname = h;
  }
  if ((f & 2) != 0) {
    const ip = read_name(r, REGISTRY_NAME_MAX_BYTES);
    if (ip === null) return null;
    m.has_ip = true;
    m.ip = ip;
  }
  return m.seal();
}

export function write_machine_id(w: Writer, m: MachineId): void {
  w.u8((m.has_hostname ? 1 : 0) | (m.has_ip ? 2 : 0));
  if (m.has_hostname) write_name(w, m.hostname);
  if (m.has_ip) write_name(w, m.ip);
}

export function read_unavailability(r: Reader): Unavailability | null {
  const u = new Unavailability();
  u.start_ns = <i64>r.u64();
  u.has_duration = read_bool(r);
  u.duration_ns = <i64>r.u64();
  if (r.failed || (!u.has_duration && u.duration_ns != 0)) { r.failed = true; return null; }
  return u;
}

export function write_unavailability(w: Writer, u: Unavailability): void {
  w.u64(<u64>u.start_ns);
  w.u8(u.has_duration ? 1 : 0);
  w.u64(<u64>(u.has_duration ? u.duration_ns : 0));
}

/** A count of at most max items (u32), or -1 with the reader failed. */
export function read_count(r: Reader, max: i32): i32 {
  const n = r.u32();
  if (r.failed || n > <u32>max) { r.failed = true; return -1; }
  return <i32>n;
}

export function read_machine_ids(r: Reader, max: i32): Array<MachineId> | null {
  const n = read_count(r, max);
  if (n < 0) return null;
  const ids = new Array<MachineId>();
  for (let i = 0; i < n; i++) {
    const id = read_machine_id(r);
    if (id === null) return null;
    ids.push(id);
  }
  return ids;
}

export function write_machine_ids(w: Writer, ids: Array<MachineId>): void {
  w.u32(<u32>ids.length);
  for (let i = 0; i < ids.length; i++) write_machine_id(w, unchecked(ids[i]));
}

/** A schedule whose windows hold at most MACHINES_MAX machine ids in all. */
export function read_schedule(r: Reader): Schedule | null {
  const n = read_count(r, WINDOWS_MAX);
  if (n < 0) return null;
  const s = new Schedule();
  let machines = 0;
  for (let i = 0; i < n; i++) {
    const ids = read_machine_ids(r, MACHINES_MAX - machines);
    if (ids === null) return null;
    machines += ids.length;
    const u = read_unavailability(r);
    if (u === null) return null;
    const win = new Window();
    win.machine_ids = ids;
    win.unavailability = u;
    s.windows.push(win);
  }
  return s;
}

export function write_schedule(w: Writer, s: Schedule): void {
  w.u32(<u32>s.windows.length);
  for (let i = 0; i < s.windows.length; i++) {
    const win = unchecked(s.windows[i]);
    write_machine_ids(w, win.machine_ids);
    write_unavailability(w, win.unavailability);
  }
}

/** Byte-string order (code units are bytes, so this is the bytes' order). */
export function name_less(a: string, b: string): bool {
  const n = min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x != y) return x < y;
  }
  return a.length < b.length;
}

export function read_quantities(r: Reader): Quantities | null {
  const n = read_count(r, QUOTA_RESOURCES_MAX);
  if (n < 0) return null;
  const q = new Quantities();
  for (let i = 0; i < n; i++) {
    const name = read_name(r, REGISTRY_NAME_MAX_BYTES);
    if (name === null) return null;
    // Strictly ascending: one encoding per map (JSON object keys are unique).
    if (i > 0 && !name_less(unchecked(q.names[i - 1]), name)) { r.failed = true; return null; }
    q.names.push(name);
    q.values.push(reinterpret<f64>(r.u64()));
  }
  return r.failed ? null : q;
}

export function write_quantities(w: Writer, q: Quantities): void {
  w.u32(<u32>q.names.length);
  for (let i = 0; i < q.names.length; i++) {
    write_name(w, unchecked(q.names[i]));
    w.u64(reinterpret<u64>(unchecked(q.values[i])));
  }
}

export function read_quota(r: Reader): QuotaConfig | null {
  const role = read_name(r, REGISTRY_NAME_MAX_BYTES);
  if (role === null) return null;
  const g = read_quantities(r);
  if (g === null) return null;
  const l = read_quantities(r);
  if (l === null) return null;
  const c = new QuotaConfig();
  c.role = role;
  c.guarantees = g;
  c.limits = l;
  return c;
}

export function write_quota(w: Writer, c: QuotaConfig): void {
  write_name(w, c.role);
  write_quantities(w, c.guarantees);
  write_quantities(w, c.limits);
}
