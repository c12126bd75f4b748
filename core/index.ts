// The only exports of the core. The host talks to the core through two byte regions
// (input, output) and i32-only functions, in etcd/raft's step/ready/advance shape:
//   init(len)  config record in the input region (node.ts documents its encoding)
//   step(len)  one encoded input event in the input region; 0 or a negative error code
//   ready()    encodes the pending output batch into the output region; returns its length
//              (0 when there is nothing to do). The output region may move as it grows:
//              re-read output_ptr() after every ready().
//   advance()  the host confirms the last batch was carried out, in order: send requests
//              -> persist (fsync when flagged) -> send responses -> apply learned -> results
//              -> advance
// No imports but env.abort: no clock, no host randomness (time arrives as ticks).
import { Writer } from "./codec/writer";
import { node_init, node_step, node_ready, node_hash } from "./node";
import { INPUT_CAP_BYTES } from "./util/limits";
import { reg_apply, reg_init, reg_reserve, reg_restore, reg_size, reg_snapshot } from "./registry/registry";

const input = new ArrayBuffer(INPUT_CAP_BYTES);
const output = new Writer(1 << 16);

let initialised = false;
let awaiting_advance = false;

export function input_ptr(): i32 { return <i32>changetype<usize>(input); }
export function input_cap(): i32 { return INPUT_CAP_BYTES; }
export function output_ptr(): i32 { return <i32>output.ptr; }
export function output_cap(): i32 { return output.buffer.byteLength; }

export function init(len: i32): i32 {
  assert(!initialised, "init called twice");
  assert(len >= 0 && len <= INPUT_CAP_BYTES, "init: config length out of range");
  const code = node_init(changetype<usize>(input), len);
  initialised = code == 0;
  return code;
}

export function step(len: i32): i32 {
  assert(initialised, "step before init");
  assert(!awaiting_advance, "step between ready and advance");
  assert(len >= 0 && len <= INPUT_CAP_BYTES, "step: input length out of range");
  return node_step(changetype<usize>(input), len);
}

export function ready(): i32 {
  assert(initialised, "ready before init");
  assert(!awaiting_advance, "ready twice without advance");
  const length = node_ready(output);
  awaiting_advance = length > 0;
  return length;
}

export function advance(): void {
  assert(initialised, "advance before init");
  assert(awaiting_advance, "advance without a batch");
  awaiting_advance = false;
  output.reset();
}

/** State digest for simulation checks (not part of the protocol). */
export function core_hash(): i32 {
  assert(initialised, "core_hash before init");
  return node_hash();
}

// ---- The registry state machine (registry/registry.ts) ----------------------------------------
// An instance is either a log node (init/step/ready/advance) or one registry (registry_*),
// never both. Results and snapshots come back in the output region: re-read output_ptr().
//   registry_init()            an empty registry
//   registry_reserve(len)      pointer to an input region of at least len bytes (memory may move)
//   registry_apply(len)        the batch in the input region: the count of operations, one
//                              result byte each (1 ok, 0 error) in the output region; or < 0
//   registry_snapshot(sections) the selected sections into the output region; returns the length
//   registry_restore(len)      the full snapshot in the input region replaces the registry: 0 or < 0
//   registry_size()            bytes of the full snapshot

let registry_used = false;

export function registry_init(): void {
  assert(!initialised, "registry_init on a log instance");
  registry_used = true;
  reg_init();
}

export function registry_reserve(len: i32): i32 {
  assert(registry_used, "registry_reserve before registry_init");
  return <i32>reg_reserve(len);
}

export function registry_apply(len: i32): i32 {
  return reg_apply(len, output);
}

export function registry_snapshot(sections: i32): i32 {
  return reg_snapshot(sections, output);
}

export function registry_restore(len: i32): i32 {
  return reg_restore(len);
}

export function registry_size(): i32 {
  return reg_size();
}
