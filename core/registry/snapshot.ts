// Snapshot and restore. A snapshot is a header record (sections:u32, the bits below) and then
// one record per selected section, in bit order; each section body (wire.ts for the pieces):
//
//   MASTER(1)        present:u8 | len:u32 | MasterInfo JSON
//   SLAVES(2)        n:u32 | (id | info_len:u32 | SlaveInfo JSON | flags | [drain]) × n
//   UNREACHABLE(4)   n:u32 | (id | timestamp_ns:i64 | flags | [drain]) × n
//   GONE(8)          n:u32 | (id | timestamp_ns:i64) × n
//   MACHINES(16)     n:u32 | (machine_id | mode:u8 (1 UP, 2 DRAINING, 3 DOWN) | has_unavail:u8 | [unavail]) × n
//   SCHEDULES(32)    n:u32 (0 or 1) | schedule × n
//   QUOTAS(64)       n:u32 | quota × n
//   WEIGHTS(128)     n:u32 | (role:name | weight:f64) × n
//   CAPABILITIES(256) n:u32 | name × n
//
// Lists are in registry order (insertion order), so equal states give equal bytes. Restore
// takes only a full snapshot, builds a fresh Registry and returns null on any defect: the
// caller swaps it in whole or keeps the old one.
import { Reader } from "../codec/reader";
import { Writer } from "../codec/writer";
import { MACHINES_MAX, MASTER_INFO_MAX_BYTES, REGISTRY_MAX_BYTES, REGISTRY_NAME_MAX_BYTES, REGISTRY_ROLES_MAX, CAPABILITIES_MAX, SLAVE_INFO_MAX_BYTES } from "../util/limits";
import { AgentState, Gone, MODE_DOWN, MODE_UP, Machine, Registry, Slave, Unreachable, Weight } from "./state";
import { KIND_HEADER, KIND_SECTION, begin_record, end_record, read_record } from "./records";
import { SECTION_COUNT, gone_size, registry_bytes, slave_size, small_sections_size, unreachable_size } from "./sizes";
import {
  FLAG_DEACTIVATED, FLAG_DRAIN, read_bool, read_count, read_drain, read_flags, read_id, read_machine_id,
  read_name, read_quota, read_schedule, read_unavailability, write_agent_state, write_machine_id, write_name,
  write_quota, write_schedule, write_unavailability,
} from "./wire";

export const SECTIONS_ALL: u32 = 511;
const AGENTS_MAX: i32 = REGISTRY_MAX_BYTES / 10; // every agent entry is at least 10 bytes

/** Writes the selected sections of reg into w (reset first). */
export function write_snapshot(reg: Registry, sections: u32, w: Writer): void {
  assert(sections != 0 && (sections & ~SECTIONS_ALL) == 0, "write_snapshot: bad section mask");
  w.reset();
  const need = registry_bytes(reg);
  assert(need <= <i64>REGISTRY_MAX_BYTES + (4 << 20), "registry beyond its size bound");
  // Sized once, exactly: a full snapshot never goes through the Writer's doubling.
  if (<i64>w.buffer.byteLength < need) w.buffer = new ArrayBuffer(<i32>need);
  let at = begin_record(w, KIND_HEADER);
  w.u32(sections);
  end_record(w, at);
  for (let bit = 0; bit < SECTION_COUNT; bit++) {
    if ((sections & (1 << bit)) == 0) continue;
    at = begin_record(w, KIND_SECTION + <u8>bit);
    write_section(reg, bit, w);
    end_record(w, at);
  }
}

