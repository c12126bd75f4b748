// Proves HTTP authentication as Mesos does it: every route in its realm (readonly, readwrite, none), 401 with WWW-Authenticate for missing or wrong credentials on every state-changing endpoint and operator call with nothing changed, the change made with good credentials, authentication before the 307 rule and before 405, a realm that is off ignoring credentials, and no secret in /flags or in the log line of a refusal.
import { afterEach, describe, expect, test } from "bun:test";
import { createApp } from "../../http/app.ts";
import { setLogSink } from "../../host/logging.ts";
import { type App, call, useMasters } from "../helpers/http.ts";
import { otherMaster, testMaster } from "../helpers/master.ts";
import { basic, callAs, JSON_TYPE, MACHINE, SCHEDULE, securedFlags, USERS, v1, v1Writes } from "../helpers/secured.ts";

const { masters, recoveredLeader } = useMasters();
const secured = () => recoveredLeader(securedFlags());

const READONLY: [string, string][] = [
  ["GET", "/state"], ["GET", "/state-summary"], ["GET", "/slaves"], ["GET", "/frameworks"], ["GET", "/tasks"], ["GET", "/roles"],
  ["GET", "/flags"], ["GET", "/metrics/snapshot"], ["GET", "/maintenance/status"], ["GET", "/registrar(1)/registry"],
];
// Mesos routes /weights, /quota and /maintenance/schedule in the readwrite realm for every method, GET included.
const READWRITE: [string, string][] = [
  ["GET", "/maintenance/schedule"], ["GET", "/quota"], ["GET", "/weights"], ["POST", "/api/v1"], ["POST", "/teardown"],
  ["POST", "/machine/down"], ["POST", "/machine/up"], ["PUT", "/weights"], ["POST", "/quota"], ["DELETE", "/quota/dev"], ["POST", "/maintenance/schedule"],
];


/** Every request that changes state: endpoints and v1 operator calls. */
const WRITES: [string, string, unknown, Record<string, string>?][] = [
  ["PUT", "/weights", [{ role: "dev", weight: 2 }]],
  ["POST", "/quota", { role: "dev", guarantee: [{ name: "cpus", type: "SCALAR", scalar: { value: 1 } }], force: true }],
  ["DELETE", "/quota/dev", undefined],
  ["POST", "/maintenance/schedule", SCHEDULE],
  ["POST", "/machine/down", [MACHINE]],
  ["POST", "/machine/up", [MACHINE]],
  ["POST", "/teardown", "frameworkId=fw-1"],
  ...v1Writes("fw-1"),
];

const registry = async (app: App) => (await callAs(app, "alice", "GET", "/registrar(1)/registry")).json;

describe.each(["", "/master"])("realms, prefix '%s'", (prefix) => {
  test.each(READONLY)("%s %s needs credentials in realm mesos-master-readonly", async (method, path) => {
    const { app } = await secured();
    const full = path.startsWith("/registrar") ? path : `${prefix}${path}`;
    const response = await callAs(app, null, method, full);
    expect([response.status, response.headers.get("www-authenticate"), response.text]).toEqual([401, 'Basic realm="mesos-master-readonly"', "401 Unauthorized."]);
    expect((await callAs(app, "alice", method, full)).status).toBe(200);
  });

  test.each(READWRITE)("%s %s needs credentials in realm mesos-master-readwrite", async (method, path) => {
    const { app } = await secured();
    const response = await callAs(app, null, method, `${prefix}${path}`);
    expect([response.status, response.headers.get("www-authenticate")]).toEqual([401, 'Basic realm="mesos-master-readwrite"']);
  });

  test.each([["GET", "/health"], ["GET", "/version"], ["GET", "/redirect"]])("%s %s needs none", async (method, path) => {
    const { app } = await secured();
    expect((await callAs(app, null, method, `${prefix}${path}`)).status).not.toBe(401);
  });
});

