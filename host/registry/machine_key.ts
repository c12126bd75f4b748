// A machine's identity in the registry (Mesos's MachineID comparison; the core's MachineId.key).
import type { MachineID } from "./types.ts";

/** Equal machines have equal keys: both presences and values match, hostname case-insensitively. */
export function machineKey(id: MachineID): string {
  const host = id.hostname === undefined ? "-" : `h:${id.hostname.toLowerCase()}`;
  const ip = id.ip === undefined ? "-" : `i:${id.ip}`;
  return `${host}|${ip}`;
}
