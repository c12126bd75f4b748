// Encoded sizes of the snapshot's parts, so that registry_size() is O(1) and an operation can
// be refused before it would grow the registry beyond REGISTRY_MAX_BYTES. The agent lists
// are counted entry by entry as they change (agent_bytes); the small sections are recounted
// after an operation touches them (small_bytes). Must agree with snapshot.ts byte for byte
// (the tests compare registry_size() with the length of every snapshot they take).
import { REGISTRY_MAX_BYTES } from "../util/limits";
import {
  Drain, Gone, Machine, MachineId, Quantities, QuotaConfig, Registry, Schedule, Slave, Unreachable,
} from "./state";
import { DRAIN_BYTES, name_size } from "./wire";

/** version | kind | body_len | body | crc32c. */
export const RECORD_OVERHEAD: i32 = 10;
/** The header record: sections:u32. */
export const HEADER_BYTES: i32 = RECORD_OVERHEAD + 4;
export const SECTION_COUNT: i32 = 9;
/** Unavailability: start, has_duration, duration. */
const UNAVAIL_BYTES: i32 = 17;

@inline function drain_size(d: Drain | null): i32 {
  return d === null ? 0 : DRAIN_BYTES;
}

export function slave_size(s: Slave): i64 {
  return <i64>(name_size(s.id) + 4 + s.info.length + 1 + drain_size(s.drain));
}

export function unreachable_size(u: Unreachable): i64 {
  return <i64>(name_size(u.id) + 8 + 1 + drain_size(u.drain));
}

export function gone_size(g: Gone): i64 {
  return <i64>(name_size(g.id) + 8);
}

export function machine_id_size(m: MachineId): i32 {
  return 1 + (m.has_hostname ? name_size(m.hostname) : 0) + (m.has_ip ? name_size(m.ip) : 0);
}

function machine_size(m: Machine): i32 {
  return machine_id_size(m.id) + 2 + (m.unavailability !== null ? UNAVAIL_BYTES : 0);
}

export function schedule_size(s: Schedule): i64 {
  let n: i64 = 4;
  for (let i = 0; i < s.windows.length; i++) {
    const w = unchecked(s.windows[i]);
    n += 4 + UNAVAIL_BYTES;
    for (let j = 0; j < w.machine_ids.length; j++) n += machine_id_size(unchecked(w.machine_ids[j]));
  }
  return n;
}

function quantities_size(q: Quantities): i32 {
  let n = 4;
  for (let i = 0; i < q.names.length; i++) n += name_size(unchecked(q.names[i])) + 8;
  return n;
}

export function quota_size(c: QuotaConfig): i32 {
  return name_size(c.role) + quantities_size(c.guarantees) + quantities_size(c.limits);
}

/** Bodies of MACHINES and SCHEDULES: what a maintenance operation recounts (not the whole registry). */
export function maintenance_size(machines: Array<Machine>, schedules: Array<Schedule>): i64 {
  let n: i64 = 4;
  for (let i = 0; i < machines.length; i++) n += machine_size(unchecked(machines[i]));
  n += 4;
  for (let i = 0; i < schedules.length; i++) n += schedule_size(unchecked(schedules[i]));
  return n;
}

/** Bodies of MASTER, MACHINES, SCHEDULES, QUOTAS, WEIGHTS and CAPABILITIES. */
export function small_sections_size(reg: Registry): i64 {
  const master = reg.master_info;
  let n: i64 = 5 + (master !== null ? master.length : 0);
  n += maintenance_size(reg.machines, reg.schedules);
  n += 4;
  for (let i = 0; i < reg.quota_configs.length; i++) n += quota_size(unchecked(reg.quota_configs[i]));
  n += 4;
  for (let i = 0; i < reg.weights.length; i++) n += name_size(unchecked(reg.weights[i]).role) + 8;
  n += 4;
  for (let i = 0; i < reg.capabilities.length; i++) n += name_size(unchecked(reg.capabilities[i]));
  return n;
}

/** Bytes of the full snapshot: header, nine section records, three list counts, entries. */
export function registry_bytes(reg: Registry): i64 {
  return <i64>HEADER_BYTES + <i64>(SECTION_COUNT * RECORD_OVERHEAD) + 12 + reg.agent_bytes + reg.small_bytes;
}

/** Whether `added` more bytes keep the snapshot within REGISTRY_MAX_BYTES. */
export function fits(reg: Registry, added: i64): bool {
  assert(added >= 0, "fits: negative size");
  return registry_bytes(reg) + added <= <i64>REGISTRY_MAX_BYTES;
}
