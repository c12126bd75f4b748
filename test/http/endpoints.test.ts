// Proves each endpoint's status, headers and body through app.handle, on / and /master/, on a
// leader, on a standby that knows the leader (307) and on one that knows none (503), plus the
// 405/404 rules.
import { describe, expect, test } from "bun:test";
import { createApp } from "../../http/app.ts";
import { MESOS_VERSION } from "../../host/version.ts";
import { otherMaster, testMaster } from "../helpers/master.ts";

// Response bodies in these tests are Mesos JSON objects read field by field.
const readJson = async (response: Response): Promise<any> => await response.json();

const call = (app: ReturnType<typeof createApp>, path: string, method = "GET") =>
  app.handle(new Request(`http://localhost${path}`, { method }));

function leader() {
  const master = testMaster(["--port=5050", "--cluster=prod"]);
  master.detected(master.info);
  return { master, app: createApp(master) };
}

describe.each(["", "/master"])("on the leader, prefix '%s'", (prefix) => {
  test("/health is 200 with an empty body for any method", async () => {
    const { app } = leader();
    for (const method of ["GET", "POST", "DELETE"]) {
      const response = await call(app, `${prefix}/health`, method);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe("");
    }
  });

  test("/version has Mesos's fields", async () => {
    const response = await call(leader().app, `${prefix}/version`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    const json = await readJson(response);
    expect(json.version).toBe(MESOS_VERSION);
    expect(typeof json.build_date).toBe("string");
    expect(typeof json.build_time).toBe("number");
    expect(typeof json.build_user).toBe("string");
  });

  test("/flags lists every flag with a value as strings", async () => {
    const body = await readJson(await call(leader().app, `${prefix}/flags`));
    expect(body.flags.port).toBe("5050");
    expect(body.flags.registry).toBe("in_memory");
    expect(body.flags.zk_session_timeout).toBe("10secs");
    expect(body.flags.registry_max_agent_age).toBe("2weeks");
    expect(body.flags.hostname_lookup).toBe("true");
    expect(body.flags.zk).toBeUndefined();
  });

  test("/state carries identity, leadership, flags and empty cluster lists", async () => {
    const { master, app } = leader();
    const response = await call(app, `${prefix}/state`);
    expect(response.status).toBe(200);
    const body = await readJson(response);
    expect(body).toMatchObject({
      version: MESOS_VERSION,
      id: master.info.id,
      pid: "master@127.0.0.1:5050",
      hostname: "m1.example.com",
      capabilities: ["AGENT_UPDATE", "AGENT_DRAINING", "QUOTA_V2"],
      activated_slaves: 0, deactivated_slaves: 0, unreachable_slaves: 0,
      leader: "master@127.0.0.1:5050",
      leader_info: { id: master.info.id, pid: "master@127.0.0.1:5050", port: 5050, hostname: "m1.example.com" },
      cluster: "prod",
      slaves: [], recovered_slaves: [], frameworks: [], completed_frameworks: [], orphan_tasks: [], unregistered_frameworks: [],
    });
    expect(body.flags.cluster).toBe("prod");
    expect(body.start_time).toBeCloseTo(master.start_time_ms / 1000, 3);
    expect(body.elected_time).toBeGreaterThanOrEqual(body.start_time);
    for (const field of ["build_date", "build_time", "build_user"]) expect(body[field]).toBeDefined();
  });

  test("/state?jsonp=cb wraps the body", async () => {
    const response = await call(leader().app, `${prefix}/state?jsonp=cb`);
    expect(response.headers.get("content-type")).toBe("text/javascript");
    const textBody = await response.text();
    expect(textBody.startsWith("cb({")).toBe(true);
    expect(textBody.endsWith("});")).toBe(true);
  });

  test("/metrics/snapshot has uptime and elected", async () => {
    const body = await readJson(await call(leader().app, `${prefix}/metrics/snapshot`));
    expect(body["master/elected"]).toBe(1);
    expect(body["master/uptime_secs"]).toBeGreaterThanOrEqual(0);
    expect((await call(leader().app, `${prefix}/metrics/snapshot?timeout=5secs`)).status).toBe(200);
    const bad = await call(leader().app, `${prefix}/metrics/snapshot?timeout=soon`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toBe("Invalid timeout 'soon'");
  });

  test("/redirect points at the leader itself", async () => {
    const response = await call(leader().app, `${prefix}/redirect`);
    expect(response.status).toBe(307);
    expect(response.headers.get("location")).toBe("//m1.example.com:5050");
  });

  test("wrong method is 405 with Allow", async () => {
    for (const path of ["/state", "/flags", "/version", "/metrics/snapshot"]) {
      const response = await call(leader().app, `${prefix}${path}`, "POST");
      expect(response.status).toBe(405);
      expect(response.headers.get("allow")).toBe("GET");
      expect(await response.text()).toBe("Expecting one of { 'GET' }, but received 'POST'");
    }
  });

  test("unknown paths are 404, including under /redirect/", async () => {
    for (const path of ["/nope", "/redirect/x", "/state/extra", "/metrics/nope"]) {
      expect((await call(leader().app, `${prefix}${path}`)).status).toBe(404);
    }
  });
});

describe("on a standby", () => {
  test("leader-only endpoints answer 307 to the leader with path and query", async () => {
    const master = testMaster();
    master.detected(otherMaster("m2.example.com", 5051));
    const app = createApp(master);
    const response = await call(app, "/master/state?jsonp=x&y=1");
    expect(response.status).toBe(307);
    expect(response.headers.get("location")).toBe("//m2.example.com:5051/master/state?jsonp=x&y=1");
    expect(await response.text()).toBe("");
    const redirect = await call(app, "/redirect");
    expect(redirect.headers.get("location")).toBe("//m2.example.com:5051");
  });

  test("with no leader, leader-only endpoints and /redirect answer 503", async () => {
    const app = createApp(testMaster());
    for (const path of ["/state", "/master/state", "/redirect", "/master/redirect"]) {
      const response = await call(app, path);
      expect(response.status).toBe(503);
      expect(await response.text()).toBe("No leader elected");
    }
  });

  test("/health, /version, /flags and /metrics/snapshot never redirect", async () => {
    const master = testMaster();
    master.detected(otherMaster());
    const app = createApp(master);
    for (const path of ["/health", "/version", "/flags", "/metrics/snapshot", "/master/flags"]) {
      expect((await call(app, path)).status).toBe(200);
    }
    const metrics = await readJson(await call(app, "/metrics/snapshot"));
    expect(metrics["master/elected"]).toBe(0);
  });
});
