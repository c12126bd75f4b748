// Proves Mesos's maintenance rules (mesos-spec §6.3) as pure functions: schedule, machine-list and mode-transition validation with Mesos's error texts, request JSON shapes, and the schedule/status views.
import { describe, expect, test } from "bun:test";
import {
  machineKey, parseMachineIds, parseSchedule, scheduleJson, statusJson, validateDown, validateMachines, validateSchedule, validateUp,
} from "../../host/master/maintenance.ts";
import { readShape } from "../../host/master/registry_requests.ts";
import { RegistryProjection } from "../../host/master/registry_projection.ts";
import type { MachineInfo, Schedule } from "../../host/registry/types.ts";

const at = (nanoseconds: number) => ({ start: { nanoseconds } });
const schedule = (...windows: Schedule["windows"]): Schedule => ({ windows });
const a = { hostname: "a.example.com", ip: "10.0.0.1" };
const b = { hostname: "b.example.com" };
/** The registry as the writer's projection holds it: the machines and their modes. */
const machines = (modes: [typeof a | typeof b, MachineInfo["mode"]][]): RegistryProjection =>
  RegistryProjection.of({ machines: { machines: modes.map(([id, mode]) => ({ id, mode })) } });
const none = machines([]);

describe("machine identity", () => {
  test("hostnames compare case-insensitively; presence of each field matters", () => {
    expect(machineKey({ hostname: "A.Example.com", ip: "10.0.0.1" })).toBe(machineKey(a));
    expect(machineKey({ hostname: "a.example.com" })).not.toBe(machineKey(a));
    expect(machineKey({ ip: "10.0.0.1" })).not.toBe(machineKey(a));
  });
});

describe("schedule validation", () => {
  test("a valid schedule passes, and an empty one cancels everything that is not DOWN", () => {
    expect(validateSchedule(schedule({ machine_ids: [a, b], unavailability: { ...at(1), duration: { nanoseconds: 0 } } }), none)).toBeNull();
    expect(validateSchedule(schedule(), machines([[a, "DRAINING"]]))).toBeNull();
  });

  test("each rule refuses with Mesos's text", () => {
    const cases: [Schedule, RegistryProjection, string][] = [
      [schedule({ machine_ids: [], unavailability: at(1) }), none, "List of machines in the maintenance window is empty"],
      [schedule({ machine_ids: [a], unavailability: { ...at(1), duration: { nanoseconds: -1 } } }), none, "Unavailability 'duration' is negative"],
      [schedule({ machine_ids: [{}], unavailability: at(1) }), none, "Both 'hostname' and 'ip' for a machine are empty"],
      [schedule({ machine_ids: [{ hostname: "", ip: "" }], unavailability: at(1) }), none, "Both 'hostname' and 'ip' for a machine are empty"],
      [schedule({ machine_ids: [{ ip: "10.0.0.256" }], unavailability: at(1) }), none, "Failed to parse IPv4: 10.0.0.256"],
      [schedule({ machine_ids: [{ ip: "::1" }], unavailability: at(1) }), none, "Failed to parse IPv4: ::1"],
      [schedule({ machine_ids: [a], unavailability: at(1) }, { machine_ids: [{ ...a, hostname: "A.EXAMPLE.COM" }], unavailability: at(2) }), none,
        `Machine '{"hostname":"A.EXAMPLE.COM","ip":"10.0.0.1"}' appears more than once in the schedule`],
      [schedule({ machine_ids: [b], unavailability: at(1) }), machines([[a, "DOWN"]]),
        `Machine '{"hostname":"a.example.com","ip":"10.0.0.1"}' is deactivated and cannot be removed from the schedule`],
    ];
    for (const [s, m, reason] of cases) expect(validateSchedule(s, m)).toBe(reason);
  });

  test("a DOWN machine may stay in the schedule in another window", () => {
    expect(validateSchedule(schedule({ machine_ids: [b, a], unavailability: at(5) }), machines([[a, "DOWN"]]))).toBeNull();
  });
});

