// Proves the built mesos-agent against a fake master (a WebSocket at /agent/channel): it registers with the right SlaveInfo and checkpoints its id, re-registers as itself after a restart, answers pings, re-registers when pings stop or say connected=false, ignores other masters and malformed frames, exits 0 on its leader's SHUTDOWN, exits 1 on bad flags, and finds its master through ZooKeeper.
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getJson, until } from "../helpers/agents.ts";
import { FakeMaster } from "../helpers/fake_master.ts";
import { DIST, freePort, requireBinary, run, type Running, start, waitForHealth } from "../helpers/process.ts";
import { startZooKeeper } from "../helpers/zookeeper.ts";
import { secure, tlsFetch } from "../helpers/security.ts";

setDefaultTimeout(30_000); // real processes and a real ZooKeeper

requireBinary();
const AGENT = join(DIST, "mesos-agent");
const scratch = mkdtempSync(join(tmpdir(), "mesos-agent-binary-"));
const running: Running[] = [];
const cleanup: (() => void)[] = [];

afterAll(() => {
  for (const r of running) r.kill("SIGKILL");
  for (const stop of cleanup) stop();
  rmSync(scratch, { recursive: true, force: true });
});

async function startAgent(master: string, workDir = mkdtempSync(join(scratch, "work-")), port?: number) {
  port ??= await freePort();
  const agent = start([
    AGENT, `--master=${master}`, `--work_dir=${workDir}`, "--ip=127.0.0.1", `--port=${port}`, "--hostname=agent1.test",
    "--registration_backoff_factor=10ms", "--resources=cpus:2;mem:1024;disk:2048;ports:[31000-31010]", "--attributes=rack:a;zone:1",
  ]);
  running.push(agent);
  await waitForHealth(port, agent);
  return { agent, port, workDir, base: `http://127.0.0.1:${port}` };
}

async function registered(fake: FakeMaster) {
  const started = await startAgent(`127.0.0.1:${fake.port}`);
  await fake.next("REGISTER_SLAVE");
  await until(async () => (await getJson(`${started.base}/state`)).registered, "registered in /state");
  return started;
}

