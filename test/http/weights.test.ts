// Proves /weights against a real in-memory registrar: PUT then GET, --weights shown and stored at recovery, Mesos's refusals (and duplicate roles) as 400 with the registry unchanged, 405 and the 307 rule.
import { describe, expect, test } from "bun:test";
import { createApp } from "../../http/app.ts";
import { otherMaster, testMaster } from "../helpers/master.ts";
import { call, type App, useMasters } from "../helpers/http.ts";

const { masters, recoveredLeader } = useMasters();

const registryWeights = async (app: App) => (await call(app, "GET", "/registrar(1)/registry")).json.weights;

describe.each(["", "/master"])("/weights on a recovered leader, prefix '%s'", (prefix) => {
  test("PUT stores weights (roles trimmed, upserted) and GET lists them by role", async () => {
    const { app } = await recoveredLeader();
    expect(await call(app, "GET", `${prefix}/weights`)).toMatchObject({ status: 200, json: [] });
    expect(await call(app, "PUT", `${prefix}/weights`, [{ role: " ops ", weight: 2 }, { role: "dev", weight: 0.5 }])).toMatchObject({ status: 200, text: "" });
    expect(await call(app, "PUT", `${prefix}/weights`, [{ role: "ops", weight: 3 }])).toMatchObject({ status: 200 });
    expect((await call(app, "GET", `${prefix}/weights`)).json).toEqual([{ role: "dev", weight: 0.5 }, { role: "ops", weight: 3 }]);
  });

  test("refusals are 400 with one line and change nothing", async () => {
    const { app } = await recoveredLeader();
    await call(app, "PUT", `${prefix}/weights`, [{ role: "ops", weight: 2 }]);
    const before = await registryWeights(app);
    const refusals: [unknown, string][] = [
      [[{ role: "ops", weight: 0 }], "Failed to validate update weights request JSON for role 'ops': Invalid weight '0': Weights must be positive"],
      [[{ role: "ops", weight: -2 }], "Failed to validate update weights request JSON for role 'ops': Invalid weight '-2': Weights must be positive"],
      [[{ role: "a//b", weight: 1 }], "Failed to validate update weights request JSON: Invalid role 'a//b': Role 'a//b' cannot contain two adjacent slashes"],
      [[{ weight: 1 }], "Failed to validate update weights request JSON: Invalid role '': Role names cannot be the empty string"],
      [[{ role: "x", weight: 1 }, { role: "x", weight: 2 }], "Failed to validate update weights request JSON: Role 'x' appears more than once"],
      [[{ role: "x" }], `Failed to convert weights JSON array to protobuf '[{"role":"x"}]': Missing required fields: [0].weight`],
      [{ role: "x", weight: 1 }, `Failed to convert weights JSON array to protobuf '{"role":"x","weight":1}': Expecting a JSON array`],
      [[{ role: "x", weight: "heavy" }], `Failed to convert weights JSON array to protobuf '[{"role":"x","weight":"heavy"}]': Failed to convert 'heavy' to number for field 'weight'`],
      // A lone surrogate has no UTF-8 form: stored it would turn into U+FFFD and match other roles.
      ['[{"role":"r\\ud800","weight":2}]', `Failed to convert weights JSON array to protobuf '[{"role":"r\\ud800","weight":2}]': Field 'role' is not valid UTF-8 (a lone surrogate)`],
    ];
    for (const [body, reason] of refusals) expect(await call(app, "PUT", `${prefix}/weights`, body)).toMatchObject({ status: 400, text: reason });
    const malformed = await call(app, "PUT", `${prefix}/weights`, "[{");
    expect(malformed.status).toBe(400);
    expect(malformed.text).toStartWith("Failed to parse update weights request JSON '[{': ");
    expect(await registryWeights(app)).toEqual(before);
    const post = await app.handle(new Request(`http://localhost${prefix}/weights`, { method: "POST", body: "[]" }));
    expect([post.status, post.headers.get("allow")]).toEqual([405, "GET, PUT"]);
  });
});

test("--weights are served and written to the registry at recovery when it has none", async () => {
  const { app } = await recoveredLeader(["--weights=dev=2,ops=0.5"]);
  expect((await call(app, "GET", "/weights")).json).toEqual([{ role: "dev", weight: 2 }, { role: "ops", weight: 0.5 }]);
  for (let i = 0; i < 100 && (await registryWeights(app)) === undefined; i++) await Bun.sleep(5);
  expect(await registryWeights(app)).toEqual([{ info: { role: "dev", weight: 2 } }, { info: { role: "ops", weight: 0.5 } }]);
});

test("a standby redirects PUT /weights", async () => {
  const master = testMaster();
  masters.push(master);
  master.detected(otherMaster());
  const response = await createApp(master).handle(new Request("http://localhost/master/weights", { method: "PUT", body: "[]" }));
  expect([response.status, response.headers.get("location")]).toEqual([307, "//m2.example.com:5051/master/weights"]);
});
