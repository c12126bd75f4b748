// Proves a leader that was paused (SIGSTOP) past its ZooKeeper session, while another master
// took over and stored a write, never answers from its stale state once it runs again: a read
// queued at it during the pause gets no old value (the stale read of etcd #20418 and Jepsen's
// pause nemesis), and it exits as Mesos's masters do.
import { afterAll, afterEach, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ensemble } from "../helpers/ensemble.ts";
import { until } from "../helpers/log_cluster.ts";
import { requireBinary } from "../helpers/process.ts";
import { tlsFetch } from "../helpers/security.ts";
import { useZooKeeper } from "../helpers/zookeeper.ts";

setDefaultTimeout(120_000);

beforeAll(() => requireBinary());
const zk = useZooKeeper();
const dir = mkdtempSync(join(tmpdir(), "paused-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let ensemble: Ensemble | null = null;
afterEach(() => {
  ensemble?.stopAll();
  ensemble = null;
});

const putWeight = (e: Ensemble, index: number, weight: number) =>
  tlsFetch(e.url(index, "/weights"), { method: "PUT", body: JSON.stringify([{ role: "r", weight }]), redirect: "manual" });

async function weightAt(e: Ensemble, index: number): Promise<number | null> {
  const response = await tlsFetch(e.url(index, "/weights"), { redirect: "manual" });
  if (response.status !== 200) return null;
  return ((await response.json()) as { role: string; weight: number }[]).find((w) => w.role === "r")?.weight ?? null;
}

test("a leader paused past its session answers no read from stale state after SIGCONT", async () => {
  const e = (ensemble = await Ensemble.create(dir, zk.connect, "/mesos-paused"));
  e.startAll();
  const old = await e.settledLeader();
  expect((await putWeight(e, old, 1)).status).toBe(200);
  // Many reads in flight to the old leader while it is stopped: each is answered (or not) only after SIGCONT.
  e.kill(old, "SIGSTOP");
  const reads = Array.from({ length: 20 }, () => weightAt(e, old).catch(() => null));
  const next = await until(async () => {
    const index = await e.leader();
    return index !== null && index !== old ? index : null;
  }, "another master to lead");
  await until(async () => (await putWeight(e, next, 2)).status === 200, "the new leader to store weight 2");
  e.masters[old]!.running!.kill("SIGCONT");
  const seen = await Promise.all(reads);
  expect(seen.filter((w) => w === 1)).toEqual([]);
  expect(await e.masters[old]!.running!.exited).toBe(1);
});
