// IPv4 and host:port helpers shared by flags, MasterInfo and peers.

export function isIPv4(text: string): boolean {
  const parts = text.split(".");
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

/**
 * MasterInfo.ip as Mesos encodes it: the IPv4 address in network byte order read as a
 * host (little-endian) uint32, so 10.0.0.1 is 16777226 and 127.0.1.1 is 16842879.
 */
export function ipToMesosUint32(ip: string): number {
  if (!isIPv4(ip)) throw new Error(`not an IPv4 address: ${ip}`);
  const [a, b, c, d] = ip.split(".").map(Number) as [number, number, number, number];
  return (a | (b << 8) | (c << 16) | (d << 24)) >>> 0;
}

export interface HostPort {
  host: string;
  port: number;
}

/** Parses "host:port"; null when it is not one. */
export function parseHostPort(text: string): HostPort | null {
  const match = /^([A-Za-z0-9.\-_]+):(\d+)$/.exec(text.trim());
  if (!match) return null;
  const port = Number(match[2]);
  return port >= 1 && port <= 65535 ? { host: match[1]!, port } : null;
}

/** Parses "host:port,host:port"; null when any entry is not one or the list is empty. */
export function parseHostPortList(text: string): HostPort[] | null {
  const entries = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  const parsed = entries.map(parseHostPort);
  return parsed.length > 0 && parsed.every((p) => p !== null) ? (parsed as HostPort[]) : null;
}
