// Proves a real mesos-go v1 scheduler (Debian's golang-github-mesos-mesos-go-dev: httpcli, httpsched, controller) runs 20 command tasks against three real masters (ZooKeeper) and two agents over protobuf (Content-Type and Accept application/x-protobuf), with Basic credentials and mutual TLS: SUBSCRIBE at a standby follows its 307 to the leader, offers are accepted, updates acknowledged, 20/20 TASK_FINISHED (master/tasks_finished 20), and TEARDOWN completes the framework.
import { expect, setDefaultTimeout, test } from "bun:test";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { until } from "../helpers/agents.ts";
import { ownedTempDir, run } from "../helpers/process.ts";
import { type TaskCluster, taskCluster, useTaskClusters } from "../helpers/task_cluster.ts";
import { useZooKeeper } from "../helpers/zookeeper.ts";
import { exampleFrameworkSecurity } from "../helpers/security.ts";

setDefaultTimeout(60_000);

const GO = "/usr/bin/go";
const GOPATH = "/usr/share/gocode";
const MESOS_GO = `${GOPATH}/src/github.com/mesos/mesos-go/api/v1`;
const ROOT = join(import.meta.dir, "..", "..");
const SOURCE = join(ROOT, "test", "fixtures", "mesos_go", "scheduler.go");
/** Kept between runs: a cold build of mesos-go's generated protobuf code takes ~15 s on two cores. */
const GOCACHE = process.env.GOCACHE ?? join(tmpdir(), "mesos-ha-go-build-cache");

const zk = useZooKeeper();
const t = useTaskClusters();

/** Builds the fixture in GOPATH mode from Debian's packages only (no modules, no network); the binary's path. */
async function buildScheduler(): Promise<string> {
  const missing = [
    [GO, "golang-go"],
    [MESOS_GO, "golang-github-mesos-mesos-go-dev"],
  ].filter(([path]) => !existsSync(path!));
  if (missing.length > 0) {
    throw new Error(`${missing.map(([path]) => path).join(" and ")} missing: install Debian's ${missing.map(([, p]) => p).join(" ")} (apt-get install -y ${missing.map(([, p]) => p).join(" ")}; npm test does it as root)`);
  }
  const out = join(ownedTempDir("mesos-go-"), "scheduler");
  const built = await run([GO, "build", "-o", out, SOURCE], {
    cwd: ROOT,
    env: { GO111MODULE: "off", GOPATH, GOCACHE, GOFLAGS: "", GOPROXY: "off", CGO_ENABLED: "0", HOME: process.env.HOME ?? tmpdir() },
  });
  if (built.status !== 0) throw new Error(`go build of ${SOURCE} failed (${built.status}):\n${built.stdout}${built.stderr}`);
  return out;
}

test("a mesos-go scheduler over protobuf at a standby runs 20 tasks to 20/20 finished, then TEARDOWN", async () => {
  const scheduler = await buildScheduler();
  const tc: TaskCluster = await taskCluster(t.cluster, zk.connect);
  const leaderAddress = tc.masters[tc.leader]!;
  const secured = exampleFrameworkSecurity();
  const started = Date.now();
  const result = await run([scheduler, `--master=${tc.standby}`, "--tasks=20", "--cmd=echo hi", "--timeout=40s", ...secured.args], { cwd: ROOT, env: secured.env });
  const leader = tc.leaderProcess();
  const context = `mesos-go scheduler exited ${result.status}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}\n--- leader stderr (tail)\n${leader.running.stderr().split("\n").slice(-60).join("\n")}`;
  if (result.status !== 0 || !result.stdout.includes("20/20 tasks finished")) throw new Error(context);
  expect(result.status).toBe(0);
  expect(result.stdout).toContain("20/20 tasks finished");
  expect(Date.now() - started).toBeLessThan(40_000);
  // Protobuf both ways: the codec, and the SUBSCRIBE as sent and as answered.
  expect(result.stdout).toContain("codec: protobuf (Content-Type: application/x-protobuf, Accept: application/x-protobuf)");
  const scheme = secured.env.LIBPROCESS_SSL_ENABLED === "true" ? "https" : "http";
  // The standby answered 307 with the leader in Location; httpsched replayed the SUBSCRIBE there.
  expect(result.stderr).toContain(`POST ${scheme}://${tc.standby}/api/v1/scheduler Content-Type=application/x-protobuf Accept=application/x-protobuf,application/x-protobuf -> 307`);
  expect(result.stderr).toContain(`Location=//${leaderAddress}/`);
  expect(result.stderr).toContain(`POST ${scheme}://${leaderAddress}/api/v1/scheduler Content-Type=application/x-protobuf Accept=application/x-protobuf,application/x-protobuf -> 200 Content-Type=application/x-protobuf`);
  expect(result.stderr).toMatch(new RegExp(`subscribed as [-0-9a-f]+-\\d{4} on ${leaderAddress.replace(/\./g, "\\.")}\\n`));
  for (const type of ["SUBSCRIBED", "OFFERS", "UPDATE"]) expect(result.stderr).toContain(`event ${type}\n`);
  expect(result.stderr).not.toContain("FAILED");
  expect(await leader.metric("master/tasks_finished")).toBe(20);
  // Every update acknowledged (STARTING, RUNNING, FINISHED for each task), each with the uuid it came with.
  expect(await leader.metric("master/valid_status_update_acknowledgements")).toBeGreaterThanOrEqual(60);
  expect(await leader.metric("master/invalid_status_update_acknowledgements")).toBe(0);
  // TEARDOWN once done: the framework is completed at the leader.
  await until(async () => (await leader.state()).completed_frameworks.length === 1, "the mesos-go framework completed");
  const state = await leader.state();
  expect(state.frameworks).toEqual([]);
  expect(state.completed_frameworks[0]).toMatchObject({ name: "mesos-go-scheduler", ...(secured.args.length > 0 ? { principal: "test-framework" } : {}) });
}, 120_000);
