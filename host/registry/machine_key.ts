// A machine's identity in the registry (Mesos's MachineID comparison; the core's MachineId.key).
import type { MachineID } from "./types.ts";

/**
 * Equal machines have equal keys: both presences and values match, hostname case-insensitively
 * in ASCII only (Mesos's strings::lower, and the core's ascii_lower: 'K' (Kelvin) is not 'k').
 */
export function machineKey(id: MachineID): string {
  const host = id.hostname === undefined ? "-" : `h:${asciiLower(id.hostname)}`;
  const ip = id.ip === undefined ? "-" : `i:${id.ip}`;
  return `${host}|${ip}`;
}

function asciiLower(text: string): string {
  return text.replace(/[A-Z]+/g, (upper) => upper.toLowerCase());
}
