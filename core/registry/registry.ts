// The registry behind the core boundary (index.ts exports registry_*): one instance holds one
// registry. The host places a batch or a snapshot in the input region (registry_reserve),
// and reads results and snapshots from the core's output region. Operating errors (a
// malformed or corrupt input) are negative codes and change nothing; misuse aborts.
import { Writer } from "../codec/writer";
import { REGISTRY_BATCH_MAX_BYTES, REGISTRY_BATCH_OPS_MAX, REGISTRY_INPUT_MAX_BYTES, check_registry_limits } from "../util/limits";
import { Registry } from "./state";
import {
  OP_ADMIT_SLAVE, OP_DEACTIVATE_AGENT, OP_DRAIN_AGENT, OP_MARK_AGENT_DRAINED, OP_MARK_SLAVE_GONE,
  OP_MARK_SLAVE_REACHABLE, OP_MARK_SLAVE_UNREACHABLE, OP_PRUNE, OP_REACTIVATE_AGENT, OP_RECOVER, OP_REMOVE_SLAVE,
  OP_START_MAINTENANCE, OP_STOP_MAINTENANCE, OP_UPDATE_QUOTA, OP_UPDATE_SCHEDULE, OP_UPDATE_SLAVE,
  OP_UPDATE_WEIGHTS, Op, read_op,
} from "./ops";
import {
  admit_slave, deactivate_agent, drain_agent, mark_agent_drained, mark_slave_gone, mark_slave_reachable,
  mark_slave_unreachable, prune, reactivate_agent, remove_slave_op, update_slave,
} from "./agents";
import { start_maintenance, stop_maintenance, update_schedule } from "./maintenance";
import { update_quota, update_weights } from "./quota";
import { KIND_BATCH, read_record } from "./records";
import { SECTIONS_ALL, read_snapshot, write_snapshot } from "./snapshot";
import { fits, registry_bytes, small_sections_size } from "./sizes";

/** registry_apply / registry_restore: the input is malformed, corrupt or not what was asked. */
export const REGISTRY_MALFORMED: i32 = -1;

let registry: Registry | null = null;
let input: ArrayBuffer = new ArrayBuffer(0);

export function reg_init(): void {
  assert(registry === null, "registry_init called twice");
  check_registry_limits();
  registry = fresh();
}

function fresh(): Registry {
  const reg = new Registry();
  reg.small_bytes = small_sections_size(reg);
  return reg;
}

/** The input region, at least len bytes (it only grows; memory may move: re-derive views). */
export function reg_reserve(len: i32): usize {
  assert(registry !== null, "registry_reserve before registry_init");
  assert(len >= 0 && len <= REGISTRY_INPUT_MAX_BYTES, "registry_reserve: length out of range");
  if (input.byteLength < len) input = new ArrayBuffer(max(len, 1 << 16));
  return changetype<usize>(input);
}

/** Applies the batch of len input bytes; one result byte per operation into out. */
export function reg_apply(len: i32, out: Writer): i32 {
  const reg = registry;
  assert(reg !== null, "registry_apply before registry_init");
  assert(len >= 0 && len <= input.byteLength, "registry_apply: length beyond the reserved input");
  const ops = read_batch(changetype<usize>(input), len);
  if (ops === null) return REGISTRY_MALFORMED;
  out.reset();
  out.reserve(ops.length);
  for (let i = 0; i < ops.length; i++) out.u8(apply_op(reg!, unchecked(ops[i])) ? 1 : 0);
  return ops.length;
}

/** batch := record(kind 0x50, body: count:u32 | op × count); every op decoded before any applies. */
function read_batch(ptr: usize, len: i32): Array<Op> | null {
  if (len > REGISTRY_BATCH_MAX_BYTES) return null;
  const rec = read_record(ptr, len);
  if (rec === null || rec.kind != KIND_BATCH || rec.total != len) return null;
  const r = rec.body;
  const count = r.u32();
  if (r.failed || count > <u32>REGISTRY_BATCH_OPS_MAX) return null;
  const ops = new Array<Op>();
  for (let i: u32 = 0; i < count; i++) {
    const op = read_op(r);
    if (op === null) return null;
    ops.push(op);
  }
  return r.remaining() == 0 ? ops : null;
}

/** One operation's result: true unless Mesos would return an Error (or the registry is full). */
function apply_op(reg: Registry, op: Op): bool {
  switch (op.type) {
    case OP_RECOVER: return recover(reg, op);
    case OP_ADMIT_SLAVE: return admit_slave(reg, op);
    case OP_UPDATE_SLAVE: return update_slave(reg, op);
    case OP_MARK_SLAVE_UNREACHABLE: return mark_slave_unreachable(reg, op);
    case OP_MARK_SLAVE_REACHABLE: return mark_slave_reachable(reg, op);
    case OP_REMOVE_SLAVE: return remove_slave_op(reg, op);
    case OP_MARK_SLAVE_GONE: return mark_slave_gone(reg, op);
    case OP_PRUNE: return prune(reg, op);
    case OP_DRAIN_AGENT: return drain_agent(reg, op);
    case OP_MARK_AGENT_DRAINED: return mark_agent_drained(reg, op);
    case OP_DEACTIVATE_AGENT: return deactivate_agent(reg, op);
    case OP_REACTIVATE_AGENT: return reactivate_agent(reg, op);
    case OP_UPDATE_SCHEDULE: return update_schedule(reg, op);
    case OP_START_MAINTENANCE: return start_maintenance(reg, op);
    case OP_STOP_MAINTENANCE: return stop_maintenance(reg, op);
    case OP_UPDATE_QUOTA: return update_quota(reg, op);
    case OP_UPDATE_WEIGHTS: return update_weights(reg, op);
  }
  assert(false, "apply_op: a decoded operation of unknown type");
  return false;
}

/** Recover: the new leader's MasterInfo replaces the old one. */
function recover(reg: Registry, op: Op): bool {
  const info = op.bytes!;
  const old = reg.master_info;
  const grow = <i64>(info.length - (old !== null ? old.length : 0));
  if (grow > 0 && !fits(reg, grow)) return false;
  reg.master_info = info;
  reg.small_bytes += grow;
  return true;
}

/** Encodes the selected sections into out; returns the length. */
export function reg_snapshot(sections: i32, out: Writer): i32 {
  assert(registry !== null, "registry_snapshot before registry_init");
  assert(sections > 0 && (<u32>sections & ~SECTIONS_ALL) == 0, "registry_snapshot: bad section mask");
  write_snapshot(registry!, <u32>sections, out);
  return out.length;
}

/** Replaces the registry with the full snapshot of len input bytes, or changes nothing. */
export function reg_restore(len: i32): i32 {
  assert(registry !== null, "registry_restore before registry_init");
  assert(len >= 0 && len <= input.byteLength, "registry_restore: length beyond the reserved input");
  const reg = read_snapshot(changetype<usize>(input), len);
  if (reg === null) return REGISTRY_MALFORMED;
  registry = reg;
  return 0;
}

export function reg_size(): i32 {
  assert(registry !== null, "registry_size before registry_init");
  return <i32>registry_bytes(registry!);
}
