// The only exports of the core. The host talks to the core through two fixed byte
// regions (input, output) and i32-only functions, in etcd/raft's step/ready/advance shape:
//   init(len)  config record in the input region
//   step(len)  one encoded input event in the input region; 0 or a negative error code
//   ready()    encodes the pending output batch into the output region; returns its length
//   advance()  the host confirms the last batch was carried out, in order:
//              persist (fsync) -> send -> apply learned -> advance
// No imports but env.abort: no clock, no host randomness (time arrives as ticks).

const INPUT_CAP: i32 = 1 << 20;
const OUTPUT_CAP: i32 = 1 << 22;

const input = new ArrayBuffer(INPUT_CAP);
const output = new ArrayBuffer(OUTPUT_CAP);

export function input_ptr(): i32 { return changetype<i32>(input); }
export function input_cap(): i32 { return INPUT_CAP; }
export function output_ptr(): i32 { return changetype<i32>(output); }
export function output_cap(): i32 { return OUTPUT_CAP; }

let initialised = false;

export function init(len: i32): i32 {
  assert(len >= 0 && len <= INPUT_CAP, "init: config length out of range");
  initialised = true;
  return 0;
}

export function step(len: i32): i32 {
  assert(initialised, "step before init");
  assert(len >= 0 && len <= INPUT_CAP, "step: input length out of range");
  return 0;
}

export function ready(): i32 {
  assert(initialised, "ready before init");
  return 0;
}

export function advance(): void {
  assert(initialised, "advance before init");
}
