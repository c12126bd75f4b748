// Proves agent security on real processes of the built binary: with --authenticate_agents a real agent holding a credential registers, while fake agents with no credential, a wrong secret or a pid naming another IP than their socket's are refused and counted; a second principal re-registering the real agent's id gets no answer (no RECONCILE_TASKS, no FrameworkInfo) and the agent stays bound; forged STATUS_UPDATEs for a running task never reach the framework; an agent with a wrong secret exits 1; over TLS the agent registers on wss:// and plain clients cannot connect; the agent's HTTP port answers 401 without Basic credentials and 200 with them.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { basicHeader } from "../../host/security/basic.ts";
import { until } from "../helpers/agents.ts";
import { FakeAgent } from "../helpers/fake_agent.ts";
import { BINARY, freePort, ownedTempDir, requireBinary, type Running, start } from "../helpers/process.ts";
import { SchedulerClient } from "../helpers/scheduler.ts";
import { AGENT_PRINCIPAL, AGENT_SECRET, clientTls, securityProfile, tlsEnv } from "../helpers/security.ts";

setDefaultTimeout(60_000); // real processes

requireBinary();
const profile = securityProfile();
const dir = ownedTempDir("agent-security-");
const INTRUDER = { principal: "intruder", secret: "intruder-secret" };
/** Master credentials: the agents' principal and a second, also trusted, principal (the would-be hijacker). */
const credentials_file = secret("credentials.json", JSON.stringify({ credentials: [{ principal: AGENT_PRINCIPAL, secret: AGENT_SECRET }, INTRUDER] }));
const wrong_credential_file = secret("wrong.credential", JSON.stringify({ principal: AGENT_PRINCIPAL, secret: "not-the-secret" }));
const processes: Running[] = [];

function secret(name: string, text: string): string {
  const path = join(dir, name);
  Bun.spawnSync(["sh", "-c", `umask 077 && cat > '${path}'`], { stdin: new TextEncoder().encode(text) });
  return path;
}

afterAll(() => {
  for (const p of processes) {
    for (const match of p.stderr().matchAll(/\(process group (\d+)\)/g)) {
      try {
        process.kill(-Number(match[1]), "SIGKILL"); // tasks outlive their agent
      } catch {
        // gone already
      }
    }
    p.kill("SIGKILL");
  }
});

const url = (port: number, path: string, tls: boolean) => `${tls ? "https" : "http"}://127.0.0.1:${port}${path}`;
const get = (port: number, path: string, tls = false, headers: Record<string, string> = {}) =>
  fetch(url(port, path, tls), tls ? ({ headers, tls: clientTls() } as RequestInit) : { headers });
const json = async (port: number, path: string, tls = false, headers: Record<string, string> = {}): Promise<any> => await (await get(port, path, tls, headers)).json();

async function healthy(port: number, running: Running, tls: boolean): Promise<void> {
  await until(async () => {
    if (running.exitCode() !== null) throw new Error(`exited ${running.exitCode()}: ${running.stderr()}`);
    return (await get(port, "/health", tls).catch(() => null))?.status === 200;
  }, `health on ${port}`);
}

/** A standalone master with --authenticate_agents and the credentials above. */
async function master(env: Record<string, string> = {}) {
  const port = await freePort();
  const running = start([BINARY, "master", `--work_dir=${join(dir, `master-${port}`)}`, "--ip=127.0.0.1", `--port=${port}`, "--hostname=127.0.0.1",
    "--authenticate_agents", `--credentials=${credentials_file}`, "--allocation_interval=100ms"], { env, insecure: true }); // this file's own security settings, not the profile
  processes.push(running);
  await healthy(port, running, env.LIBPROCESS_SSL_ENABLED === "true");
  await until(() => running.stderr().includes("agents from the registry"), "the master's registry recovery");
  const tls = env.LIBPROCESS_SSL_ENABLED === "true";
  return { port, running, metric: async (name: string) => (await json(port, "/metrics/snapshot", tls))[name] as number, state: () => json(port, "/state", tls) };
}

