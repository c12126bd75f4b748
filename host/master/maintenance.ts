// Maintenance (mesos-spec §6.3): the schedule, machine modes UP → DRAINING → DOWN → UP, and
// Mesos's validation of each request (master/maintenance.cpp, master/http.cpp), with its
// error texts. Machines are read from the last stored registry; every change is one registry
// operation (UPDATE_SCHEDULE, START_MAINTENANCE, STOP_MAINTENANCE) applied through the
// RegistryWriter, which checks each against the registry as earlier requests leave it.
import { isIPv4 } from "../net/address.ts";
import { machineKey } from "../registry/machine_key.ts";
import type { RegistryProjection } from "./registry_projection.ts";
import type { MachineID, MachineInfo, MaintenanceWindow, Nanoseconds, Registry, Schedule, Unavailability } from "../registry/types.ts";
import {
  arrayField, arrayOf, int64Field, type JsonObject, perRegistry, messageField, numberField, objectOf, type Plan, type Reply, refuse,
  type RegistryWriter, requireFields, ShapeError, stringField, WINDOWS_MAX,
} from "./registry_requests.ts";

export { machineKey } from "../registry/machine_key.ts";

/** A machine id as Mesos prints it in error texts: compact JSON, hostname first. */
export function machineText(id: MachineID): string {
  return JSON.stringify(machineIdJson(id));
}

function machineIdJson(id: MachineID): MachineID {
  const out: MachineID = {};
  if (id.hostname !== undefined) out.hostname = id.hostname;
  if (id.ip !== undefined) out.ip = id.ip;
  return out;
}

// ---- Reading request JSON (the shapes of mesos.maintenance.Schedule and MachineID) ----

export function parseMachineId(value: unknown): MachineID {
  const object = objectOf(value);
  const id: MachineID = {};
  const hostname = stringField(object, "hostname");
  const ip = stringField(object, "ip");
  if (hostname !== undefined) id.hostname = hostname;
  if (ip !== undefined) id.ip = ip;
  return id;
}

/** The body of /machine/down and /machine/up: a JSON array of machine ids. */
export function parseMachineIds(value: unknown): MachineID[] {
  return arrayOf(value).map(parseMachineId);
}

export function parseSchedule(value: unknown): Schedule {
  const windows = arrayField(objectOf(value), "windows");
  if (windows.length > WINDOWS_MAX) throw new ShapeError(`A schedule holds at most ${WINDOWS_MAX} windows, got ${windows.length}`);
  return { windows: windows.map((window, i) => parseWindow(window, `windows[${i}].`)) };
}

function parseWindow(value: unknown, path: string): MaintenanceWindow {
  const object = objectOf(value);
  const machine_ids = arrayField(object, "machine_ids").map(parseMachineId);
  requireFields(object, path, ["unavailability"]);
  return { machine_ids, unavailability: parseUnavailability(messageField(object, "unavailability")!, `${path}unavailability.`) };
}

function parseUnavailability(object: JsonObject, path: string): Unavailability {
  requireFields(object, path, ["start"]);
  const unavailability: Unavailability = { start: { nanoseconds: nanoseconds(messageField(object, "start")!, `${path}start.`) } };
  const duration = messageField(object, "duration");
  if (duration !== undefined) unavailability.duration = { nanoseconds: nanoseconds(duration, `${path}duration.`) };
  return unavailability;
}

function nanoseconds(object: JsonObject, path: string): Nanoseconds {
  requireFields(object, path, ["nanoseconds"]);
  return int64Field(object, "nanoseconds")!;
}

// ---- Validation (maintenance::validation) ----

export function validateMachine(id: MachineID): string | null {
  if (!id.hostname && !id.ip) return "Both 'hostname' and 'ip' for a machine are empty";
  if (id.ip && !isIPv4(id.ip)) return `Failed to parse IPv4: ${id.ip}`;
  return null;
}

/** A schedule is valid when every window has machines, no duration is negative, every machine is valid and appears once, and no DOWN machine is dropped. */
export function validateSchedule(schedule: Schedule, registry: RegistryProjection): string | null {
  const updated = new Set<string>();
  for (const window of schedule.windows) {
    if (window.machine_ids.length === 0) return "List of machines in the maintenance window is empty";
    if ((window.unavailability.duration?.nanoseconds ?? 0) < 0) return "Unavailability 'duration' is negative";
    for (const id of window.machine_ids) {
      const invalid = validateMachine(id);
      if (invalid !== null) return invalid;
      if (updated.has(machineKey(id))) return `Machine '${machineText(id)}' appears more than once in the schedule`;
      updated.add(machineKey(id));
    }
  }
  for (const key of registry.down) {
    if (!updated.has(key)) return `Machine '${machineText(registry.machines.get(key)!.id)}' is deactivated and cannot be removed from the schedule`;
  }
  return null;
}

/** A list of machines is valid when it is not empty and every machine is valid and appears once. */
export function validateMachines(ids: readonly MachineID[]): string | null {
  if (ids.length === 0) return "List of machines is empty";
  const seen = new Set<string>();
  for (const id of ids) {
    const invalid = validateMachine(id);
    if (invalid !== null) return invalid;
    if (seen.has(machineKey(id))) return `Machine '${machineText(id)}' appears more than once in the schedule`;
    seen.add(machineKey(id));
  }
  return null;
}