function write_section(reg: Registry, bit: i32, w: Writer): void {
  if (bit == 0) {
    const m = reg.master_info;
    w.u8(m !== null ? 1 : 0);
    w.u32(m !== null ? <u32>m.length : 0);
    if (m !== null) w.bytes(m);
  } else if (bit == 1) {
    const slaves = reg.slaves.values();
    w.u32(<u32>slaves.length);
    for (let i = 0; i < slaves.length; i++) {
      const s = unchecked(slaves[i]);
      write_name(w, s.id);
      w.u32(<u32>s.info.length);
      w.bytes(s.info);
      write_agent_state(w, s.drain, s.deactivated);
    }
  } else if (bit == 2) {
    const list = reg.unreachable.values();
    w.u32(<u32>list.length);
    for (let i = 0; i < list.length; i++) {
      const u = unchecked(list[i]);
      write_name(w, u.id);
      w.u64(<u64>u.timestamp_ns);
      write_agent_state(w, u.drain, u.deactivated);
    }
  } else if (bit == 3) {
    const list = reg.gone.values();
    w.u32(<u32>list.length);
    for (let i = 0; i < list.length; i++) {
      write_name(w, unchecked(list[i]).id);
      w.u64(<u64>unchecked(list[i]).timestamp_ns);
    }
  } else {
    write_small_section(reg, bit, w);
  }
}

function write_small_section(reg: Registry, bit: i32, w: Writer): void {
  if (bit == 4) {
    w.u32(<u32>reg.machines.length);
    for (let i = 0; i < reg.machines.length; i++) {
      const m = unchecked(reg.machines[i]);
      write_machine_id(w, m.id);
      w.u8(m.mode);
      w.u8(m.unavailability !== null ? 1 : 0);
      if (m.unavailability !== null) write_unavailability(w, m.unavailability!);
    }
  } else if (bit == 5) {
    w.u32(<u32>reg.schedules.length);
    for (let i = 0; i < reg.schedules.length; i++) write_schedule(w, unchecked(reg.schedules[i]));
  } else if (bit == 6) {
    w.u32(<u32>reg.quota_configs.length);
    for (let i = 0; i < reg.quota_configs.length; i++) write_quota(w, unchecked(reg.quota_configs[i]));
  } else if (bit == 7) {
    w.u32(<u32>reg.weights.length);
    for (let i = 0; i < reg.weights.length; i++) {
      write_name(w, unchecked(reg.weights[i]).role);
      w.u64(reinterpret<u64>(unchecked(reg.weights[i]).weight));
    }
  } else {
    assert(bit == 8, "write_section: unknown section");
    w.u32(<u32>reg.capabilities.length);
    for (let i = 0; i < reg.capabilities.length; i++) write_name(w, unchecked(reg.capabilities[i]));
  }
}

/** A registry rebuilt from a full snapshot of exactly len bytes at ptr, or null. */
export function read_snapshot(ptr: usize, len: i32): Registry | null {
  const header = read_record(ptr, len);
  if (header === null || header.kind != KIND_HEADER) return null;
  const sections = header.body.u32();
  if (header.body.failed || header.body.remaining() != 0 || sections != SECTIONS_ALL) return null;
  let at = header.total;
  const reg = new Registry();
  for (let bit = 0; bit < SECTION_COUNT; bit++) {
    const rec = read_record(ptr + <usize>at, len - at);
    if (rec === null || rec.kind != KIND_SECTION + <u8>bit) return null;
    const r = rec.body;
    if (!read_section(reg, bit, r) || r.failed || r.remaining() != 0) return null;
    at += rec.total;
  }
  if (at != len) return null;
  reg.small_bytes = small_sections_size(reg);
  if (registry_bytes(reg) > <i64>REGISTRY_MAX_BYTES) return null;
  // Canonical input re-encodes to itself, so the counted size is the input's length.
  assert(registry_bytes(reg) == <i64>len, "restored registry's size disagrees with its snapshot");
  return reg;
}

function read_section(reg: Registry, bit: i32, r: Reader): bool {
  if (bit == 0) {
    const present = read_bool(r);
    const n = read_count(r, MASTER_INFO_MAX_BYTES);
    if (n < 0 || (!present && n != 0)) return false;
    if (present) reg.master_info = r.bytes(n);
    return true;
  }
  if (bit == 1) return read_slaves(reg, r);
  if (bit == 2) return read_unreachable(reg, r);
  if (bit == 3) return read_gone(reg, r);
  if (bit == 4) return read_machines(reg, r);
  if (bit == 5) return read_schedules(reg, r);
  return read_small_lists(reg, bit, r);
}

