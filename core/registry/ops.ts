// Registry operations as they arrive in a batch (mesos-spec §4.3), and their decoding. A
// batch is decoded whole before any operation is applied, so a malformed batch changes
// nothing. Each operation is `type:u8 | len:u32 | body` and must consume exactly len bytes:
//
//   1 RECOVER                 master_info_len:u32 | bytes
//   2 ADMIT_SLAVE             id | info_len:u32 | info          (3 UPDATE_SLAVE, 5 MARK_SLAVE_REACHABLE: same)
//   4 MARK_SLAVE_UNREACHABLE  id | time_ns:i64
//   6 REMOVE_SLAVE            id           (10 MARK_AGENT_DRAINED, 11 DEACTIVATE_AGENT, 12 REACTIVATE_AGENT: same)
//   7 MARK_SLAVE_GONE         id | time_ns:i64
//   8 PRUNE                   n:u32 | id × n | m:u32 | id × m   (unreachable ids, gone ids)
//   9 DRAIN_AGENT             id | has_grace:u8 | grace_ns:i64 | mark_gone:u8
//   13 UPDATE_SCHEDULE        schedule
//   14 START_MAINTENANCE      n:u32 | machine_id × n            (15 STOP_MAINTENANCE: same)
//   16 UPDATE_QUOTA           n:u32 | quota × n
//   17 UPDATE_WEIGHTS         n:u32 | (role:name | weight:f64) × n
import { Reader } from "../codec/reader";
import {
  MACHINES_MAX, MASTER_INFO_MAX_BYTES, PRUNE_IDS_MAX, REGISTRY_NAME_MAX_BYTES, REGISTRY_ROLES_MAX,
  SLAVE_INFO_MAX_BYTES,
} from "../util/limits";
import { MachineId, QuotaConfig, Schedule, Weight } from "./state";
import { read_bool, read_count, read_id, read_machine_ids, read_name, read_quota, read_schedule } from "./wire";

export const OP_RECOVER: u8 = 1;
export const OP_ADMIT_SLAVE: u8 = 2;
export const OP_UPDATE_SLAVE: u8 = 3;
export const OP_MARK_SLAVE_UNREACHABLE: u8 = 4;
export const OP_MARK_SLAVE_REACHABLE: u8 = 5;
export const OP_REMOVE_SLAVE: u8 = 6;
export const OP_MARK_SLAVE_GONE: u8 = 7;
export const OP_PRUNE: u8 = 8;
export const OP_DRAIN_AGENT: u8 = 9;
export const OP_MARK_AGENT_DRAINED: u8 = 10;
export const OP_DEACTIVATE_AGENT: u8 = 11;
export const OP_REACTIVATE_AGENT: u8 = 12;
export const OP_UPDATE_SCHEDULE: u8 = 13;
export const OP_START_MAINTENANCE: u8 = 14;
export const OP_STOP_MAINTENANCE: u8 = 15;
export const OP_UPDATE_QUOTA: u8 = 16;
export const OP_UPDATE_WEIGHTS: u8 = 17;

/** One decoded operation; fields are used according to `type` (one class keeps decoding flat). */
export class Op {
  type: u8 = 0;
  id: string = "";
  bytes: StaticArray<u8> | null = null;
  time_ns: i64 = 0;
  ids: Array<string> | null = null;
  ids2: Array<string> | null = null;
  has_grace: bool = false;
  grace_ns: i64 = 0;
  mark_gone: bool = false;
  schedule: Schedule | null = null;
  machines: Array<MachineId> | null = null;
  quotas: Array<QuotaConfig> | null = null;
  weights: Array<Weight> | null = null;
}

/** Decodes one operation from r; null (and r failed) when malformed. */
export function read_op(r: Reader): Op | null {
  const type = r.u8();
  const len = r.u32();
  if (r.failed || <i64>len > <i64>r.remaining()) { r.failed = true; return null; }
  const body = new Reader(r.skip(<i32>len), <i32>len);
  const op = new Op();
  op.type = type;
  if (!read_body(body, op) || body.failed || body.remaining() != 0) { r.failed = true; return null; }
  return op;
}

function read_body(r: Reader, op: Op): bool {
  const t = op.type;
  if (t == OP_RECOVER) return read_blob(r, op, MASTER_INFO_MAX_BYTES);
  if (t == OP_ADMIT_SLAVE || t == OP_UPDATE_SLAVE || t == OP_MARK_SLAVE_REACHABLE) {
    return read_op_id(r, op) && read_blob(r, op, SLAVE_INFO_MAX_BYTES);
  }
  if (t == OP_MARK_SLAVE_UNREACHABLE || t == OP_MARK_SLAVE_GONE) {
    if (!read_op_id(r, op)) return false;
    op.time_ns = <i64>r.u64();
    return !r.failed;
  }
  if (t == OP_REMOVE_SLAVE || t == OP_MARK_AGENT_DRAINED || t == OP_DEACTIVATE_AGENT || t == OP_REACTIVATE_AGENT) {
    return read_op_id(r, op);
  }
  if (t == OP_PRUNE) {
    op.ids = read_ids(r);
    op.ids2 = read_ids(r);
    return op.ids !== null && op.ids2 !== null;
  }
  if (t == OP_DRAIN_AGENT) return read_drain_op(r, op);
  if (t == OP_UPDATE_SCHEDULE) return (op.schedule = read_schedule(r)) !== null;
  if (t == OP_START_MAINTENANCE || t == OP_STOP_MAINTENANCE) {
    return (op.machines = read_machine_ids(r, MACHINES_MAX)) !== null;
  }
  if (t == OP_UPDATE_QUOTA) return read_quota_op(r, op);
  if (t == OP_UPDATE_WEIGHTS) return read_weights_op(r, op);
  return false; // An unknown type: the whole batch is refused.
}

function read_op_id(r: Reader, op: Op): bool {
  const id = read_id(r);
  if (id === null) return false;
  op.id = id;
  return true;
}

function read_blob(r: Reader, op: Op, max: i32): bool {
  const n = read_count(r, max);
  if (n < 0) return false;
  op.bytes = r.bytes(n);
  return !r.failed;
}

function read_ids(r: Reader): Array<string> | null {
  const n = read_count(r, PRUNE_IDS_MAX);
  if (n < 0) return null;
  const ids = new Array<string>();
  for (let i = 0; i < n; i++) {
    const id = read_id(r);
    if (id === null) return null;
    ids.push(id);
  }
  return ids;
}

function read_drain_op(r: Reader, op: Op): bool {
  if (!read_op_id(r, op)) return false;
  op.has_grace = read_bool(r);
  op.grace_ns = <i64>r.u64();
  op.mark_gone = read_bool(r);
  return !r.failed && (op.has_grace || op.grace_ns == 0);
}

function read_quota_op(r: Reader, op: Op): bool {
  const n = read_count(r, REGISTRY_ROLES_MAX);
  if (n < 0) return false;
  const configs = new Array<QuotaConfig>();
  for (let i = 0; i < n; i++) {
    const c = read_quota(r);
    if (c === null) return false;
    configs.push(c);
  }
  op.quotas = configs;
  return true;
}

function read_weights_op(r: Reader, op: Op): bool {
  const n = read_count(r, REGISTRY_ROLES_MAX);
  if (n < 0) return false;
  const weights = new Array<Weight>();
  for (let i = 0; i < n; i++) {
    const role = read_name(r, REGISTRY_NAME_MAX_BYTES);
    if (role === null) return false;
    weights.push(new Weight(role, reinterpret<f64>(r.u64())));
  }
  op.weights = weights;
  return !r.failed;
}
