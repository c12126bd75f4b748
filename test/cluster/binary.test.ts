// Proves the compiled binary works as an operator uses it: dispatch by name and by first
// argument, flag errors exit 1 with one line, a real port serves every endpoint, SIGTERM and
// SIGINT exit 0, a taken port exits 1 naming the address, and the binary runs alone anywhere.
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DIST, freePort, isListening, requireBinary, run, type Running, start, waitForHealth } from "../helpers/process.ts";
import { tlsFetch, tlsWebSocket } from "../helpers/security.ts";

setDefaultTimeout(30_000); // real processes and a real ZooKeeper

const binary = requireBinary();
const scratch = mkdtempSync(join(tmpdir(), "mesos-binary-"));
const running: Running[] = [];

afterAll(() => {
  for (const r of running) r.kill("SIGKILL");
  rmSync(scratch, { recursive: true, force: true });
});

// Response bodies in these tests are Mesos JSON objects read field by field.
const getJson = async (response: Response): Promise<any> => await response.json();

async function startMaster(extra: string[] = [], command = [join(DIST, "mesos-master")], env: Record<string, string> = {}) {
  const port = await freePort();
  const workDir = mkdtempSync(join(scratch, "work-"));
  const master = start([...command, `--work_dir=${workDir}`, "--ip=127.0.0.1", `--port=${port}`, ...extra], { env });
  running.push(master);
  await waitForHealth(port, master);
  return { port, master, workDir };
}

describe("dispatch", () => {
  test("mesos --help lists the personalities", async () => {
    const { status, stdout } = await run([binary, "--help"]);
    expect(status).toBe(0);
    for (const name of ["master", "agent", "log"]) expect(stdout).toMatch(new RegExp(`^  ${name} `, "m"));
  });
  test("mesos with no personality prints usage and exits 1", async () => {
    const { status, stdout } = await run([binary]);
    expect(status).toBe(1);
    expect(stdout).toContain("Usage: mesos <personality>");
  });
  test("an unknown personality exits 1 naming it", async () => {
    const { status, stderr } = await run([binary, "scheduler"]);
    expect(status).toBe(1);
    expect(stderr.trim()).toBe("Unknown personality 'scheduler': expected one of master, agent, log");
  });
  test("mesos master --help and mesos-master --help list the master flags", async () => {
    for (const command of [[binary, "master", "--help"], [join(DIST, "mesos-master"), "--help"]]) {
      const { status, stdout } = await run(command);
      expect(status).toBe(0);
      expect(stdout).toContain("Usage: mesos-master");
      expect(stdout).toContain("--zk_session_timeout=DURATION");
      expect(stdout).toContain("(default: 10secs)");
    }
  });
  test("--version prints the Mesos version", async () => {
    const { status, stdout } = await run([join(DIST, "mesos-master"), "--version"]);
    expect(status).toBe(0);
    expect(stdout.trim()).toBe("mesos 1.12.0");
  });
  test("mesos master FLAGS serves like mesos-master", async () => {
    const { port } = await startMaster([], [binary, "master"]);
    expect((await tlsFetch(`http://127.0.0.1:${port}/master/health`)).status).toBe(200);
  });
});

describe("flag errors exit 1 with one line and start nothing", () => {
  const cases: [string[], RegExp][] = [
    [["--work_dir=/tmp/x", "--port=abc"], /^Failed to load flag 'port': expected an integer in \[1, 65535\], got 'abc'$/],
    [["--work_dir=/tmp/x", "--frobnicate"], /^Failed to load unknown flag 'frobnicate'$/],
    [["--port=5"], /^Flag 'work_dir' is required/],
    [["--work_dir=/tmp/x", "--zk=zk://127.0.0.1:2181/mesos"], /^Flag 'quorum' is required with --zk/],
  ];
  for (const [argv, pattern] of cases) {
    test(argv.join(" "), async () => {
      const { status, stdout, stderr } = await run([join(DIST, "mesos-master"), ...argv]);
      expect(status).toBe(1);
      expect(stdout).toBe("");
      const lines = stderr.trim().split("\n");
      expect(lines.length).toBe(1);
      expect(lines[0]).toMatch(pattern);
    });
  }
  test("a bad MESOS_ variable names the variable", async () => {
    const { status, stderr } = await run([join(DIST, "mesos-master"), "--work_dir=/tmp/x"], { env: { MESOS_QUORUM: "many" } });
    expect(status).toBe(1);
    expect(stderr.trim()).toBe("Failed to load flag 'quorum' from environment variable 'MESOS_QUORUM': expected an integer in [1, 64], got 'many'");
  });
});

