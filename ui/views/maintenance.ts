// Maintenance windows and machine states (GET_MAINTENANCE_SCHEDULE, GET_MAINTENANCE_STATUS).
import type { ViewContext } from "../context.ts";
import { h, table } from "../dom.ts";

const POLL_MS = 5_000;

interface Machine { hostname?: string; ip?: string }
interface Schedule { get_maintenance_schedule: { schedule: { windows?: { machine_ids: Machine[]; unavailability: { start: { nanoseconds: number }; duration?: { nanoseconds: number } } }[] } } }
interface Status { get_maintenance_status: { status: { draining_machines?: { id: Machine }[]; down_machines?: Machine[] } } }

const machine = (m: Machine) => [m.hostname, m.ip].filter(Boolean).join(" / ");
const when = (ns: number) => new Date(ns / 1e6).toISOString().replace("T", " ").slice(0, 19) + " UTC";

export function maintenanceView(ctx: ViewContext): HTMLElement {
  const schedule = ctx.poll("maintenance-schedule", POLL_MS, () => ctx.client.call<Schedule>("GET_MAINTENANCE_SCHEDULE"));
  const status = ctx.poll("maintenance-status", POLL_MS, () => ctx.client.call<Status>("GET_MAINTENANCE_STATUS"));
  const windows = schedule.value?.get_maintenance_schedule.schedule.windows ?? [];
  const s = status.value?.get_maintenance_status.status;
  return h("section", { "aria-labelledby": "maintenance-title" },
    h("h1", { id: "maintenance-title" }, "Maintenance"),
    schedule.error ? h("p", { class: "error", role: "alert" }, schedule.error) : null,
    table("Windows", ["Machines", "Starts", "Duration"], windows.map((w) => [
      w.machine_ids.map(machine).join(", "), when(w.unavailability.start.nanoseconds),
      w.unavailability.duration === undefined ? "open-ended" : `${Math.round(w.unavailability.duration.nanoseconds / 6e10)} min`,
    ])),
    table("Draining machines", ["Machine"], (s?.draining_machines ?? []).map((m) => [machine(m.id)])),
    table("Down machines", ["Machine"], (s?.down_machines ?? []).map((m) => [machine(m)])));
}