describe("state-changing requests", () => {
  // Every row has all five values: a shorter row would hand bun's `done` callback in as `headers`.
  test.each(WRITES.map(([method, path, body, headers = {}]) => [`${method} ${path}${path === "/api/v1" ? ` ${(body as { type: string }).type}` : ""}`, method, path, body, headers] as const))(
    "%s without credentials, or with wrong ones, is 401 and changes nothing", async (_title, method, path, body, headers) => {
      const { app } = await secured();
      const before = await registry(app);
      const wrong = { ...headers, authorization: basic("alice", "not-her-secret") };
      for (const extra of [headers, wrong, { ...headers, authorization: basic("mallory", "x") }, { ...headers, authorization: "Bearer abc" }]) {
        const response = await callAs(app, null, method, path, body, extra);
        expect([response.status, response.headers.get("www-authenticate")]).toEqual([401, 'Basic realm="mesos-master-readwrite"']);
      }
      expect(await registry(app)).toEqual(before);
    });

  test("with good credentials the change happens", async () => {
    const { app } = await secured();
    expect((await callAs(app, "alice", "PUT", "/weights", [{ role: "dev", weight: 2 }])).status).toBe(200);
    expect((await callAs(app, "bob", "POST", "/maintenance/schedule", SCHEDULE)).status).toBe(200);
    expect((await callAs(app, "alice", "POST", "/api/v1", v1("UPDATE_WEIGHTS", { weight_infos: [{ role: "ops", weight: 3 }] }), JSON_TYPE)).status).toBe(200);
    const stored = await registry(app);
    expect(stored.weights).toEqual([{ info: { role: "dev", weight: 2 } }, { info: { role: "ops", weight: 3 } }]);
    expect(stored.schedules[0].windows[0].machine_ids).toEqual([MACHINE]);
  });
});

describe("order and switches", () => {
  test("a standby authenticates before it redirects", async () => {
    const master = testMaster(securedFlags());
    masters.push(master);
    master.detected(otherMaster());
    const app = createApp(master);
    expect((await callAs(app, null, "PUT", "/master/weights", "[]")).status).toBe(401);
    const redirected = await callAs(app, "alice", "PUT", "/master/weights", "[]");
    expect([redirected.status, redirected.headers.get("location")]).toEqual([307, "//m2.example.com:5051/master/weights"]);
  });

  test("a wrong method is 401 before it is 405; an unknown path stays 404", async () => {
    const { app } = await secured();
    expect((await callAs(app, null, "POST", "/weights")).status).toBe(401);
    const wrong = await callAs(app, "alice", "POST", "/weights", "[]");
    expect([wrong.status, wrong.headers.get("allow")]).toEqual([405, "GET, PUT"]);
    expect((await callAs(app, null, "GET", "/no-such-endpoint")).status).toBe(404);
  });

  test("with authentication off, credentials are not looked at (good, wrong or malformed)", async () => {
    const { app } = await recoveredLeader([`--credentials=${securedFlags()[0]!.slice("--credentials=".length)}`]);
    for (const authorization of [basic("alice", USERS.alice), basic("alice", "wrong"), "Basic !!!"]) {
      expect((await call(app, "GET", "/state")).status).toBe(200);
      expect((await callAs(app, null, "PUT", "/weights", [{ role: "dev", weight: 2 }], { authorization })).status).toBe(200);
    }
  });

  test("--authenticate_http_readonly alone leaves the readwrite realm open", async () => {
    const { app } = await recoveredLeader(securedFlags(undefined, ["--authenticate_http_readonly"]));
    expect((await callAs(app, null, "GET", "/state")).status).toBe(401);
    expect((await callAs(app, null, "PUT", "/weights", [{ role: "dev", weight: 2 }])).status).toBe(200);
  });
});

describe("secrets", () => {
  let restore: ((line: string) => void) | null = null;
  afterEach(() => {
    if (restore) setLogSink(restore);
    restore = null;
  });

  test("/flags shows the credentials file's path, never a secret", async () => {
    const { app } = await secured();
    const flags = await callAs(app, "alice", "GET", "/flags");
    expect(flags.json.flags.credentials).toEndWith("credentials.json");
    for (const secret of Object.values(USERS)) expect(flags.text).not.toContain(secret);
  });

  test("a refused request's log line names the path and realm, not the header or the secret", async () => {
    const { app } = await secured();
    const lines: string[] = [];
    restore = setLogSink((line) => lines.push(line));
    const header = basic("alice", "guessed-secret-xyz");
    await callAs(app, null, "PUT", "/weights", "[]", { authorization: header });
    await callAs(app, null, "PUT", "/weights", "[]", { authorization: basic("alice", USERS.alice).slice(0, -2) });
    const refusals = lines.filter((l) => l.includes("Failed to authenticate"));
    expect(refusals.length).toBe(2);
    expect(refusals[0]).toContain("PUT /weights in realm 'mesos-master-readwrite'");
    for (const line of lines) {
      for (const secret of ["guessed-secret-xyz", USERS.alice, header.slice("Basic ".length)]) expect(line).not.toContain(secret);
    }
  });
});
