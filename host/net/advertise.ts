// Where a process listens and what it advertises to others (a master's MasterInfo and
// redirects, an agent's pid and SlaveInfo), as libprocess decides it: --advertise_ip and
// --advertise_port win, then --ip and --port, then the IP the machine's hostname resolves to.
// Without --hostname the advertised IP is looked up in reverse (--hostname_lookup), falling back
// to the IP text.
import { lookup, lookupService } from "node:dns/promises";
import { hostname as osHostname, networkInterfaces } from "node:os";
import { logger } from "../logging.ts";

const log = logger("advertise.ts");
const LOOKUP_TIMEOUT_MS = 2000;

export interface AddressFlags {
  ip?: string;
  advertise_ip?: string;
  port: number;
  advertise_port?: number;
  hostname?: string;
  hostname_lookup: boolean;
}

export interface Advertised {
  bind_ip: string;
  bind_port: number;
  ip: string;
  port: number;
  hostname: string;
}

/** `who` names the process in the loopback warning ("this master", "this agent"). */
export async function resolveAdvertised(flags: AddressFlags, who: string): Promise<Advertised> {
  const bind_ip = flags.ip ?? "0.0.0.0";
  const ip = flags.advertise_ip ?? flags.ip ?? (await machineIp());
  if (ip.startsWith("127.") && flags.ip === undefined && flags.advertise_ip === undefined) {
    log.warning(`The hostname resolves to the loopback address ${ip}; other machines cannot reach ${who}. Use --ip or --advertise_ip.`);
  }
  const hostname = flags.hostname ?? (flags.hostname_lookup ? await reverseLookup(ip) : ip);
  return { bind_ip, bind_port: flags.port, ip, port: flags.advertise_port ?? flags.port, hostname };
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
