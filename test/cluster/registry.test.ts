// Proves the registry survives what operators do to masters: a maintenance schedule posted to a
// standalone master survives SIGKILL and restart; on three masters (real ZooKeeper, real
// SQLite logs) the registry after SIGKILLing and restarting each master in turn is the registry
// before, as read from each new leader's /registrar(1)/registry.
import { afterAll, afterEach, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ensemble } from "../helpers/ensemble.ts";
import { until } from "../helpers/log_cluster.ts";
import { BINARY, freePort, requireBinary, type Running, start, waitForHealth } from "../helpers/process.ts";
import { useZooKeeper } from "../helpers/zookeeper.ts";
import { tlsFetch } from "../helpers/security.ts";

setDefaultTimeout(120_000);

beforeAll(() => requireBinary());
const zk = useZooKeeper();
const dir = mkdtempSync(join(tmpdir(), "registry-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const stop of cleanup.splice(0)) stop();
});

const SECOND_NS = 1_000_000_000;
const SCHEDULE = {
  windows: [
    { machine_ids: [{ hostname: "host-a", ip: "10.0.0.1" }, { hostname: "host-b" }], unavailability: { start: { nanoseconds: 1_900_000_000 * SECOND_NS }, duration: { nanoseconds: 3600 * SECOND_NS } } },
    { machine_ids: [{ ip: "10.0.0.3" }], unavailability: { start: { nanoseconds: 1_900_100_000 * SECOND_NS } } },
  ],
};

const post = (url: string, body: unknown, method = "POST") =>
  tlsFetch(url, { method, body: JSON.stringify(body), headers: { "content-type": "application/json" } });

async function registry(url: string): Promise<Record<string, unknown>> {
  const body = (await (await tlsFetch(url)).json()) as Record<string, unknown>;
  delete body.master; // the MasterInfo of whichever master recovered it last
  return body;
}

test("a maintenance schedule posted to a standalone master survives SIGKILL and restart", async () => {
  const port = await freePort();
  const args = [BINARY, "master", `--work_dir=${join(dir, "standalone")}`, "--ip=127.0.0.1", `--port=${port}`];
  let master: Running = start(args);
  cleanup.push(() => master.kill("SIGKILL"));
  await waitForHealth(port, master);
  const base = `http://127.0.0.1:${port}`;
  await until(async () => (await tlsFetch(`${base}/maintenance/schedule`)).status === 200 || null, "the registry to recover");
  expect((await post(`${base}/maintenance/schedule`, SCHEDULE)).status).toBe(200);
  const before = await (await tlsFetch(`${base}/maintenance/schedule`)).json();
  expect(before).toEqual(SCHEDULE);
  master.kill("SIGKILL");
  await master.exited;
  master = start(args);
  await waitForHealth(port, master);
  await until(() => master.stderr().includes("agents from the registry"), "the registry to recover after the restart");
  expect(await (await tlsFetch(`${base}/maintenance/schedule`)).json()).toEqual(SCHEDULE);
  const status = (await (await tlsFetch(`${base}/maintenance/status`)).json()) as { draining_machines: unknown[] };
  expect(status.draining_machines).toHaveLength(3);
});

test("on three masters, the registry after SIGKILLing and restarting the leader three times equals the registry before", async () => {
  const ensemble = await Ensemble.create(dir, zk.connect, "/mesos-registry");
  cleanup.push(() => ensemble.stopAll());
  ensemble.startAll();
  let leader = await ensemble.settledLeader();
  expect((await post(ensemble.url(leader, "/maintenance/schedule"), SCHEDULE)).status).toBe(200);
  expect((await post(ensemble.url(leader, "/weights"), [{ role: "analytics", weight: 2.5 }], "PUT")).status).toBe(200);
  const before = await registry(ensemble.url(leader, "/registrar(1)/registry"));
  expect(before.schedules).toEqual([SCHEDULE]);
  expect(before.weights).toEqual([{ info: { role: "analytics", weight: 2.5 } }]);
  // Each round SIGKILLs the current leader: every round is a new leader's fetch and replay.
  for (let round = 0; round < 3; round++) {
    const old = leader;
    await ensemble.kill(old);
    leader = await ensemble.settledLeader();
    expect(leader).not.toBe(old);
    expect(await registry(ensemble.url(leader, "/registrar(1)/registry"))).toEqual(before);
    ensemble.start(old);
    await until(async () => (await ensemble.metric(old, "registrar/log/recovered")) === 1 || null, `master ${old} to vote again`);
  }
});