describe("machine lists and mode transitions", () => {
  test("a list must be non-empty, valid and without duplicates", () => {
    expect(validateMachines([])).toBe("List of machines is empty");
    expect(validateMachines([{ hostname: "x", ip: "1.2.3" }])).toBe("Failed to parse IPv4: 1.2.3");
    expect(validateMachines([b, { hostname: "B.example.com" }])).toBe(`Machine '{"hostname":"B.example.com"}' appears more than once in the schedule`);
    expect(validateMachines([a, b])).toBeNull();
  });

  test("down needs scheduled DRAINING machines; up needs DOWN ones", () => {
    const state = machines([[a, "DRAINING"], [b, "DOWN"]]);
    expect(validateDown([a], state)).toBeNull();
    expect(validateDown([b], state)).toBe(`Machine '{"hostname":"b.example.com"}' is not in DRAINING mode and cannot be brought down`);
    expect(validateDown([{ hostname: "c" }], state)).toBe(`Machine '{"hostname":"c"}' is not part of a maintenance schedule`);
    expect(validateUp([b], state)).toBeNull();
    expect(validateUp([a], state)).toBe(`Machine '{"hostname":"a.example.com","ip":"10.0.0.1"}' is not in DOWN mode and cannot be brought up`);
    expect(validateUp([], state)).toBe("List of machines is empty");
  });
});

describe("request JSON", () => {
  test("a schedule reads as Mesos's Schedule, nanoseconds as numbers or numeric strings, exact (a bigint beyond 2^53)", () => {
    const parsed = parseSchedule({ windows: [{ machine_ids: [{ hostname: "h", extra: 1 }], unavailability: { start: { nanoseconds: "1700000000000000000" }, duration: { nanoseconds: 5 } } }] });
    expect(parsed).toEqual({ windows: [{ machine_ids: [{ hostname: "h" }], unavailability: { start: { nanoseconds: 1_700_000_000_000_000_000n }, duration: { nanoseconds: 5 } } }] });
    expect(parseSchedule({})).toEqual({ windows: [] });
  });

  test("wrong shapes give one-line reasons", () => {
    const reason = (json: unknown, read: (v: unknown) => unknown = parseSchedule) => readShape(() => read(json));
    expect(reason([])).toEqual({ error: "Expecting a JSON object" });
    expect(reason({ windows: {} })).toEqual({ error: "Not expecting a JSON object for field 'windows'" });
    expect(reason({ windows: [{ machine_ids: [] }] })).toEqual({ error: "Missing required fields: windows[0].unavailability" });
    expect(reason({ windows: [{ machine_ids: [], unavailability: { start: { nanoseconds: 1.5 } } }] }))
      .toEqual({ error: "Expecting an integer for field 'nanoseconds', got 1.5" });
    expect(reason({ windows: [{ machine_ids: [{ ip: 10 }], unavailability: at(1) }] })).toEqual({ error: "Not expecting a JSON number for field 'ip'" });
    expect(reason({ hostname: "h" }, parseMachineIds)).toEqual({ error: "Expecting a JSON array" });
    expect(reason([{ hostname: "h".repeat(5000) }], parseMachineIds)).toEqual({ error: "Field 'hostname' is longer than 4096 bytes" });
  });
});

describe("views", () => {
  test("no schedule and no machines read as {}", () => {
    expect(scheduleJson({})).toEqual({});
    expect(statusJson({})).toEqual({});
  });

  test("status lists DRAINING and DOWN machines, never UP ones", () => {
    const registry = { machines: { machines: [{ id: a, mode: "DRAINING" as const }, { id: b, mode: "DOWN" as const }, { id: { hostname: "c" }, mode: "UP" as const }] } };
    expect(statusJson(registry)).toEqual({ draining_machines: [{ id: a }], down_machines: [b] });
  });
});
