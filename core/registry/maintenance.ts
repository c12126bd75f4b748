// Maintenance operations (Mesos's master/maintenance.cpp): UpdateSchedule, StartMaintenance,
// StopMaintenance. Machines are compared by MachineId.key (present-nesses, hostname lowered,
// exact ip). None of them is ever an error in Mesos; here UpdateSchedule fails (changing
// nothing) only when the result would exceed REGISTRY_MAX_BYTES.
import { MODE_DOWN, MODE_DRAINING, Machine, MachineId, Registry, Schedule, Unavailability } from "./state";
import { Op } from "./ops";
import { fits, maintenance_size } from "./sizes";

/**
 * Machines in the new schedule keep their mode and take the unavailability of the last
 * window naming them; machines of the old schedule that are not in the new one are deleted;
 * machines not in the old schedule are added as DRAINING, in window order. Then the new
 * schedule replaces the old one (an empty schedule leaves none).
 */
export function update_schedule(reg: Registry, op: Op): bool {
  const before = maintenance_size(reg.machines, reg.schedules);
  const schedule = op.schedule!;
  const existing = new Set<string>();
  for (let s = 0; s < reg.schedules.length; s++) {
    const windows = unchecked(reg.schedules[s]).windows;
    for (let w = 0; w < windows.length; w++) add_keys(existing, unchecked(windows[w]).machine_ids);
  }
  const updated = new Map<string, Unavailability>();
  for (let w = 0; w < schedule.windows.length; w++) {
    const win = unchecked(schedule.windows[w]);
    for (let i = 0; i < win.machine_ids.length; i++) updated.set(unchecked(win.machine_ids[i]).key, win.unavailability);
  }
  // Built aside and swapped in, so that a refusal changes nothing.
  const machines = new Array<Machine>();
  for (let i = 0; i < reg.machines.length; i++) {
    const m = unchecked(reg.machines[i]);
    if (!updated.has(m.id.key)) continue;
    const kept = new Machine(m.id, m.mode);
    kept.unavailability = updated.get(m.id.key);
    machines.push(kept);
  }
  for (let w = 0; w < schedule.windows.length; w++) {
    const win = unchecked(schedule.windows[w]);
    for (let i = 0; i < win.machine_ids.length; i++) {
      const id = unchecked(win.machine_ids[i]);
      if (existing.has(id.key)) continue;
      const m = new Machine(id, MODE_DRAINING);
      m.unavailability = win.unavailability;
      machines.push(m);
    }
  }
  const schedules = schedule.windows.length == 0 ? new Array<Schedule>() : [schedule];
  return swap_maintenance(reg, machines, schedules, before);
}

export function start_maintenance(reg: Registry, op: Op): bool {
  const ids = new Set<string>();
  add_keys(ids, op.machines!);
  for (let i = 0; i < reg.machines.length; i++) {
    const m = unchecked(reg.machines[i]);
    if (ids.has(m.id.key)) m.mode = MODE_DOWN;
  }
  return true;
}

/** Deletes the machines and drops them from every window; empty windows and schedules go. */
export function stop_maintenance(reg: Registry, op: Op): bool {
  const before = maintenance_size(reg.machines, reg.schedules);
  const ids = new Set<string>();
  add_keys(ids, op.machines!);
  const machines = new Array<Machine>();
  for (let i = 0; i < reg.machines.length; i++) {
    const m = unchecked(reg.machines[i]);
    if (!ids.has(m.id.key)) machines.push(m);
  }
  const schedules = new Array<Schedule>();
  for (let s = 0; s < reg.schedules.length; s++) {
    const old = unchecked(reg.schedules[s]);
    const kept = new Schedule();
    for (let w = 0; w < old.windows.length; w++) {
      const win = unchecked(old.windows[w]);
      const left = new Array<MachineId>();
      for (let i = 0; i < win.machine_ids.length; i++) {
        const id = unchecked(win.machine_ids[i]);
        if (!ids.has(id.key)) left.push(id);
      }
      if (left.length == 0) continue;
      win.machine_ids = left;
      kept.windows.push(win);
    }
    if (kept.windows.length > 0) schedules.push(kept);
  }
  const ok = swap_maintenance(reg, machines, schedules, before);
  assert(ok, "stop_maintenance only shrinks the registry");
  return true;
}

function add_keys(set: Set<string>, ids: Array<MachineId>): void {
  for (let i = 0; i < ids.length; i++) set.add(unchecked(ids[i]).key);
}

/**
 * Installs new machines and schedules if the registry still fits; small_bytes changes by their
 * difference from `before`, the old sections' size (taken before any window was edited).
 */
function swap_maintenance(reg: Registry, machines: Array<Machine>, schedules: Array<Schedule>, before: i64): bool {
  const delta = maintenance_size(machines, schedules) - before;
  if (delta > 0 && !fits(reg, delta)) return false;
  reg.machines = machines;
  reg.schedules = schedules;
  reg.small_bytes += delta;
  return true;
}
