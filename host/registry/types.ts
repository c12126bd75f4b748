// The registry as the host sees it (mesos-spec §4.1), in Mesos's v1 JSON shapes, and the
// registry operations of §4.3. The state machine itself runs in the WASM core
// (core/registry/); host/registry/codec.ts turns these operations into the core's bytes and
// the core's snapshot bytes back into these shapes. Times the master makes itself are
// nanoseconds since the epoch as JS numbers (from its clock: exact as far as the clock is).
// Durations and times an operator sends (maintenance windows, drain grace periods) are int64
// in Mesos and stay exact: a number when it is a safe integer, else a bigint (Nanoseconds).

/** A machine: hostname and/or IPv4 address; equal when both present-nesses and values match (hostname case-insensitive). */
export interface MachineID {
  hostname?: string;
  ip?: string;
}

export interface DurationInfo {
  nanoseconds: number;
}

/** An operator's int64: a number when it is a safe integer, else a bigint (exact either way). */
export type Nanoseconds = number | bigint;

/** A Duration or Time an operator sent: its int64 kept exact. */
export interface ExactNanoseconds {
  nanoseconds: Nanoseconds;
}

export interface TimeInfo {
  nanoseconds: number;
}

export interface Unavailability {
  start: ExactNanoseconds;
  duration?: ExactNanoseconds;
}

export interface MaintenanceWindow {
  machine_ids: MachineID[];
  unavailability: Unavailability;
}

export interface Schedule {
  windows: MaintenanceWindow[];
}

export type MachineMode = "UP" | "DRAINING" | "DOWN";

export interface MachineInfo {
  id: MachineID;
  mode: MachineMode;
  unavailability?: Unavailability;
}

export interface DrainConfig {
  max_grace_period?: ExactNanoseconds;
  mark_gone?: boolean;
}

export type DrainState = "DRAINING" | "DRAINED";

export interface DrainInfo {
  state: DrainState;
  config: DrainConfig;
}

/**
 * SlaveInfo as Mesos's v1 JSON (`id.value` required). The core keeps it as the canonical JSON
 * bytes (sorted keys) and compares those bytes for UpdateSlave's "no-op if equal".
 */
export interface SlaveInfo {
  id: { value: string };
  hostname: string;
  [field: string]: unknown;
}

export interface AdmittedSlave {
  info: SlaveInfo;
  drain_info?: DrainInfo;
  deactivated?: boolean;
}

export interface UnreachableSlave {
  id: { value: string };
  timestamp: TimeInfo;
  drain_info?: DrainInfo;
  deactivated?: boolean;
}

export interface GoneSlave {
  id: { value: string };
  timestamp: TimeInfo;
}

/** A scalar per resource name, as v1 QuotaConfig's map<string, Value.Scalar>. */
export type ResourceQuantities = Record<string, { value: number }>;

export interface QuotaConfig {
  role: string;
  guarantees?: ResourceQuantities;
  limits?: ResourceQuantities;
}

export interface WeightInfo {
  role: string;
  weight: number;
}

/** The whole registry, as /registrar(1)/registry shows it (empty lists and absent parts omitted). */
export interface Registry {
  master?: { info: Record<string, unknown> };
  slaves?: { slaves: AdmittedSlave[] };
  unreachable?: { slaves: UnreachableSlave[] };
  gone?: { slaves: GoneSlave[] };
  machines?: { machines: MachineInfo[] };
  schedules?: Schedule[];
  quota_configs?: QuotaConfig[];
  weights?: { info: WeightInfo }[];
  minimum_capabilities?: { capability: string }[];
}

/** Registry operations (§4.3). Each one's result is true when it applied without error. */
export type Operation =
  | { type: "RECOVER"; master_info: Record<string, unknown> }
  | { type: "ADMIT_SLAVE"; info: SlaveInfo }
  | { type: "UPDATE_SLAVE"; info: SlaveInfo }
  | { type: "MARK_SLAVE_UNREACHABLE"; info: SlaveInfo; time: TimeInfo }
  | { type: "MARK_SLAVE_REACHABLE"; info: SlaveInfo }
  | { type: "REMOVE_SLAVE"; info: SlaveInfo }
  | { type: "MARK_SLAVE_GONE"; id: string; time: TimeInfo }
  | { type: "PRUNE"; unreachable: string[]; gone: string[] }
  | { type: "DRAIN_AGENT"; id: string; max_grace_period?: ExactNanoseconds; mark_gone: boolean }
  | { type: "MARK_AGENT_DRAINED"; id: string }
  | { type: "DEACTIVATE_AGENT"; id: string }
  | { type: "REACTIVATE_AGENT"; id: string }
  | { type: "UPDATE_SCHEDULE"; schedule: Schedule }
  | { type: "START_MAINTENANCE"; machines: MachineID[] }
  | { type: "STOP_MAINTENANCE"; machines: MachineID[] }
  | { type: "UPDATE_QUOTA"; configs: QuotaConfig[] }
  | { type: "UPDATE_WEIGHTS"; weights: WeightInfo[] };

export type OperationType = Operation["type"];

/** The registry's parts a snapshot section selects (the agent lists can be large). */
export const Section = {
  MASTER: 1,
  SLAVES: 2,
  UNREACHABLE: 4,
  GONE: 8,
  MACHINES: 16,
  SCHEDULES: 32,
  QUOTAS: 64,
  WEIGHTS: 128,
  CAPABILITIES: 256,
  ALL: 511,
} as const;

/** The small parts the master keeps in memory and re-reads after every stored batch. */
export const SMALL_SECTIONS = Section.MASTER | Section.MACHINES | Section.SCHEDULES | Section.QUOTAS | Section.WEIGHTS | Section.CAPABILITIES;
