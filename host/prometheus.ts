// Metrics in Prometheus's text exposition format (version 0.0.4), for GET /metrics on the
// master and the agent, so that no exporter is needed: each Mesos name sanitised
// (`master/tasks_running` -> `master_tasks_running`, anything outside [a-zA-Z0-9_] becomes `_`),
// with a HELP line naming the Mesos metric and a TYPE line (gauge or counter). Two Mesos names
// that sanitise alike keep the first; a counter's name gets no `_total` suffix, so that it
// reads as the Mesos name does.
import type { MetricValue } from "./metrics.ts";

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export function prometheusName(name: string): string {
  const sanitised = name.replace(/[^a-zA-Z0-9_]/g, "_");
  return /^[0-9]/.test(sanitised) ? `_${sanitised}` : sanitised;
}

function number(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

export function renderPrometheus(values: readonly MetricValue[]): string {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const m of values) {
    const name = prometheusName(m.name);
    if (seen.has(name)) continue;
    seen.add(name);
    lines.push(`# HELP ${name} Mesos metric ${m.name.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`, `# TYPE ${name} ${m.kind}`, `${name} ${number(m.value)}`);
  }
  return `${lines.join("\n")}\n`;
}