/** flags | [drain] into a; false when malformed. */
function read_agent_state(r: Reader, a: AgentState): bool {
  const f = read_flags(r);
  a.deactivated = (f & FLAG_DEACTIVATED) != 0;
  if ((f & FLAG_DRAIN) != 0) {
    a.drain = read_drain(r);
    if (a.drain === null) return false;
  }
  return !r.failed;
}

function read_slaves(reg: Registry, r: Reader): bool {
  const n = read_count(r, AGENTS_MAX);
  for (let i = 0; i < n; i++) {
    const id = read_id(r);
    if (id === null || reg.slaves.has(id)) return false;
    const len = read_count(r, SLAVE_INFO_MAX_BYTES);
    if (len < 0) return false;
    const s = new Slave(id, r.bytes(len));
    if (!read_agent_state(r, s)) return false;
    reg.slaves.set(id, s);
    reg.agent_bytes += slave_size(s);
    if (s.deactivated) reg.deactivated_count++;
  }
  return n >= 0;
}

function read_unreachable(reg: Registry, r: Reader): bool {
  const n = read_count(r, AGENTS_MAX);
  for (let i = 0; i < n; i++) {
    const id = read_id(r);
    if (id === null || reg.unreachable.has(id)) return false;
    const u = new Unreachable(id, <i64>r.u64());
    if (!read_agent_state(r, u)) return false;
    reg.unreachable.set(id, u);
    reg.agent_bytes += unreachable_size(u);
    if (u.deactivated) reg.deactivated_count++;
  }
  return n >= 0;
}

function read_gone(reg: Registry, r: Reader): bool {
  const n = read_count(r, AGENTS_MAX);
  for (let i = 0; i < n; i++) {
    const id = read_id(r);
    if (id === null || reg.gone.has(id)) return false;
    const g = new Gone(id, <i64>r.u64());
    reg.gone.set(id, g);
    reg.agent_bytes += gone_size(g);
  }
  return n >= 0 && !r.failed;
}

function read_machines(reg: Registry, r: Reader): bool {
  const n = read_count(r, 2 * MACHINES_MAX);
  for (let i = 0; i < n; i++) {
    const id = read_machine_id(r);
    if (id === null) return false;
    const mode = r.u8();
    if (mode < MODE_UP || mode > MODE_DOWN) return false;
    const m = new Machine(id, mode);
    if (read_bool(r)) {
      m.unavailability = read_unavailability(r);
      if (m.unavailability === null) return false;
    }
    reg.machines.push(m);
  }
  return n >= 0 && !r.failed;
}

function read_schedules(reg: Registry, r: Reader): bool {
  const n = read_count(r, 1);
  for (let i = 0; i < n; i++) {
    const s = read_schedule(r);
    if (s === null) return false;
    reg.schedules.push(s);
  }
  return n >= 0;
}

function read_small_lists(reg: Registry, bit: i32, r: Reader): bool {
  const n = read_count(r, bit == 8 ? CAPABILITIES_MAX : REGISTRY_ROLES_MAX);
  for (let i = 0; i < n; i++) {
    if (bit == 6) {
      const q = read_quota(r);
      if (q === null) return false;
      reg.quota_index.set(q.role, reg.quota_configs.length);
      reg.quota_configs.push(q);
      continue;
    }
    const name = read_name(r, REGISTRY_NAME_MAX_BYTES);
    if (name === null) return false;
    if (bit == 7) {
      reg.weight_index.set(name, reg.weights.length);
      reg.weights.push(new Weight(name, reinterpret<f64>(r.u64())));
    }
    else reg.capabilities.push(name);
  }
  return n >= 0 && !r.failed;
}
