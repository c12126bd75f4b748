// Mesos's system/* metrics (the system metrics process of libprocess), on masters and agents:
// the machine's CPU count, load averages, and total and free memory (MemFree of /proc/meminfo,
// as Mesos reads sysinfo's freeram; not MemAvailable).
import { readFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import type { MetricValue } from "./metrics.ts";

function memFreeBytes(): number | null {
  try {
    const match = /^MemFree:\s+(\d+) kB$/m.exec(readFileSync("/proc/meminfo", "utf8"));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

export function systemMetrics(): MetricValue[] {
  const [one = 0, five = 0, fifteen = 0] = loadavg();
  const out: MetricValue[] = [
    { name: "system/cpus_total", value: cpus().length, kind: "gauge" },
    { name: "system/load_1min", value: one, kind: "gauge" },
    { name: "system/load_5min", value: five, kind: "gauge" },
    { name: "system/load_15min", value: fifteen, kind: "gauge" },
    { name: "system/mem_total_bytes", value: totalmem(), kind: "gauge" },
  ];
  const free = memFreeBytes();
  if (free !== null) out.push({ name: "system/mem_free_bytes", value: free, kind: "gauge" });
  return out;
}