describe("mesos-agent with a static master", () => {
  test("registers with its SlaveInfo, checkpoints its id and shows it on /state", async () => {
    const fake = new FakeMaster(cleanup);
    const { port, workDir, base, agent } = await registered(fake);
    const { message } = await fake.next("REGISTER_SLAVE");
    expect(message as unknown).toEqual({
      type: "REGISTER_SLAVE", pid: `slave(1)@127.0.0.1:${port}`, version: "1.12.0",
      agent_capabilities: [{ type: "MULTI_ROLE" }, { type: "HIERARCHICAL_ROLE" }],
      slave: {
        hostname: "agent1.test", port, checkpoint: true,
        resources: [
          { name: "cpus", type: "SCALAR", scalar: { value: 2 }, role: "*" },
          { name: "mem", type: "SCALAR", scalar: { value: 1024 }, role: "*" },
          { name: "disk", type: "SCALAR", scalar: { value: 2048 }, role: "*" },
          { name: "ports", type: "RANGES", ranges: { range: [{ begin: 31000, end: 31010 }] }, role: "*" },
        ],
        attributes: [{ name: "rack", type: "TEXT", text: { value: "a" } }, { name: "zone", type: "SCALAR", scalar: { value: 1 } }],
      },
    });
    const meta = JSON.parse(readFileSync(join(workDir, "meta", "slave.json"), "utf8"));
    expect(meta.id).toBe(`${fake.id}-S0`);
    expect(meta.info).toEqual({ ...(message as any).slave, id: { value: `${fake.id}-S0` } });
    for (const prefix of ["", "/slave(1)"]) {
      const state = await getJson(`${base}${prefix}/state`);
      expect(state).toMatchObject({
        id: `${fake.id}-S0`, pid: `slave(1)@127.0.0.1:${port}`, hostname: "agent1.test", registered: true, master_hostname: "127.0.0.1",
        resources: { cpus: 2, mem: 1024, disk: 2048, ports: "[31000-31010]" }, attributes: { rack: "a", zone: 1 },
      });
      expect((await tlsFetch(`${base}${prefix}/health`)).status).toBe(200);
      expect((await getJson(`${base}${prefix}/flags`)).flags.port).toBe(String(port));
    }
    // Authenticating, the agent learns the id from the master's challenge, before it registers.
    const from = secure() ? "AUTHENTICATION_CHALLENGE" : "SLAVE_REGISTERED";
    expect(agent.stderr()).toContain(`Master master@127.0.0.1:${fake.port} has id ${fake.id} (learned from its ${from})`);
  });

  test("restarted, it re-registers as itself with a restarted master (a new id)", async () => {
    const fake = new FakeMaster(cleanup);
    const first = await registered(fake);
    first.agent.kill("SIGTERM");
    expect(await first.agent.exited).toBe(0);
    fake.stop();
    const restarted = new FakeMaster(cleanup);
    const again = await startAgent(`master@127.0.0.1:${restarted.port}`, first.workDir, first.port);
    const { message } = await restarted.next("REREGISTER_SLAVE");
    expect((message as any).slave.id).toEqual({ value: `${fake.id}-S0` });
    await until(async () => (await getJson(`${again.base}/state`)).registered, "re-registered");
    expect(restarted.received.some((r) => r.message.type === "REGISTER_SLAVE")).toBe(false);
  });

  test("restarted with a different SlaveInfo, it refuses to start (Mesos's reconfiguration policy 'equal')", async () => {
    const fake = new FakeMaster(cleanup);
    const first = await registered(fake);
    first.agent.kill("SIGKILL");
    await first.agent.exited;
    const other = await run([AGENT, `--master=127.0.0.1:${fake.port}`, `--work_dir=${first.workDir}`, "--ip=127.0.0.1", `--port=${await freePort()}`, "--hostname=agent1.test"]);
    expect(other.status).toBe(1);
    expect(other.stderr).toMatch(/EXIT with status 1: Incompatible agent info detected \(port, resources, attributes changed since agent .*-S0 registered\)/);
  });

  test("answers pings, and re-registers on a fresh socket when a ping says connected=false", async () => {
    const fake = new FakeMaster(cleanup);
    await registered(fake);
    fake.send({ type: "PING_SLAVE", connected: true });
    await fake.next("PONG_SLAVE");
    const before = fake.received.length;
    fake.send({ type: "PING_SLAVE", connected: false });
    const { socket } = await fake.next("REREGISTER_SLAVE", before);
    expect(socket).toBe(1);
    expect(fake.received.slice(before).map((r) => r.message.type)).toContain("PONG_SLAVE");
  });

  test("re-registers when pings stop for total_ping_timeout_seconds", async () => {
    const fake = new FakeMaster(cleanup);
    fake.total_ping_timeout_seconds = 1;
    const { agent } = await registered(fake);
    const { socket } = await fake.next("REREGISTER_SLAVE");
    expect(socket).toBe(1);
    expect(fake.closed).toContain(0);
    expect(agent.stderr()).toContain("No pings from master received within 1secs");
  });

  test("ignores a SHUTDOWN from another master and keeps running", async () => {
    const fake = new FakeMaster(cleanup);
    const { agent, base } = await registered(fake);
    fake.send({ type: "SHUTDOWN", master_id: "impostor", message: "go away" });
    await until(() => agent.stderr().includes(`Ignoring SHUTDOWN from master impostor: the leading master is ${fake.id}`), "the ignore line");
    fake.send({ type: "PING_SLAVE", connected: true });
    await fake.next("PONG_SLAVE");
    expect(agent.exitCode()).toBeNull();
    expect((await getJson(`${base}/metrics/snapshot`))["slave/ignored_master_messages"]).toBe(1);
  });

  test("drops malformed frames and keeps the socket", async () => {
    const fake = new FakeMaster(cleanup);
    const { agent, base } = await registered(fake);
    fake.send("not json");
    fake.send(JSON.stringify({ type: "PING_SLAVE", connected: true })); // no master_id
    fake.send(JSON.stringify({ type: "PING_SLAVE", master_id: fake.id, connected: "yes" }));
    fake.send(JSON.stringify({ type: "PING_SLAVE", master_id: fake.id, connected: true, pad: "x".repeat((2 << 20) + 1024) }));
    fake.send({ type: "PING_SLAVE", connected: true });
    await fake.next("PONG_SLAVE");
    expect(fake.received.filter((r) => r.message.type === "PONG_SLAVE").length).toBe(1);
    expect((await getJson(`${base}/metrics/snapshot`))["slave/invalid_master_messages"]).toBe(4);
    expect(fake.sockets.length).toBe(1);
    expect(agent.stderr()).toContain("Dropping a malformed message from master");
  });

  test("a SHUTDOWN from its master exits 0 and leaves the work dir", async () => {
    const fake = new FakeMaster(cleanup);
    const { agent, workDir } = await registered(fake);
    fake.send({ type: "SHUTDOWN", message: "Agent has been marked gone" });
    expect(await agent.exited).toBe(0);
    expect(agent.stderr()).toContain(`Agent asked to shut down by master ${fake.id}: Agent has been marked gone`);
    expect(existsSync(join(workDir, "meta", "slave.json"))).toBe(true);
  });

  test("keeps retrying, backing off, while the master does not answer", async () => {
    const { agent, base } = await startAgent(`127.0.0.1:${await freePort()}`); // nothing listens there
    await until(() => agent.stderr().split("\n").filter((l) => l.includes("Connection to master")).length >= 2, "two failed connections");
    expect((await getJson(`${base}/state`)).registered).toBe(false);
    agent.kill("SIGINT");
    expect(await agent.exited).toBe(0);
  });
});

