// Proves three masters on a real ZooKeeper behave as a Mesos ensemble (mesos-spec §2, §6.1):
// exactly one leads; its znode holds its MasterInfo JSON under json.info_<seq> next to the
// log_replicas group; standbys answer leader-only endpoints with 307 to the leader (path and
// query kept) and never redirect /health or /flags; SIGTERM hands leadership over at once;
// SIGKILL of a leader is survived once a quorum of log replicas remains; a leader cut off from
// ZooKeeper exits 1 and standbys answer 503 until a leader is seen again; with --masters the
// ensemble is exactly the list and an unlisted master refuses to start; a leader cut off from
// ZooKeeper alone (its peers still reachable) exits and a standby takes over, and none of its
// registry writes gets in after the new leader's (S7); a failed master
// replaced with an empty disk catches up before it votes; one master becomes three by copying
// its stopped log to the new masters; a leader restarted after SIGKILL removes its dead znode.
import { afterAll, afterEach, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import zookeeper, { type Client } from "../../host/zk/client.ts";
import { until } from "../helpers/log_cluster.ts";
import { BINARY, freePort, requireBinary, run, type Running, start } from "../helpers/process.ts";
import { useZooKeeper } from "../helpers/zookeeper.ts";
import { TcpProxy } from "../../host/net/proxy.ts";
import { tlsFetch } from "../helpers/security.ts";

setDefaultTimeout(120_000);

beforeAll(() => requireBinary());
const zk = useZooKeeper();
const dir = mkdtempSync(join(tmpdir(), "ha-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const masters: { port: number; running: Running | null }[] = [];
afterEach(() => {
  for (const m of masters.splice(0)) m.running?.kill("SIGKILL");
});

function startMaster(index: number, path: string, extra: string[] = [], zkConnect = zk.connect): Running {
  const m = masters[index]!;
  const session = extra.some((a) => a.startsWith("--zk_session_timeout=")) ? [] : ["--zk_session_timeout=1secs"];
  m.running = start([BINARY, "master", `--zk=zk://${zkConnect}${path}`, "--quorum=2", `--work_dir=${join(dir, path, `m${index}`)}`,
    "--ip=127.0.0.1", `--port=${m.port}`, "--hostname=127.0.0.1", ...session, "--registry_fetch_timeout=20secs", ...extra]);
  return m.running;
}

async function ensemble(path: string, whitelist = false): Promise<void> {
  for (let i = 0; i < 3; i++) masters.push({ port: await freePort(), running: null });
  const list = whitelist ? [`--masters=${masters.map((m) => `127.0.0.1:${m.port}`).join(",")}`] : [];
  for (let i = 0; i < 3; i++) startMaster(i, path, list);
}

async function metric(port: number, name: string): Promise<number | null> {
  try {
    return ((await (await tlsFetch(`http://127.0.0.1:${port}/metrics/snapshot`)).json()) as Record<string, number>)[name] ?? null;
  } catch {
    return null;
  }
}

/** The index of the one master reporting master/elected = 1 (null unless exactly one does). */
async function leader(): Promise<number | null> {
  const elected = await Promise.all(masters.map((m) => (m.running && m.running.exitCode() === null ? metric(m.port, "master/elected") : null)));
  const leaders = elected.flatMap((e, i) => (e === 1 ? [i] : []));
  return leaders.length === 1 ? leaders[0]! : null;
}

/**
 * Waits until one master leads, its log writer is ready, and every live replica votes: just
 * after auto-initialisation one replica may still be STARTING for a recovery round, and a
 * master lost in that window leaves no VOTING quorum (Mesos's two-phase init works the same).
 */
async function settledLeader(): Promise<number> {
  const index = await until(async () => await leader(), "exactly one leader");
  await until(() => masters[index]!.running!.stderr().includes("agents from the registry"), "the leader's registry recovery");
  const live = masters.filter((m) => m.running && m.running.exitCode() === null);
  await until(async () => (await Promise.all(live.map((m) => metric(m.port, "registrar/log/recovered")))).every((r) => r === 1), "every live replica to vote");
  return index;
}

async function zkClient(): Promise<Client> {
  const client = zookeeper.createClient(zk.connect, { sessionTimeout: 4000 });
  await new Promise<void>((resolve) => { client.once("connected", () => resolve()); client.connect(); });
  return client;
}

test("one leader; znodes in Mesos's layout; 307 from standbys; /health and /flags never redirect", async () => {
  await ensemble("/mesos-a");
  const index = await settledLeader();
  const port = masters[index]!.port;
  const state = (await (await tlsFetch(`http://127.0.0.1:${port}/master/state`)).json()) as { id: string; pid: string };
  const client = await zkClient();
  const children = await new Promise<string[]>((resolve, reject) => client.getChildren("/mesos-a", (e, c) => (e ? reject(e) : resolve(c))));
  const members = children.filter((c) => c.startsWith("json.info_")).sort();
  expect(members.length).toBe(3);
  for (const c of members) expect(c).toMatch(/^json\.info_\d{10}$/);
  expect(children).toContain("log_replicas");
  const data = await new Promise<Buffer>((resolve, reject) => client.getData(`/mesos-a/${members[0]}`, (e, d) => (e ? reject(e) : resolve(d))));
  client.close();
  const info = JSON.parse(data.toString()) as Record<string, unknown>;
  expect(Object.keys(info)).toEqual([...Object.keys(info)].sort()); // stout writes keys in order
  expect(info).toMatchObject({ id: state.id, pid: state.pid, port, hostname: "127.0.0.1", ip: 16777343, address: { hostname: "127.0.0.1", ip: "127.0.0.1", port } });
  for (const [i, m] of masters.entries()) {
    if (i === index) continue;
    const redirected = await tlsFetch(`http://127.0.0.1:${m.port}/master/state?jsonp=f&x=1`, { redirect: "manual" });
    expect(redirected.status).toBe(307);
    expect(redirected.headers.get("location")).toBe(`//127.0.0.1:${port}/master/state?jsonp=f&x=1`);
    expect((await tlsFetch(`http://127.0.0.1:${m.port}/redirect`, { redirect: "manual" })).headers.get("location")).toBe(`//127.0.0.1:${port}`);
    expect((await tlsFetch(`http://127.0.0.1:${m.port}/health`)).status).toBe(200);
    expect((await tlsFetch(`http://127.0.0.1:${m.port}/flags`)).status).toBe(200);
  }
});

test("SIGTERM hands leadership over; SIGKILL of the next leader is survived with a quorum of replicas", async () => {
  await ensemble("/mesos-b");
  const first = await settledLeader();
  masters[first]!.running!.kill("SIGTERM");
  expect(await masters[first]!.running!.exited).toBe(0);
  const second = await settledLeader();
  expect(second).not.toBe(first);
  startMaster(first, "/mesos-b"); // back as a standby: three replicas again
  await until(async () => (await metric(masters[first]!.port, "registrar/log/recovered")) === 1, "the restarted replica to vote");
  masters[second]!.running!.kill("SIGKILL");
  await masters[second]!.running!.exited;
  const third = await settledLeader();
  expect(third).not.toBe(second);
});

test("a leader SIGKILLed and restarted on its work dir removes its dead znode: a standby leads long before the 10 s session expires (issue #14)", async () => {
  for (let i = 0; i < 3; i++) masters.push({ port: await freePort(), running: null });
  const slow = ["--zk_session_timeout=10secs"];
  for (let i = 0; i < 3; i++) startMaster(i, "/mesos-restart", slow);
  const first = await settledLeader();
  masters[first]!.running!.kill("SIGKILL");
  await masters[first]!.running!.exited;
  const killed_ms = Date.now();
  const restarted = startMaster(first, "/mesos-restart", slow); // as a supervisor (systemd Restart=always) would
  const next = await until(async () => {
    const index = await leader();
    return index !== null && index !== first ? index : null;
  }, "a standby to lead", 8_000);
  expect(Date.now() - killed_ms).toBeLessThan(8_000);
  expect(next).not.toBe(first);
  expect(restarted.stderr()).toMatch(/Removed \/mesos-restart\/json\.info_\d+, the group membership of this master's previous process/);
});

test("a leader cut off from ZooKeeper exits 1; standbys answer 503 until they see a leader again", async () => {
  await ensemble("/mesos-c");
  const index = await settledLeader();
  zk.pause();
  try {
    expect(await masters[index]!.running!.exited).toBe(1);
    expect(masters[index]!.running!.stderr()).toMatch(/EXIT with status 1: (Lost candidacy as a leader|Lost leadership after indecisive election)/);
    const standby = masters.find((_, i) => i !== index)!;
    await until(async () => (await tlsFetch(`http://127.0.0.1:${standby.port}/master/state`, { redirect: "manual" })).status === 503, "a standby to answer 503");
    const response = await tlsFetch(`http://127.0.0.1:${standby.port}/master/state`, { redirect: "manual" });
    expect(await response.text()).toBe("No leader elected");
  } finally {
    zk.resume();
  }
  await until(async () => await leader(), "a leader once ZooKeeper is back");
  // The standbys' sessions expired while ZooKeeper was silent: their log replica memberships
  // were lost, and each joined again (Mesos's log re-joins its group).
  const client = await zkClient();
  try {
    await until(async () => (await new Promise<string[]>((resolve, reject) =>
      client.getChildren("/mesos-c/log_replicas", (e, c) => (e ? reject(e) : resolve(c))))).length === 2, "two replica memberships again");
  } finally {
    client.close();
  }
});

test("with --masters the ensemble is the list: it elects and writes; a master not listed refuses to start", async () => {
  await ensemble("/mesos-d", true);
  await settledLeader();
  const outsider = start([BINARY, "master", `--zk=zk://${zk.connect}/mesos-d`, "--quorum=2", `--work_dir=${join(dir, "outsider")}`,
    "--ip=127.0.0.1", `--port=${await freePort()}`, `--masters=${masters.map((m) => `127.0.0.1:${m.port}`).join(",")}`]);
  expect(await outsider.exited).toBe(1);
  expect(outsider.stderr()).toMatch(/EXIT with status 1: This master \(127\.0\.0\.1:\d+\) is not in --masters=/);
});

test("without --masters, a fourth master joins a --quorum=2 ensemble: four replicas, with a warning of the risk (MESOS-1546)", async () => {
  await ensemble("/mesos-f");
  await settledLeader();
  masters.push({ port: await freePort(), running: null });
  const fourth = startMaster(3, "/mesos-f");
  await until(async () => (await metric(masters[3]!.port, "registrar/log/ensemble_size")) === 4 || null, "the fourth master's log to start");
  expect(fourth.stderr()).toContain("4 log replicas with --quorum=2: more than 2*quorum-1 = 3, so two disjoint quorums can each elect a writer");
});

/** Roles of the weights in `port`'s stored registry. */
async function registryRoles(port: number): Promise<string[]> {
  const registry = (await (await tlsFetch(`http://127.0.0.1:${port}/registrar(1)/registry`)).json()) as { weights?: { info: { role: string } }[] };
  return (registry.weights ?? []).map((w) => w.info.role).sort();
}

/** PUTs a weight with a fresh role every 10 ms until stopped; the roles the master acknowledged (200). */
function keepWriting(port: number, prefix: string): { stop: () => Promise<string[]> } {
  const acked: string[] = [];
  let running = true;
  const loop = (async () => {
    for (let n = 0; running && n < 5000; n++) {
      const role = `${prefix}${n}`;
      try {
        const response = await tlsFetch(`http://127.0.0.1:${port}/weights`, { method: "PUT", body: JSON.stringify([{ role, weight: 1 }]), redirect: "manual" });
        if (response.status === 200) acked.push(role);
      } catch {
        // the master is gone (exited or aborted)
      }
      await Bun.sleep(10);
    }
  })();
  return { stop: async () => { running = false; await loop; return acked.sort(); } };
}

test("a leader cut off from ZooKeeper but not from its peers exits; a standby leads; none of its registry writes is accepted after the new leader's (S7, S8)", async () => {
  // Each master reaches ZooKeeper through its own proxy, so one master's link can be cut alone.
  const proxies = await Promise.all([0, 1, 2].map(() => TcpProxy.start({ target_port: zk.port })));
  try {
    for (let i = 0; i < 3; i++) masters.push({ port: await freePort(), running: null });
    for (let i = 0; i < 3; i++) startMaster(i, "/mesos-e", [], `127.0.0.1:${proxies[i]!.port}`);
    const first = await settledLeader();
    const writer = keepWriting(masters[first]!.port, "old-");
    await Bun.sleep(200);
    proxies[first]!.blackholeTx();
    proxies[first]!.blackholeRx();
    // The old leader may still believe it leads for a moment: wait for another one to recover.
    const second = await until(async () => {
      const others = await Promise.all(masters.map(async (m, i) => (i !== first && (await metric(m.port, "master/elected")) === 1 ? i : null)));
      const next = others.find((i) => i !== null) ?? null;
      return next !== null && masters[next]!.running!.stderr().includes("agents from the registry") ? next : null;
    }, "another master to lead and recover the registry");
    const recovered = await registryRoles(masters[second]!.port);
    const put = await tlsFetch(`http://127.0.0.1:${masters[second]!.port}/weights`, { method: "PUT", body: '[{"role":"new-leader","weight":2}]' });
    expect(put.status).toBe(200);
    // The old leader fails fast: exit 1 (lost its ZooKeeper session) or abort (its next
    // registry write was fenced by the new leader's log writer).
    const status = await masters[first]!.running!.exited;
    expect([1, 134]).toContain(status);
    expect(masters[first]!.running!.stderr()).toMatch(/EXIT with status 1: (Lost candidacy as a leader|Lost leadership after indecisive election)|Registrar failed: .*demoted/);
    const acked = await writer.stop();
    expect(acked.length).toBeGreaterThan(0);
    const final = await registryRoles(masters[second]!.port);
    // S3: every write the old leader acknowledged is in the registry the new leader recovered;
    // S7: nothing of the old leader's got in after that: the only change since is the new write.
    expect(recovered).toEqual(expect.arrayContaining(acked));
    expect(final).toEqual([...recovered, "new-leader"].sort());
  } finally {
    for (const proxy of proxies) proxy.close();
  }
});

test("replacing a failed master with one whose log is empty: it catches up from the quorum, then votes", async () => {
  await ensemble("/mesos-f", true);
  const leaderIndex = await settledLeader();
  const failed = (leaderIndex + 1) % 3;
  masters[failed]!.running!.kill("SIGKILL");
  await masters[failed]!.running!.exited;
  rmSync(join(dir, "/mesos-f", `m${failed}`), { recursive: true, force: true }); // a new disk
  const list = [`--masters=${masters.map((m) => `127.0.0.1:${m.port}`).join(",")}`];
  startMaster(failed, "/mesos-f", list);
  await until(async () => (await metric(masters[failed]!.port, "registrar/log/recovered")) !== null, "the replacement to serve");
  await until(async () => (await metric(masters[failed]!.port, "registrar/log/recovered")) === 1, "the replacement to catch up and vote");
  expect(masters[failed]!.running!.stderr()).toMatch(/Replica status is now RECOVERING/);
});

test("moving from one master to three: the stopped master's log, copied to the new masters, keeps everything", async () => {
  for (let i = 0; i < 3; i++) masters.push({ port: await freePort(), running: null });
  const workDir = (i: number) => join(dir, "/mesos-g", `m${i}`);
  const solo = start([BINARY, "master", `--work_dir=${workDir(0)}`, "--ip=127.0.0.1", `--port=${masters[0]!.port}`, "--hostname=127.0.0.1"]);
  masters[0]!.running = solo;
  await until(() => solo.stderr().includes("agents from the registry"), "the standalone master's registry recovery");
  solo.kill("SIGTERM"); // a clean stop checkpoints the replica into one file
  expect(await solo.exited).toBe(0);
  const before = await run([BINARY, "log", "read", `--path=${join(workDir(0), "replicated_log")}`]);
  expect(before.status).toBe(0);
  for (const i of [1, 2]) {
    mkdirSync(join(workDir(i), "replicated_log"), { recursive: true });
    copyFileSync(join(workDir(0), "replicated_log", "replica.db"), join(workDir(i), "replicated_log", "replica.db"));
  }
  const list = [`--masters=${masters.map((m) => `127.0.0.1:${m.port}`).join(",")}`];
  for (let i = 0; i < 3; i++) startMaster(i, "/mesos-g", list);
  const leaderIndex = await settledLeader();
  for (let i = 0; i < 3; i++) masters[i]!.running!.kill("SIGTERM");
  for (let i = 0; i < 3; i++) await masters[i]!.running!.exited;
  const positions = (text: string) => [...text.matchAll(/^position: (\d+)$/gm)].map((m) => Number(m[1]));
  const kept = positions(before.stdout);
  expect(kept.length).toBeGreaterThan(0);
  const after = await run([BINARY, "log", "read", `--path=${join(workDir(leaderIndex), "replicated_log")}`, `--from=${kept[0]}`, `--to=${kept[kept.length - 1]}`]);
  expect(after.status).toBe(0);
  expect(positions(after.stdout)).toEqual(kept);
});

test("a standby cut off from ZooKeeper keeps running, answers 503, and redirects again once it sees the leader", async () => {
  const proxies = await Promise.all([0, 1, 2].map(() => TcpProxy.start({ target_port: zk.port })));
  try {
    for (let i = 0; i < 3; i++) masters.push({ port: await freePort(), running: null });
    for (let i = 0; i < 3; i++) startMaster(i, "/mesos-h", [], `127.0.0.1:${proxies[i]!.port}`);
    const leaderIndex = await settledLeader();
    const standby = (leaderIndex + 1) % 3;
    const state = () => tlsFetch(`http://127.0.0.1:${masters[standby]!.port}/master/state`, { redirect: "manual" });
    proxies[standby]!.blackholeTx();
    proxies[standby]!.blackholeRx();
    await until(async () => (await state()).status === 503, "the cut-off standby to answer 503");
    expect(await (await state()).text()).toBe("No leader elected");
    proxies[standby]!.unblackholeTx();
    proxies[standby]!.unblackholeRx();
    await until(async () => (await state()).status === 307, "the standby to follow the leader again");
    expect((await state()).headers.get("location")).toBe(`//127.0.0.1:${masters[leaderIndex]!.port}/master/state`);
    expect(masters[standby]!.running!.exitCode()).toBeNull();
    expect(await leader()).toBe(leaderIndex);
  } finally {
    for (const proxy of proxies) proxy.close();
  }
});

test("the quorum procedures: raise 3→5 (restart the three with --quorum=3, then start two), lower 5→3", async () => {
  for (let i = 0; i < 5; i++) masters.push({ port: await freePort(), running: null });
  const list = (n: number) => `--masters=${masters.slice(0, n).map((m) => `127.0.0.1:${m.port}`).join(",")}`;
  const restart = async (i: number, quorum: number, n: number) => {
    masters[i]!.running?.kill("SIGTERM");
    await masters[i]!.running?.exited;
    masters[i]!.running = start([BINARY, "master", `--zk=zk://${zk.connect}/mesos-q`, `--quorum=${quorum}`, `--work_dir=${join(dir, "/mesos-q", `m${i}`)}`,
      "--ip=127.0.0.1", `--port=${masters[i]!.port}`, "--hostname=127.0.0.1", "--zk_session_timeout=1secs", "--registry_fetch_timeout=20secs", list(n)]);
  };
  for (let i = 0; i < 3; i++) await restart(i, 2, 3);
  await settledLeader();
  // Raise: each of the three again with --quorum=3 and the five-master list, one at a time.
  for (let i = 0; i < 3; i++) {
    await restart(i, 3, 5);
    await until(async () => (await metric(masters[i]!.port, "registrar/log/recovered")) === 1, `master ${i} to vote with quorum 3`);
  }
  await restart(3, 3, 5); // two new masters, empty: they catch up from the VOTING quorum
  await restart(4, 3, 5);
  await settledLeader();
  expect((await Promise.all(masters.map((m) => metric(m.port, "registrar/log/ensemble_size")))).every((n) => n === 5)).toBe(true);
  // Lower: remove two for good, then the rest with --quorum=2 and the three-master list.
  for (const i of [3, 4]) {
    masters[i]!.running!.kill("SIGTERM");
    expect(await masters[i]!.running!.exited).toBe(0);
    masters[i]!.running = null;
  }
  for (let i = 0; i < 3; i++) {
    await restart(i, 2, 3);
    await until(async () => (await metric(masters[i]!.port, "registrar/log/recovered")) === 1, `master ${i} to vote with quorum 2`);
  }
  await settledLeader();
  expect((await Promise.all(masters.slice(0, 3).map((m) => metric(m.port, "registrar/log/ensemble_size")))).every((n) => n === 3)).toBe(true);
});
