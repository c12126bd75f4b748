// Proves /maintenance/schedule, /maintenance/status, /machine/down and /machine/up against a real in-memory registrar: the UP → DRAINING → DOWN → UP lifecycle, every §6.3 refusal as 400 with Mesos's text and an unchanged registry, both prefixes, and the 307/503 rule.
import { describe, expect, test } from "bun:test";
import { createApp } from "../../http/app.ts";
import { otherMaster, testMaster } from "../helpers/master.ts";
import { call, type App, useMasters } from "../helpers/http.ts";

const { masters, recoveredLeader } = useMasters();

const start = { nanoseconds: 1_700_000_000_000_000_000 };
const a = { hostname: "a.example.com", ip: "10.0.0.1" };
const b = { hostname: "b.example.com" };
const c = { ip: "10.0.0.3" };
const window = (...machine_ids: object[]) => ({ machine_ids, unavailability: { start, duration: { nanoseconds: 3_600_000_000_000 } } });

/** The registry's maintenance parts, read through the HTTP surface. */
async function maintenanceState(app: App) {
  const registry = (await call(app, "GET", "/registrar(1)/registry")).json;
  return { machines: registry.machines, schedules: registry.schedules, schedule: (await call(app, "GET", "/maintenance/schedule")).json };
}

describe.each(["", "/master"])("maintenance on a recovered leader, prefix '%s'", (prefix) => {
  test("schedule, down, up: modes, schedule and status follow", async () => {
    const { app } = await recoveredLeader();
    expect(await call(app, "GET", `${prefix}/maintenance/schedule`)).toMatchObject({ status: 200, json: {} });
    expect(await call(app, "GET", `${prefix}/maintenance/status`)).toMatchObject({ status: 200, json: {} });

    const schedule = { windows: [window(a, b), window(c)] };
    expect(await call(app, "POST", `${prefix}/maintenance/schedule`, schedule)).toMatchObject({ status: 200, text: "" });
    expect((await call(app, "GET", `${prefix}/maintenance/schedule`)).json).toEqual(schedule);
    expect((await call(app, "GET", `${prefix}/maintenance/status`)).json).toEqual({ draining_machines: [{ id: a }, { id: b }, { id: c }] });

    expect(await call(app, "POST", `${prefix}/machine/down`, [{ hostname: "A.EXAMPLE.COM", ip: "10.0.0.1" }])).toMatchObject({ status: 200, text: "" });
    expect((await call(app, "GET", `${prefix}/maintenance/status`)).json).toEqual({ draining_machines: [{ id: b }, { id: c }], down_machines: [a] });

    expect(await call(app, "POST", `${prefix}/machine/up`, [a])).toMatchObject({ status: 200, text: "" });
    expect((await call(app, "GET", `${prefix}/maintenance/status`)).json).toEqual({ draining_machines: [{ id: b }, { id: c }] });
    expect((await call(app, "GET", `${prefix}/maintenance/schedule`)).json).toEqual({ windows: [window(b), window(c)] });

    expect((await call(app, "POST", `${prefix}/maintenance/schedule`, {})).status).toBe(200);
    expect((await call(app, "GET", `${prefix}/maintenance/schedule`)).json).toEqual({});
    expect((await call(app, "GET", `${prefix}/maintenance/status`)).json).toEqual({});
  });

  test("every refused request is 400 with one line and changes nothing", async () => {
    const { app } = await recoveredLeader();
    await call(app, "POST", `${prefix}/maintenance/schedule`, { windows: [window(a, b)] });
    await call(app, "POST", `${prefix}/machine/down`, [a]);
    const before = await maintenanceState(app);
    const refusals: [string, unknown, string][] = [
      ["/maintenance/schedule", { windows: [{ machine_ids: [], unavailability: { start } }] }, "List of machines in the maintenance window is empty"],
      ["/maintenance/schedule", { windows: [{ machine_ids: [a], unavailability: { start, duration: { nanoseconds: -1 } } }] }, "Unavailability 'duration' is negative"],
      ["/maintenance/schedule", { windows: [window(a, {})] }, "Both 'hostname' and 'ip' for a machine are empty"],
      ["/maintenance/schedule", { windows: [window(a, { ip: "10.0.0" })] }, "Failed to parse IPv4: 10.0.0"],
      ["/maintenance/schedule", { windows: [window(a), window(b, { hostname: "B.example.com" })] }, `Machine '{"hostname":"B.example.com"}' appears more than once in the schedule`],
      ["/maintenance/schedule", { windows: [window(b)] }, `Machine '{"hostname":"a.example.com","ip":"10.0.0.1"}' is deactivated and cannot be removed from the schedule`],
      ["/maintenance/schedule", "{\"windows\": [", "JSON Parse error: Expected ']'"],
      ["/maintenance/schedule", { windows: "none" }, "Not expecting a JSON string for field 'windows'"],
      ["/maintenance/schedule", { windows: [{ machine_ids: [a] }] }, "Missing required fields: windows[0].unavailability"],
      ["/machine/down", [], "List of machines is empty"],
      ["/machine/down", { hostname: "x" }, "Expecting a JSON array"],
      ["/machine/down", [b, b], `Machine '{"hostname":"b.example.com"}' appears more than once in the schedule`],
      ["/machine/down", [{ ip: "300.0.0.1" }], "Failed to parse IPv4: 300.0.0.1"],
      ["/machine/down", [{ hostname: "nowhere" }], `Machine '{"hostname":"nowhere"}' is not part of a maintenance schedule`],
      ["/machine/down", [a], `Machine '{"hostname":"a.example.com","ip":"10.0.0.1"}' is not in DRAINING mode and cannot be brought down`],
      ["/machine/up", [b], `Machine '{"hostname":"b.example.com"}' is not in DOWN mode and cannot be brought up`],
      ["/machine/up", [{ hostname: "nowhere" }], `Machine '{"hostname":"nowhere"}' is not part of a maintenance schedule`],
      ["/machine/up", "[{]", "JSON Parse error: Unexpected token ']'"],
      ["/machine/up", "x".repeat(300 << 10), "Request body is larger than 262144 bytes"],
    ];
    for (const [path, body, reason] of refusals) {
      const response = await call(app, "POST", `${prefix}${path}`, body);
      expect({ path, status: response.status, text: response.text.split("\n").length }).toEqual({ path, status: 400, text: 1 });
      expect(response.text).toStartWith(reason.slice(0, 16));
      if (!reason.startsWith("JSON Parse")) expect(response.text).toBe(reason);
    }
    expect(await maintenanceState(app)).toEqual(before);
  });

  test("concurrent requests are checked one after another: a schedule sent with /machine/down cannot drop the machine", async () => {
    const { app } = await recoveredLeader();
    await call(app, "POST", `${prefix}/maintenance/schedule`, { windows: [window(a, b)] });
    const [down, drop] = await Promise.all([
      call(app, "POST", `${prefix}/machine/down`, [a]),
      call(app, "POST", `${prefix}/maintenance/schedule`, { windows: [window(b)] }),
    ]);
    expect(down.status).toBe(200);
    expect(drop).toMatchObject({ status: 400, text: `Machine '{"hostname":"a.example.com","ip":"10.0.0.1"}' is deactivated and cannot be removed from the schedule` });
    expect((await call(app, "GET", `${prefix}/maintenance/status`)).json).toEqual({ draining_machines: [{ id: b }], down_machines: [a] });
  });

  test("int64 nanoseconds are kept exact, and a value beyond int64 is refused (issue #14)", async () => {
    const { app } = await recoveredLeader();
    // Written by hand: a JSON number beyond 2^53 cannot come from JSON.stringify of a double.
    const exact = (ns: string, duration = "3600000000000") =>
      `{"windows":[{"machine_ids":[{"hostname":"a.example.com","ip":"10.0.0.1"}],"unavailability":{"start":{"nanoseconds":${ns}},"duration":{"nanoseconds":${duration}}}}]}`;
    for (const ns of ["9007199254740993", "1700000000123456789", "9223372036854775807", "-9223372036854775808"]) {
      expect((await call(app, "POST", `${prefix}/maintenance/schedule`, exact(ns))).status).toBe(200);
      expect((await call(app, "GET", `${prefix}/maintenance/schedule`)).text).toBe(exact(ns));
      expect((await call(app, "GET", "/registrar(1)/registry")).text).toContain(`"start":{"nanoseconds":${ns}}`);
    }
    // protobuf's JSON mapping also writes int64 as a string.
    expect((await call(app, "POST", `${prefix}/maintenance/schedule`, exact('"1700000000123456789"'))).status).toBe(200);
    expect((await call(app, "GET", `${prefix}/maintenance/schedule`)).text).toBe(exact("1700000000123456789"));
    const before = await maintenanceState(app);
    for (const [ns, shown] of [["1180591620717411303424", "1180591620717411303424"], ["9223372036854775808", "9223372036854775808"], ['"-9223372036854775809"', "-9223372036854775809"]]) {
      const refused = await call(app, "POST", `${prefix}/maintenance/schedule`, exact(ns!));
      expect([refused.status, refused.text]).toEqual([400, `Value ${shown} of field 'nanoseconds' is out of the int64 range`]);
    }
    expect((await call(app, "POST", `${prefix}/maintenance/schedule`, exact("1.5"))).text).toBe("Expecting an integer for field 'nanoseconds', got 1.5");
    expect(await maintenanceState(app)).toEqual(before);
  });

  test("hostnames compare case-insensitively in ASCII only, as Mesos's and the core's do", async () => {
    const { app } = await recoveredLeader();
    const kelvin = { hostname: "\u212a.example.com" }; // KELVIN SIGN, which JavaScript lowers to 'k'
    expect((await call(app, "POST", `${prefix}/maintenance/schedule`, { windows: [window(kelvin, { hostname: "k.example.com" })] })).status).toBe(200);
    expect((await call(app, "POST", `${prefix}/machine/down`, [{ hostname: "K.EXAMPLE.COM" }])).status).toBe(200);
    expect((await call(app, "GET", `${prefix}/maintenance/status`)).json).toEqual({ draining_machines: [{ id: kelvin }], down_machines: [{ hostname: "k.example.com" }] });
    expect(await call(app, "POST", `${prefix}/machine/up`, [kelvin])).toMatchObject({ status: 400, text: `Machine '{"hostname":"\u212a.example.com"}' is not in DOWN mode and cannot be brought up` });
  });

  test("wrong methods are 405 with Allow", async () => {
    const { app } = await recoveredLeader();
    const response = await app.handle(new Request(`http://localhost${prefix}/machine/down`));
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("POST");
    expect((await app.handle(new Request(`http://localhost${prefix}/maintenance/schedule`, { method: "PUT" }))).headers.get("allow")).toBe("GET, POST");
  });
});

describe("maintenance on a standby", () => {
  test("307 to the leader, or 503 when none is known; nothing is written", async () => {
    const master = testMaster();
    masters.push(master);
    master.detected(otherMaster("m2.example.com", 5051));
    const app = createApp(master);
    const down = await app.handle(new Request("http://localhost/master/machine/down", { method: "POST", body: "[]" }));
    expect(down.status).toBe(307);
    expect(down.headers.get("location")).toBe("//m2.example.com:5051/master/machine/down");
    const none = createApp(testMaster());
    for (const path of ["/maintenance/schedule", "/maintenance/status"]) {
      const response = await none.handle(new Request(`http://localhost${path}`));
      expect([response.status, await response.text()]).toEqual([503, "No leader elected"]);
    }
  });
});