describe("a standalone master on a real port", () => {
  test("serves every endpoint with Mesos's statuses and headers", async () => {
    const { port, master } = await startMaster(["--hostname=m1.test", "--advertise_port=6060"]);
    const base = `http://127.0.0.1:${port}`;
    const state = await getJson(await tlsFetch(`${base}/master/state`));
    expect(state.pid).toBe("master@127.0.0.1:6060");
    expect(state.hostname).toBe("m1.test");
    expect(state.leader).toBe(state.pid);
    expect(state.flags.port).toBe(String(port));
    const redirect = await tlsFetch(`${base}/redirect`, { redirect: "manual" });
    expect(redirect.status).toBe(307);
    expect(redirect.headers.get("location")).toBe("//m1.test:6060");
    const post = await tlsFetch(`${base}/state`, { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET");
    expect((await tlsFetch(`${base}/no/such/path`)).status).toBe(404);
    const metrics = await getJson(await tlsFetch(`${base}/metrics/snapshot`));
    expect(metrics["master/elected"]).toBe(1);
    expect((await getJson(await tlsFetch(`${base}/version`))).version).toBe("1.12.0");
    expect((await getJson(await tlsFetch(`${base}/flags`))).flags.hostname).toBe("m1.test");
    expect(master.stderr()).toMatch(/^I\d{4} [\d:.]+ \d+ master\.ts:\d+\] Elected as the leading master!$/m);
    // The standalone master's own log replica (quorum 1) recovers and its metrics are served.
    const recovered = await getJson(await tlsFetch(`${base}/metrics/snapshot`));
    expect(recovered["registrar/log/ensemble_size"]).toBe(1);
  });

  test("--no-hostname_lookup advertises the IP as the hostname", async () => {
    const { port } = await startMaster(["--no-hostname_lookup"]);
    const state = await getJson(await tlsFetch(`http://127.0.0.1:${port}/state`));
    expect(state.hostname).toBe("127.0.0.1");
    expect(state.leader_info.hostname).toBe("127.0.0.1");
  });

  test("its peer link endpoint refuses a frame larger than a log message", async () => {
    const { port } = await startMaster();
    const socket = tlsWebSocket(`ws://127.0.0.1:${port}/log/peer`);
    await new Promise<void>((resolve, reject) => { socket.onopen = () => resolve(); socket.onerror = () => reject(new Error("no upgrade")); });
    const closed = new Promise<number>((resolve) => (socket.onclose = (event) => resolve(event.code)));
    socket.send(new Uint8Array(5 << 20)); // past MESSAGE_MAX_BYTES (about 2 MiB) plus the frame header
    // 1009 (message too big) comes from Bun's own limit, before any handler reads the frame;
    // without the limit the peer handler would see it and close with its own code (4002).
    expect(await closed).toBe(1009);
  });

  test("the command line wins over MESOS_ variables", async () => {
    const decoy = await freePort();
    const { port } = await startMaster([], [join(DIST, "mesos-master")], { MESOS_PORT: String(decoy), MESOS_CLUSTER: "from-env" });
    const state = await getJson(await tlsFetch(`http://127.0.0.1:${port}/state`));
    expect(state.cluster).toBe("from-env");
    expect(await isListening(decoy)).toBe(false);
  });

  test("SIGTERM stops it cleanly with status 0, its log replica checkpointed into one file", async () => {
    const { port, master, workDir } = await startMaster();
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100 && (await getJson(await tlsFetch(`${base}/metrics/snapshot`)))["registrar/log/recovered"] !== 1; i++) await Bun.sleep(50);
    master.kill("SIGTERM");
    expect(await master.exited).toBe(0);
    expect(await isListening(port)).toBe(false);
    expect(master.stderr()).toContain("Received SIGTERM; shutting down");
    expect(existsSync(join(workDir, "replicated_log", "replica.db"))).toBe(true);
    expect(existsSync(join(workDir, "replicated_log", "replica.db-wal"))).toBe(false);
  });

  test("SIGINT stops it cleanly with status 0", async () => {
    const { master } = await startMaster();
    master.kill("SIGINT");
    expect(await master.exited).toBe(0);
  });

  test("a port already in use exits 1 naming the address", async () => {
    const { port } = await startMaster();
    const second = await run([join(DIST, "mesos-master"), `--work_dir=${scratch}/second`, "--ip=127.0.0.1", `--port=${port}`]);
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(new RegExp(`^E.*\\] EXIT with status 1: Failed to bind on 127\\.0\\.0\\.1:${port}`, "m"));
  });

  test("the binary copied alone into an empty directory runs from anywhere", async () => {
    const alone = mkdtempSync(join(scratch, "alone-"));
    copyFileSync(binary, join(alone, "mesos"));
    const elsewhere = mkdtempSync(join(scratch, "cwd-"));
    const port = await freePort();
    const master = start([join(alone, "mesos"), "master", `--work_dir=${join(alone, "work")}`, "--ip=127.0.0.1", `--port=${port}`], { cwd: elsewhere });
    running.push(master);
    await waitForHealth(port, master);
    const state = await getJson(await tlsFetch(`http://127.0.0.1:${port}/master/state`));
    expect(state.flags.work_dir).toBe(join(alone, "work"));
    master.kill("SIGTERM");
    expect(await master.exited).toBe(0);
  });
});