describe("mesos-agent flag errors exit 1 with one line", () => {
  const cases: [string[], RegExp][] = [
    [["--work_dir=/tmp/x"], /^Flag 'master' is required/],
    [["--master=127.0.0.1:5050"], /^Flag 'work_dir' is required/],
    [["--master=127.0.0.1:5050", "--work_dir=/tmp/x", "--frobnicate"], /^Failed to load unknown flag 'frobnicate'$/],
    [["--master=127.0.0.1:5050", "--work_dir=/tmp/x", "--resources=cpus:-2"], /^Failed to load flag 'resources': expected resources like/],
    [["--master=zk:/bad", "--work_dir=/tmp/x"], /^Failed to load flag 'master'/],
  ];
  for (const [argv, pattern] of cases) {
    test(argv.join(" "), async () => {
      const { status, stdout, stderr } = await run([AGENT, ...argv]);
      expect(status).toBe(1);
      expect(stdout).toBe("");
      expect(stderr.trim().split("\n")).toHaveLength(1);
      expect(stderr.trim()).toMatch(pattern);
    });
  }
  test("--help lists the agent's flags; mesos agent --version", async () => {
    const help = await run([AGENT, "--help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("Usage: mesos-agent");
    expect(help.stdout).toContain("--registration_backoff_factor=DURATION");
    const version = await run([join(DIST, "mesos"), "agent", "--version"]);
    expect(version.stdout.trim()).toBe("mesos 1.12.0");
  });
});

describe("mesos-agent with ZooKeeper", () => {
  test("finds the leader's json.info znode, registers, and goes master-less when it leaves", async () => {
    const zk = await startZooKeeper();
    try {
      const fake = new FakeMaster(cleanup);
      const { group, membership } = await fake.lead(zk.connect, "/mesos");
      expect(membership.path).toBe("/mesos/json.info_0000000000");
      const { base, agent } = await startAgent(`zk://${zk.connect}/mesos`);
      await fake.next("REGISTER_SLAVE");
      await until(async () => (await getJson(`${base}/state`)).registered, "registered through ZooKeeper");
      expect((await getJson(`${base}/state`)).master_hostname).toBe("fake.test");
      await group.cancel(membership);
      await until(() => fake.closed.includes(0), "the agent closing its socket");
      const state = await getJson(`${base}/state`);
      expect(state.registered).toBe(false);
      expect(state.master_hostname).toBeUndefined();
      fake.send({ type: "SHUTDOWN", message: "stale" }, fake.sockets[0]!);
      await Bun.sleep(200);
      expect(agent.exitCode()).toBeNull();
      group.close();
    } finally {
      await zk.stop();
    }
  });
});
