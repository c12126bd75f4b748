// The registry's in-memory state (mesos-spec §4.1). Strings here are *byte strings*: one
// UTF-16 code unit per input byte, so any id or name round-trips to exactly the bytes it came
// in as (no UTF-8 decoding that could merge two byte sequences), and they can key a Map.
// Insertion order is part of the state: AssemblyScript's Map iterates in insertion order and
// keeps an entry's place when its value is replaced, which is what Mesos's repeated fields do
// for append/replace; a removal followed by an add moves the entry to the end, as in Mesos.

export const DRAIN_DRAINING: u8 = 1;
export const DRAIN_DRAINED: u8 = 2;

export const MODE_UP: u8 = 1;
export const MODE_DRAINING: u8 = 2;
export const MODE_DOWN: u8 = 3;

export const CAP_AGENT_DRAINING = "AGENT_DRAINING";
export const CAP_QUOTA_V2 = "QUOTA_V2";

/** DrainInfo: state and DrainConfig (max_grace_period optional, mark_gone always set). */
export class Drain {
  state: u8 = DRAIN_DRAINING;
  mark_gone: bool = false;
  has_grace: bool = false;
  grace_ns: i64 = 0;

  copy(): Drain {
    const d = new Drain();
    d.state = this.state;
    d.mark_gone = this.mark_gone;
    d.has_grace = this.has_grace;
    d.grace_ns = this.grace_ns;
    return d;
  }
}

/** What admitted and unreachable entries share: drain_info and deactivated. */
export class AgentState {
  drain: Drain | null = null;
  deactivated: bool = false;
}

/** An admitted agent: its SlaveInfo as canonical JSON bytes; the id travels beside it. */
export class Slave extends AgentState {
  constructor(public id: string, public info: StaticArray<u8>) {
    super();
  }
}

export class Unreachable extends AgentState {
  constructor(public id: string, public timestamp_ns: i64) {
    super();
  }
}

export class Gone {
  constructor(public id: string, public timestamp_ns: i64) {}
}

/** MachineID; `key` is the equality key (present-nesses, lower-case hostname, exact ip). */
export class MachineId {
  has_hostname: bool = false;
  hostname: string = "";
  has_ip: bool = false;
  ip: string = "";
  key: string = "";

  /** Computes `key` once the fields are set (hostname lowered in ASCII, as stout's strings::lower). */
  seal(): MachineId {
    let k = this.has_hostname ? "h" + ascii_lower(this.hostname) : "-";
    k += "\u0000";
    k += this.has_ip ? "i" + this.ip : "-";
    this.key = k;
    return this;
  }
}

export class Unavailability {
  start_ns: i64 = 0;
  has_duration: bool = false;
  duration_ns: i64 = 0;
}

export class Machine {
  constructor(public id: MachineId, public mode: u8) {}
  unavailability: Unavailability | null = null;
}

export class Window {
  machine_ids: Array<MachineId> = [];
  unavailability: Unavailability = new Unavailability();
}

export class Schedule {
  windows: Array<Window> = [];
}

/** A resource-name → scalar map, names strictly ascending in byte order. */
export class Quantities {
  names: Array<string> = [];
  values: Array<f64> = [];
}

export class QuotaConfig {
  role: string = "";
  guarantees: Quantities = new Quantities();
  limits: Quantities = new Quantities();
}

export class Weight {
  constructor(public role: string, public weight: f64) {}
}

export class Registry {
  master_info: StaticArray<u8> | null = null;
  slaves: Map<string, Slave> = new Map();
  unreachable: Map<string, Unreachable> = new Map();
  gone: Map<string, Gone> = new Map();
  machines: Array<Machine> = [];
  schedules: Array<Schedule> = [];
  quota_configs: Array<QuotaConfig> = [];
  weights: Array<Weight> = [];
  /** Role → its index in quota_configs / weights: an update costs its own roles, not the registry's. */
  quota_index: Map<string, i32> = new Map();
  weight_index: Map<string, i32> = new Map();
  capabilities: Array<string> = [];
  /** Entries of slaves + unreachable with deactivated set (ReactivateAgent's capability rule). */
  deactivated_count: i32 = 0;
  /** Encoded bytes of the three agent sections' entries, kept as they change (registry_size). */
  agent_bytes: i64 = 0;
  /** Encoded bytes of the other sections' bodies, recomputed after an operation touches them. */
  small_bytes: i64 = 0;
}

/** The byte string of len bytes at ptr: one code unit per byte. */
export function bytes_to_key(ptr: usize, len: i32): string {
  assert(len >= 0, "bytes_to_key: negative length");
  const s = changetype<string>(__new(<usize>len << 1, idof<string>()));
  const out = changetype<usize>(s);
  for (let i = 0; i < len; i++) store<u16>(out + (<usize>i << 1), <u16>load<u8>(ptr + <usize>i));
  return s;
}

export function ascii_lower(s: string): string {
  let changed = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) { changed = true; break; }
  }
  if (!changed) return s;
  const n = s.length;
  const out = changetype<string>(__new(<usize>n << 1, idof<string>()));
  const src = changetype<usize>(s);
  const dst = changetype<usize>(out);
  for (let i = 0; i < n; i++) {
    let c = load<u16>(src + (<usize>i << 1));
    if (c >= 65 && c <= 90) c += 32;
    store<u16>(dst + (<usize>i << 1), c);
  }
  return out;
}

/** Byte-wise equality of two StaticArrays (UpdateSlave's "no-op if equal"). */
export function bytes_equal(a: StaticArray<u8>, b: StaticArray<u8>): bool {
  if (a.length != b.length) return false;
  return memory.compare(changetype<usize>(a), changetype<usize>(b), <usize>a.length) == 0;
}