async function agent(master_port: number, extra: string[], env: Record<string, string> = {}, wait = true) {
  const port = await freePort();
  const running = start([BINARY, "agent", `--master=127.0.0.1:${master_port}`, `--work_dir=${join(dir, `agent-${port}`)}`, "--ip=127.0.0.1", `--port=${port}`,
    `--hostname=agent-${port}.test`, "--registration_backoff_factor=10ms", "--resources=cpus:2;mem:512;disk:512", ...extra], { env, insecure: true });
  processes.push(running);
  if (wait) await healthy(port, running, env.LIBPROCESS_SSL_ENABLED === "true");
  return { port, running, pid: `slave(1)@127.0.0.1:${port}` };
}

const operator = { authorization: basicHeader(AGENT_PRINCIPAL, AGENT_SECRET) };
const quiet = () => Bun.sleep(1500); // long enough for an answer a master would have sent

describe("with --authenticate_agents", () => {
  let m: Awaited<ReturnType<typeof master>>;
  let a: Awaited<ReturnType<typeof agent>>;
  let agent_id = "";
  let client: SchedulerClient;

  beforeAll(async () => {
    m = await master();
    a = await agent(m.port, [`--credential=${profile.agent_credential_file}`, "--authenticate_http_readonly", `--http_credentials=${credentials_file}`]);
    agent_id = await until(async () => {
      const s = await json(a.port, "/state", false, operator);
      return s.registered ? (s.id as string) : null;
    }, "the real agent's registration");
    client = new SchedulerClient({ masters: [`127.0.0.1:${m.port}`], name: "agent-security", secured: false });
    await client.subscribe();
    await client.launch(await client.offerOn(agent_id), { "sleeper": "sleep 60" });
    await client.expectStates("sleeper", ["TASK_STARTING", "TASK_RUNNING"]);
  });

  afterAll(async () => {
    await client?.close();
  });

  test("the real agent authenticated as its principal and registered", async () => {
    expect(a.running.stderr()).toContain("Successfully authenticated with master");
    expect(m.running.stderr()).toContain(`Successfully authenticated principal "${AGENT_PRINCIPAL}"`);
    expect((await m.state()).slaves.map((s: any) => s.id)).toEqual([agent_id]);
  });

  test("a fake agent without a credential is never registered; its frames are dropped and counted", async () => {
    const before = await m.metric("master/unauthenticated_agent_messages");
    const fake = await new FakeAgent(m.port).open();
    fake.send({ type: "REGISTER_SLAVE", pid: "slave(1)@127.0.0.1:1", slave: { hostname: "fake.test", port: 1 }, version: "1.12.0" });
    fake.send({ type: "REREGISTER_SLAVE", pid: a.pid, slave: { hostname: `agent-${a.port}.test`, port: a.port, id: { value: agent_id } }, version: "1.12.0" });
    await quiet();
    expect(fake.received).toEqual([]);
    expect(await m.metric("master/unauthenticated_agent_messages")).toBe(before + 2);
    fake.close();
  });

  test("a fake agent with a wrong secret is refused and its socket closed", async () => {
    const fake = await new FakeAgent(m.port).open();
    expect(await fake.authenticate(AGENT_PRINCIPAL, "guessed")).toMatchObject({ type: "AUTHENTICATION_FAILED", message: "Authentication failed: invalid credentials" });
    await until(() => fake.closed, "the master closing the socket");
    expect(await m.metric("master/agent_authentication_failures")).toBeGreaterThanOrEqual(1);
  });

  test("a second principal re-registering the real agent's id gets no answer, no RECONCILE_TASKS and no FrameworkInfo; the agent stays bound", async () => {
    const refused = await m.metric("master/refused_agent_registrations");
    const slave = (await m.state()).slaves[0];
    const fake = await new FakeAgent(m.port).open();
    expect((await fake.authenticate(INTRUDER.principal, INTRUDER.secret)).type).toBe("AUTHENTICATED");
    fake.send({ type: "REREGISTER_SLAVE", pid: a.pid, slave: { hostname: slave.hostname, port: slave.port, resources: [], id: { value: agent_id } }, version: "1.12.0", tasks: [], frameworks: [] });
    await quiet();
    expect(fake.types()).toEqual(["AUTHENTICATION_CHALLENGE", "AUTHENTICATED"]);
    expect(await m.metric("master/refused_agent_registrations")).toBe(refused + 1);
    const after = (await m.state()).slaves[0];
    expect([after.id, after.active, after.pid]).toEqual([agent_id, true, a.pid]);
    expect((await json(a.port, "/state", false, operator)).registered).toBe(true);
    fake.close();
  });

  test("a pid naming another IP than the socket's is refused, even from an authenticated principal", async () => {
    const refused = await m.metric("master/refused_agent_registrations");
    const fake = await new FakeAgent(m.port).open();
    await fake.authenticate(INTRUDER.principal, INTRUDER.secret);
    fake.send({ type: "REGISTER_SLAVE", pid: "slave(1)@10.11.12.13:5051", slave: { hostname: "elsewhere.test", port: 5051 }, version: "1.12.0" });
    await quiet();
    expect(fake.types()).not.toContain("SLAVE_REGISTERED");
    expect(await m.metric("master/refused_agent_registrations")).toBe(refused + 1);
    fake.close();
  });

  test("forged STATUS_UPDATEs for the running task, unauthenticated or from another registered agent, never reach the framework", async () => {
    const framework_id = client.framework_id!;
    const forged = (n: number) => ({
      type: "STATUS_UPDATE",
      update: {
        framework_id: { value: framework_id }, timestamp: Date.now() / 1000, uuid: `00000000-0000-4000-8000-00000000000${n}`,
        status: { task_id: { value: "sleeper" }, state: "TASK_FAILED", source: "SOURCE_EXECUTOR", message: "forged", uuid: `00000000-0000-4000-8000-00000000000${n}` },
      },
    });
    const stranger = await new FakeAgent(m.port).open();
    stranger.send(forged(1));
    const other = await new FakeAgent(m.port).open();
    await other.authenticate(INTRUDER.principal, INTRUDER.secret);
    const port = await freePort();
    other.send({ type: "REGISTER_SLAVE", pid: `slave(1)@127.0.0.1:${port}`, slave: { hostname: "other.test", port }, version: "1.12.0" });
    await other.next("SLAVE_REGISTERED");
    other.send(forged(2));
    await quiet();
    expect(client.statuses("sleeper").map((s) => s.state)).toEqual(["TASK_STARTING", "TASK_RUNNING"]);
    const task = (await json(m.port, "/tasks")).tasks.find((t: any) => t.id === "sleeper");
    expect([task.state, task.slave_id]).toEqual(["TASK_RUNNING", agent_id]);
    expect(await m.metric("master/invalid_status_updates")).toBeGreaterThanOrEqual(1);
    stranger.close();
    other.close();
  });

  test("the agent's HTTP port: 401 with WWW-Authenticate without credentials, 200 with them; /health stays open", async () => {
    const refused = await get(a.port, "/state");
    expect([refused.status, refused.headers.get("www-authenticate")]).toEqual([401, 'Basic realm="mesos-agent-readonly"']);
    expect((await get(a.port, "/state", false, { authorization: basicHeader(AGENT_PRINCIPAL, "wrong") })).status).toBe(401);
    expect((await get(a.port, "/state", false, operator)).status).toBe(200);
    expect((await get(a.port, "/health")).status).toBe(200);
  });

  test("a real agent with a wrong secret exits 1: the master refused authentication", async () => {
    const wrong = await agent(m.port, [`--credential=${wrong_credential_file}`], {}, false);
    expect(await wrong.running.exited).toBe(1);
    expect(wrong.running.stderr()).toContain("refused authentication: Authentication failed: invalid credentials");
  });
});

describe("over TLS", () => {
  test("the agent registers over wss:// with its credential; plain ws:// clients and a plain agent cannot reach the channel", async () => {
    const env = tlsEnv(profile);
    const m = await master(env);
    const a = await agent(m.port, [`--credential=${profile.agent_credential_file}`], env);
    await until(async () => (await json(a.port, "/state", true)).registered === true, "registration over TLS");
    expect((await m.state()).slaves).toHaveLength(1);
    const plain = new FakeAgent(m.port);
    await until(() => plain.closed, "the plain socket failing");
    expect(plain.opened).toBe(false);
    const secured = await new FakeAgent(m.port, clientTls(profile)).open();
    expect((await secured.authenticate(AGENT_PRINCIPAL, AGENT_SECRET)).type).toBe("AUTHENTICATED");
    secured.close();
    const cleartext = await agent(m.port, [`--credential=${profile.agent_credential_file}`]);
    await Bun.sleep(2000);
    expect((await json(cleartext.port, "/state")).registered).toBe(false);
    expect((await m.state()).slaves).toHaveLength(1);
  });
});
