// Where this agent listens and what it advertises (its pid slave(1)@ip:port and SlaveInfo's
// hostname), as libprocess decides it: --advertise_ip wins, then --ip, then the IP the
// machine's hostname resolves to. Without --hostname the advertised IP is looked up in reverse
// (--hostname_lookup), falling back to the IP text. The same rules as host/master/address.ts,
// which takes the master's flags and so cannot be shared as it stands.
import { lookup, lookupService } from "node:dns/promises";
import { hostname as osHostname, networkInterfaces } from "node:os";
import { logger } from "../logging.ts";

const log = logger("address.ts");
const LOOKUP_TIMEOUT_MS = 2000;

export interface AgentAddress {
  bind_ip: string;
  ip: string;
  port: number;
  hostname: string;
}

export async function resolveAgentAddress(flags: {
  ip?: string; advertise_ip?: string; port: number; hostname?: string; hostname_lookup: boolean;
}): Promise<AgentAddress> {
  const bind_ip = flags.ip ?? "0.0.0.0";
  const ip = flags.advertise_ip ?? flags.ip ?? (await machineIp());
  if (ip.startsWith("127.") && flags.ip === undefined && flags.advertise_ip === undefined) {
    log.warning(`The hostname resolves to the loopback address ${ip}; masters on other machines cannot reach this agent. Use --ip or --advertise_ip.`);
  }
  const hostname = flags.hostname ?? (flags.hostname_lookup ? await reverseLookup(ip) : ip);
  return { bind_ip, ip, port: flags.port, hostname };
}

async function machineIp(): Promise<string> {
  const resolved = await withTimeout(lookup(osHostname(), { family: 4 }).then((r) => r.address));
  if (resolved !== null) return resolved;
  for (const addresses of Object.values(networkInterfaces())) {
    const external = addresses?.find((a) => a.family === "IPv4" && !a.internal);
    if (external) return external.address;
  }
  return "127.0.0.1";
}

async function reverseLookup(ip: string): Promise<string> {
  return (await withTimeout(lookupService(ip, 0).then((r) => r.hostname))) ?? ip;
}

async function withTimeout<T>(work: Promise<T>): Promise<T | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), LOOKUP_TIMEOUT_MS)));
  try {
    return await Promise.race([work.catch(() => null), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
