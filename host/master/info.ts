// MasterInfo exactly as Mesos writes it into ZooKeeper and /state (mesos-spec §2.2): a fresh
// UUID per start, ip as a network-order uint32, pid master@ip:port, keys sorted.
import { randomUUID } from "node:crypto";
import { ipToMesosUint32 } from "../net/address.ts";
import { MESOS_VERSION } from "../version.ts";
import type { FaultDomain } from "./flags.ts";

export const MASTER_CAPABILITIES = ["AGENT_UPDATE", "AGENT_DRAINING", "QUOTA_V2"] as const;

export interface MasterInfo {
  address: { hostname: string; ip: string; port: number };
  capabilities: { type: string }[];
  domain?: FaultDomain;
  hostname: string;
  id: string;
  ip: number;
  pid: string;
  port: number;
  version: string;
}

export function makeMasterInfo(ip: string, port: number, hostname: string, domain?: FaultDomain): MasterInfo {
  const info: MasterInfo = {
    address: { hostname, ip, port },
    capabilities: MASTER_CAPABILITIES.map((type) => ({ type })),
    hostname,
    id: randomUUID(),
    ip: ipToMesosUint32(ip),
    pid: `master@${ip}:${port}`,
    port,
    version: MESOS_VERSION,
  };
  if (domain) info.domain = domain;
  return info;
}

/** Compact JSON with keys in sorted order at every level, as stout emits it. */
export function masterInfoJson(info: MasterInfo): string {
  return JSON.stringify(sortKeys(info));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
  return out;
}
