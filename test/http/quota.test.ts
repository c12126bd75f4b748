// Proves the deprecated /quota endpoint against a real in-memory registrar: set (409 without force on a master with no agents), status, remove, Mesos's refusals as 400 with the registry unchanged, and the 307 rule.
import { describe, expect, test } from "bun:test";
import { createApp } from "../../http/app.ts";
import { otherMaster, testMaster } from "../helpers/master.ts";
import { call, type App, useMasters } from "../helpers/http.ts";

const { masters, recoveredLeader } = useMasters();

const cpus = (value: number) => ({ name: "cpus", type: "SCALAR", scalar: { value } });
const registryQuotas = async (app: App) => (await call(app, "GET", "/registrar(1)/registry")).json.quota_configs;

describe.each(["", "/master"])("/quota on a recovered leader, prefix '%s'", (prefix) => {
  test("set with force, read back, refuse a second set, remove", async () => {
    const { app } = await recoveredLeader();
    expect(await call(app, "GET", `${prefix}/quota`)).toMatchObject({ status: 200, json: {} });

    const overcommit = await call(app, "POST", `${prefix}/quota`, { role: "dev", guarantee: [cpus(2)] });
    expect(overcommit).toMatchObject({ status: 409, text: "Quota guarantees overcommit the cluster (use 'force' to bypass this check): Total quota guarantees 'cpus:2' exceed cluster capacity '{}'" });
    expect(await registryQuotas(app)).toBeUndefined();

    expect(await call(app, "POST", `${prefix}/quota`, { role: "dev", force: true, guarantee: [cpus(2)] })).toMatchObject({ status: 200, text: "" });
    expect((await call(app, "GET", `${prefix}/quota`)).json).toEqual({
      infos: [{ role: "dev", guarantee: [cpus(2)] }],
      configs: [{ role: "dev", guarantees: { cpus: { value: 2 } }, limits: { cpus: { value: 2 } } }],
    });

    const again = await call(app, "POST", `${prefix}/quota`, { role: "dev", force: true, guarantee: [cpus(3)] });
    expect(again).toMatchObject({ status: 400, text: "Failed to validate set quota request: Cannot set quota for role 'dev' which already has quota" });

    expect(await call(app, "DELETE", `${prefix}/quota/dev`)).toMatchObject({ status: 200, text: "" });
    expect((await call(app, "GET", `${prefix}/quota`)).json).toEqual({});
    const gone = await call(app, "DELETE", `${prefix}/quota/dev`);
    expect(gone).toMatchObject({ status: 400, text: `Failed to remove quota for path '${prefix}/quota/dev': Role 'dev' has no quota set` });
  });

  test("refusals are 400 with one line and change nothing", async () => {
    const { app } = await recoveredLeader();
    await call(app, "POST", `${prefix}/quota`, { role: "dev", force: true, guarantee: [cpus(1)] });
    const before = await registryQuotas(app);
    const refusals: [unknown, string][] = [
      [{ role: "a/b", force: true, guarantee: [cpus(1)] }, "Setting quota on nested role 'a/b' is not supported yet"],
      [{ role: "ops", force: true, guarantee: [] }, "Failed to validate set quota request: QuotaInfo with empty 'guarantee'"],
      [{ role: "o ps", force: true, guarantee: [cpus(1)] }, "Failed to validate set quota request: QuotaInfo with invalid role: Role component 'o ps' is invalid because it contains backspace or whitespace"],
      [{ role: "ops", force: true, guarantee: [cpus(-1)] }, "Failed to validate set quota request: QuotaInfo with invalid resource: Invalid scalar resource: value <= 0"],
      [{ role: "ops", force: true, guarantee: [cpus(1), cpus(2)] }, "Failed to validate set quota request: QuotaInfo contains duplicate resource name 'cpus'"],
      [{ role: "ops", guarantee: [{ name: "cpus" }] }, `Failed to validate set quota request JSON '{"role":"ops","guarantee":[{"name":"cpus"}]}': Missing required fields: guarantee[0].type`],
      ["{oops", "Failed to parse set quota request JSON '{oops': JSON Parse error: Expected '}'"],
    ];
    for (const [body, reason] of refusals) {
      const response = await call(app, "POST", `${prefix}/quota`, body);
      expect({ status: response.status, text: response.text.startsWith(reason.slice(0, 40)) }).toEqual({ status: 400, text: true });
      if (!reason.includes("JSON Parse")) expect(response.text).toBe(reason);
    }
    expect((await call(app, "DELETE", `${prefix}/quota`)).status).toBe(400);
    expect(await registryQuotas(app)).toEqual(before);
  });

  test("PUT is 405 with Allow", async () => {
    const { app } = await recoveredLeader();
    const response = await app.handle(new Request(`http://localhost${prefix}/quota`, { method: "PUT" }));
    expect([response.status, response.headers.get("allow")]).toEqual([405, "DELETE, GET, POST"]);
  });
});

test("a standby redirects /quota to the leader", async () => {
  const master = testMaster();
  masters.push(master);
  master.detected(otherMaster());
  const response = await createApp(master).handle(new Request("http://localhost/quota/dev", { method: "DELETE" }));
  expect([response.status, response.headers.get("location")]).toEqual([307, "//m2.example.com:5051/quota/dev"]);
});