/** /machine/down: valid machines, each scheduled and DRAINING. */
export function validateDown(ids: readonly MachineID[], registry: RegistryProjection): string | null {
  return validateTransition(ids, registry, "DRAINING", "is not in DRAINING mode and cannot be brought down");
}

/** /machine/up: valid machines, each scheduled and DOWN. */
export function validateUp(ids: readonly MachineID[], registry: RegistryProjection): string | null {
  return validateTransition(ids, registry, "DOWN", "is not in DOWN mode and cannot be brought up");
}

function validateTransition(ids: readonly MachineID[], registry: RegistryProjection, from: MachineInfo["mode"], wrongMode: string): string | null {
  const invalid = validateMachines(ids);
  if (invalid !== null) return invalid;
  for (const id of ids) {
    const mode = registry.modeOf(id);
    if (mode === undefined) return `Machine '${machineText(id)}' is not part of a maintenance schedule`;
    if (mode !== from) return `Machine '${machineText(id)}' ${wrongMode}`;
  }
  return null;
}

// ---- Views of the registry ----

export function machinesOf(registry: Registry): MachineInfo[] {
  return registry.machines?.machines ?? [];
}

/** GET /maintenance/schedule: the single schedule, `{}` when there is none. */
export const scheduleJson = perRegistry(scheduleView);

function scheduleView(registry: Registry): { windows?: MaintenanceWindow[] } {
  const windows = (registry.schedules?.[0]?.windows ?? []).filter((w) => w.machine_ids.length > 0);
  if (windows.length === 0) return {};
  return { windows: windows.map((w) => ({ machine_ids: w.machine_ids.map(machineIdJson), unavailability: unavailabilityJson(w.unavailability) })) };
}

function unavailabilityJson(u: Unavailability): Unavailability {
  const out: Unavailability = { start: { nanoseconds: u.start.nanoseconds } };
  if (u.duration !== undefined) out.duration = { nanoseconds: u.duration.nanoseconds };
  return out;
}

export interface ClusterStatus {
  draining_machines?: { id: MachineID }[];
  down_machines?: MachineID[];
}

/**
 * GET /maintenance/status: DRAINING and DOWN machines (UP ones are not listed). Draining
 * machines carry no inverse-offer statuses: no framework has answered one in this build.
 */
export const statusJson = perRegistry(statusView);

function statusView(registry: Registry): ClusterStatus {
  const machines = machinesOf(registry);
  const draining = machines.filter((m) => m.mode === "DRAINING").map((m) => ({ id: machineIdJson(m.id) }));
  const down = machines.filter((m) => m.mode === "DOWN").map((m) => machineIdJson(m.id));
  const status: ClusterStatus = {};
  if (draining.length > 0) status.draining_machines = draining;
  if (down.length > 0) status.down_machines = down;
  return status;
}

// ---- The service ----

export class MaintenanceService {
  /**
   * `down` is told the machines once START_MAINTENANCE is stored: their agents are shut down and
   * removed. `changed` runs after every stored change (offers carry their machine's maintenance).
   */
  constructor(
    private readonly writer: RegistryWriter,
    private readonly down: (ids: MachineID[]) => void = () => {},
    private readonly changed: () => void = () => {},
  ) {}

  schedule(): { windows?: MaintenanceWindow[] } {
    return scheduleJson(this.writer.current());
  }

  status(): ClusterStatus {
    return statusJson(this.writer.current());
  }

  /** Replaces the schedule: new machines become DRAINING, dropped ones UP (the registry's UPDATE_SCHEDULE). */
  async updateSchedule(schedule: Schedule): Promise<Reply> {
    const reply = await this.writer.write((registry): Plan => {
      const invalid = validateSchedule(schedule, registry);
      return invalid !== null ? refuse(invalid) : { operation: { type: "UPDATE_SCHEDULE", schedule } };
    });
    if (reply.status === 200) this.changed();
    return reply;
  }

  /** DRAINING → DOWN. */
  async startMaintenance(ids: MachineID[]): Promise<Reply> {
    const reply = await this.writer.write((registry): Plan => {
      const invalid = validateDown(ids, registry);
      return invalid !== null ? refuse(invalid) : { operation: { type: "START_MAINTENANCE", machines: ids } };
    });
    // As Mesos: once the machines are DOWN in the registry, their agents are told to shut down and removed.
    if (reply.status === 200) {
      this.down(ids);
      this.changed();
    }
    return reply;
  }

  /** DOWN → UP: the machines leave the schedule. */
  async stopMaintenance(ids: MachineID[]): Promise<Reply> {
    const reply = await this.writer.write((registry): Plan => {
      const invalid = validateUp(ids, registry);
      return invalid !== null ? refuse(invalid) : { operation: { type: "STOP_MAINTENANCE", machines: ids } };
    });
    if (reply.status === 200) this.changed();
    return reply;
  }
}
