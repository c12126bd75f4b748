// Proves the built mesos-agent's HTTP endpoints as the Mesos web UI and CLI read them, with a running task: jsonp on every JSON read, /monitor/statistics and /containers with the task's real CPU time and RSS from /proc, the files API (browse, read with Mesos's offset/length rules, download, debug) confined to the sandboxes (`..` and a symlink out are refused, unknown paths 404), the v1 operator API's calls and refusals (in JSON and protobuf, each protobuf answer equal to its JSON), and, under the security profile, that all of it needs credentials.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { until } from "../helpers/agents.ts";
import { FakeMaster } from "../helpers/fake_master.ts";
import { DIST, freePort, requireBinary, type Running, start, waitForHealth } from "../helpers/process.ts";
import { secure, tlsFetch } from "../helpers/security.ts";
import { signalGroup } from "../../host/agent/tasks/runner.ts";
import type { StatusUpdate } from "../../host/agent/task_protocol.ts";
import { decodeToJson, encodeFromJson } from "../../host/codec/protobuf.ts";

setDefaultTimeout(30_000);

requireBinary();
const scratch = mkdtempSync(join(tmpdir(), "mesos-agent-endpoints-"));
const cleanup: (() => void)[] = [];
let agent: Running;
let base = "";
let fake: FakeMaster;
let sandbox = "";
let pgid = 0;
const VIRTUAL = "/frameworks/F1/executors/t1/runs/latest";
/** Enough `..` to climb from any sandbox to `/`. */
const UP = "../".repeat(40);
const FRAMEWORK = { id: { value: "F1" }, name: "endpoints" };
// Burns some CPU so that its user time is seen, writes a known stdout, links out of its sandbox, then waits.
const COMMAND = "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; printf 'hello sandbox\\n'; ln -s /etc escape; mkdir -p sub; echo inner > sub/f; sleep 60";

beforeAll(async () => {
  fake = new FakeMaster(cleanup);
  const port = await freePort();
  agent = start([join(DIST, "mesos-agent"), `--master=127.0.0.1:${fake.port}`, `--work_dir=${join(scratch, "work")}`, "--ip=127.0.0.1", `--port=${port}`,
    "--hostname=agent1.test", "--registration_backoff_factor=10ms", "--resources=cpus:2;mem:1024;disk:2048"]);
  await waitForHealth(port, agent);
  base = `http://127.0.0.1:${port}`;
  await fake.next("REGISTER_SLAVE");
  await until(async () => (await getJson("/state")).registered, "registered");
  fake.send({
    type: "RUN_TASK", framework: FRAMEWORK, task: {
      name: "t1", task_id: { value: "t1" }, agent_id: { value: `${fake.id}-S0` }, command: { value: COMMAND },
      resources: [{ name: "cpus", type: "SCALAR", scalar: { value: 0.5 } }, { name: "mem", type: "SCALAR", scalar: { value: 32 } }],
    },
  });
  await until(() => {
    acknowledgeAll();
    return updates().some((u) => u.status.state === "TASK_RUNNING");
  }, "TASK_RUNNING");
  const state = await getJson("/slave(1)/state");
  const executor = state.frameworks[0].executors[0];
  sandbox = executor.directory;
  pgid = executor.tasks[0].pid;
  await until(async () => (await read(`${VIRTUAL}/stdout`, 0)).data === "hello sandbox\n", "the task's stdout");
  await until(async () => (await get(`/files/browse?path=${VIRTUAL}/sub`)).status === 200, "the task's sub directory");
});

afterAll(() => {
  if (pgid > 0) signalGroup(pgid, "SIGKILL");
  agent?.kill("SIGKILL");
  for (const stop of cleanup) stop();
  rmSync(scratch, { recursive: true, force: true });
});

const get = (path: string, init: RequestInit = {}) => tlsFetch(`${base}${path}`, init);
const getJson = async (path: string): Promise<any> => await (await get(path)).json();
const updates = (): StatusUpdate[] => fake.received.flatMap((r) => (r.message.type === "STATUS_UPDATE" ? [r.message.update] : []));
const acknowledged = new Set<string>();
/** Acknowledges each update once, as the master would: the next one is sent only after it. */
function acknowledgeAll(): void {
  for (const u of updates()) {
    if (acknowledged.has(u.uuid)) continue;
    acknowledged.add(u.uuid);
    fake.send({ type: "STATUS_UPDATE_ACKNOWLEDGEMENT", framework_id: u.framework_id, task_id: u.status.task_id, uuid: u.uuid });
  }
}
const read = async (path: string, offset: number | null, length?: number): Promise<any> =>
  await getJson(`/files/read?path=${encodeURIComponent(path)}${offset === null ? "" : `&offset=${offset}`}${length === undefined ? "" : `&length=${length}`}`);
const call = (body: unknown, headers: Record<string, string> = { "content-type": "application/json" }) =>
  get("/api/v1", { method: "POST", headers, body: typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body) });
const v1 = async (type: string, message?: Record<string, unknown>): Promise<any> => {
  const response = await call(message === undefined ? { type } : { type, [type.toLowerCase()]: message });
  expect(response.status).toBe(200);
  return await response.json();
};

/** Parses `cb(...);` as the browser's jsonp callback would receive it. */
async function jsonp(path: string): Promise<any> {
  const response = await get(`${path}${path.includes("?") ? "&" : "?"}jsonp=angular.callbacks._2`);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("text/javascript");
  const body = await response.text();
  expect(body.startsWith("angular.callbacks._2(")).toBe(true);
  expect(body.endsWith(");")).toBe(true);
  return JSON.parse(body.slice("angular.callbacks._2(".length, -2));
}

describe("the agent's read endpoints", () => {
  test("every JSON read honours jsonp=, under / and /slave(1)/", async () => {
    expect((await jsonp("/slave(1)/state")).frameworks[0].executors[0].id).toBe("t1");
    expect((await jsonp("/state")).hostname).toBe("agent1.test");
    expect((await jsonp("/slave(1)/flags")).flags.hostname).toBe("agent1.test");
    expect((await jsonp("/metrics/snapshot"))["slave/tasks_running"]).toBe(1);
    expect((await jsonp("/monitor/statistics"))[0].executor_id).toBe("t1");
    expect((await jsonp("/slave(1)/containers"))[0].executor_id).toBe("t1");
    expect((await jsonp(`/files/browse?path=${VIRTUAL}`)).length).toBeGreaterThan(0);
    expect((await get("/slave(1)/health")).status).toBe(200);
    // A callback that is not a JavaScript name is not echoed into a script.
    expect((await get("/state?jsonp=alert(1)//")).headers.get("content-type")).toBe("application/json");
  });

  test("/monitor/statistics and /containers: the task's CPU time and RSS from /proc, its limits from its resources", async () => {
    const [entry] = await getJson("/monitor/statistics");
    expect(entry).toMatchObject({ executor_id: "t1", framework_id: "F1", source: "t1" });
    const s = entry.statistics;
    expect(s.cpus_limit).toBe(0.5);
    expect(s.mem_limit_bytes).toBe(32 * 1024 * 1024);
    expect(s.cpus_user_time_secs + s.cpus_system_time_secs).toBeGreaterThan(0); // the busy loop ran in the shell itself
    expect(s.mem_rss_bytes).toBeGreaterThan(100 * 1024); // a shell and a sleep
    expect(s.processes).toBeGreaterThanOrEqual(2);
    expect(Math.abs(s.timestamp - Date.now() / 1000)).toBeLessThan(60);
    const [container] = await getJson("/containers");
    expect(container).toMatchObject({ executor_id: "t1", framework_id: "F1", status: { executor_pid: pgid } });
    expect(container.container_id).toBe(sandbox.split("/").at(-1));
    expect(container.statistics.mem_rss_bytes).toBeGreaterThan(0);
  });
});

describe("the files API", () => {
  test("debug maps the sandbox's real and virtual paths", async () => {
    const debug = await getJson("/files/debug");
    expect(debug[VIRTUAL]).toBe(sandbox);
    expect(debug[sandbox]).toBe(sandbox);
  });

  test("browse lists the sandbox by virtual or real path, as Mesos's FileInfo", async () => {
    const listing: any[] = await getJson(`/files/browse?path=${VIRTUAL}`);
    expect(listing.map((f) => f.path)).toEqual(["escape", "stderr", "stdout", "sub"].map((n) => `${VIRTUAL}/${n}`));
    const stdout = listing.find((f) => f.path.endsWith("/stdout"));
    expect(stdout).toMatchObject({ size: 14, nlink: 1, mode: "-rw-r--r--", uid: "root" });
    expect(Math.abs(stdout.mtime - Date.now() / 1000)).toBeLessThan(120);
    expect(listing.find((f) => f.path.endsWith("/sub")).mode).toMatch(/^d/);
    const real: any[] = await getJson(`/files/browse?path=${encodeURIComponent(sandbox)}/`);
    expect(real.map((f) => f.path)).toContain(`${sandbox}/stdout`);
    expect((await getJson(`/files/browse?path=${VIRTUAL}/sub`)).map((f: any) => f.path)).toEqual([`${VIRTUAL}/sub/f`]);
  });

  test("read: offset=-1 (or none) gives the size; offset and length select bytes; past the end is empty", async () => {
    expect(await read(`${VIRTUAL}/stdout`, -1)).toEqual({ data: "", offset: 14 });
    expect(await read(`${VIRTUAL}/stdout`, null)).toEqual({ data: "", offset: 14 });
    expect(await read(`${VIRTUAL}/stdout`, 0, 5)).toEqual({ data: "hello", offset: 0 });
    expect(await read(`${VIRTUAL}/stdout`, 6, -1)).toEqual({ data: "sandbox\n", offset: 6 });
    expect(await read(`${VIRTUAL}/stdout`, 100)).toEqual({ data: "", offset: 100 });
    expect(await read(`${sandbox}/sub/f`, 0)).toEqual({ data: "inner\n", offset: 0 });
  });

  test("download: the bytes, as an attachment", async () => {
    const response = await get(`/files/download?path=${VIRTUAL}/stdout`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-disposition")).toBe("attachment; filename=stdout");
    expect(await response.text()).toBe("hello sandbox\n");
    expect((await get(`/files/download?path=${VIRTUAL}/sub`)).status).toBe(400); // a directory
  });

  test("paths are confined to the sandboxes: `..` and a symlink out are refused, unknown paths are 404", async () => {
    for (const op of ["browse", "read", "download"]) {
      const escape = await get(`/files/${op}?path=${VIRTUAL}/${UP}etc/passwd&offset=0`);
      expect(escape.status).toBe(400);
      expect(await escape.text()).toContain("is inaccessible");
      expect((await get(`/files/${op}?path=${VIRTUAL}/escape/passwd&offset=0`)).status).toBe(400);
      expect((await get(`/files/${op}?path=/etc/passwd&offset=0`)).status).toBe(404);
      expect((await get(`/files/${op}?path=${VIRTUAL}/no-such-file&offset=0`)).status).toBe(404);
      expect((await get(`/files/${op}?path=/frameworks/F1/executors/other/runs/latest&offset=0`)).status).toBe(404);
      expect((await get(`/files/${op}?path=${VIRTUAL}/stdout/x&offset=0`)).status).toBe(404); // a suffix under a file
    }
    expect((await get(`/files/browse?path=${VIRTUAL}/escape`)).status).toBe(400);
  });

  test("bad queries get Mesos's 400 texts", async () => {
    expect(await (await get("/files/browse")).text()).toBe("Expecting 'path=value' in query.\n");
    expect(await (await get(`/files/read?path=${VIRTUAL}/stdout&offset=-2`)).text()).toBe("Negative offset provided: -2.\n");
    expect((await get(`/files/read?path=${VIRTUAL}/stdout&offset=abc`)).status).toBe(400);
    expect(await (await get(`/files/read?path=${VIRTUAL}/stdout&offset=0&length=-5`)).text()).toBe("Negative length provided: -5.\n");
    expect(await (await get(`/files/read?path=${VIRTUAL}/sub&offset=0`)).text()).toBe("Cannot read a directory.\n");
  });
});

describe("the agent's v1 operator API", () => {
  test("GET_HEALTH, GET_FLAGS, GET_VERSION, GET_METRICS, GET_AGENT", async () => {
    expect((await v1("GET_HEALTH")).get_health).toEqual({ healthy: true });
    const flags = (await v1("GET_FLAGS")).get_flags.flags;
    expect(flags.find((f: any) => f.name === "hostname").value).toBe("agent1.test");
    expect((await v1("GET_VERSION")).get_version.version_info.version).toMatch(/^\d+\.\d+\.\d+/);
    const metrics = (await v1("GET_METRICS", {})).get_metrics.metrics;
    expect(metrics.find((m: any) => m.name === "slave/tasks_running").value).toBe(1);
    expect((await v1("GET_AGENT")).get_agent.agent_info).toMatchObject({ hostname: "agent1.test", id: { value: `${fake.id}-S0` } });
  });

  test("GET_STATE, GET_FRAMEWORKS, GET_EXECUTORS, GET_TASKS, GET_CONTAINERS show the running task", async () => {
    const state = (await v1("GET_STATE")).get_state;
    expect(state.get_tasks.launched_tasks.map((t: any) => t.task_id.value)).toEqual(["t1"]);
    expect(state.get_tasks.launched_tasks[0]).toMatchObject({ state: "TASK_RUNNING", framework_id: { value: "F1" }, executor_id: { value: "t1" } });
    expect(state.get_frameworks.frameworks[0].framework_info.id.value).toBe("F1");
    expect(state.get_executors.executors[0].executor_info.executor_id.value).toBe("t1");
    expect((await v1("GET_FRAMEWORKS")).get_frameworks.frameworks.length).toBe(1);
    expect((await v1("GET_EXECUTORS")).get_executors.executors.length).toBe(1);
    expect((await v1("GET_TASKS")).get_tasks.launched_tasks.length).toBe(1);
    const [container] = (await v1("GET_CONTAINERS")).get_containers.containers;
    expect(container).toMatchObject({ framework_id: { value: "F1" }, executor_id: { value: "t1" }, container_status: { executor_pid: pgid } });
    expect(container.resource_statistics.cpus_limit).toBe(0.5);
  });

  test("LIST_FILES and READ_FILE: v1 FileInfo and base64 data", async () => {
    const infos = (await v1("LIST_FILES", { path: VIRTUAL })).list_files.file_infos;
    const stdout = infos.find((f: any) => f.path === `${VIRTUAL}/stdout`);
    expect(stdout.size).toBe(14);
    expect(stdout.mode & 0o777).toBe(0o644);
    expect(typeof stdout.mtime.nanoseconds).toBe("number");
    const file = (await v1("READ_FILE", { path: `${VIRTUAL}/stdout`, offset: 6, length: 7 })).read_file;
    expect(file.size).toBe(14);
    expect(Buffer.from(file.data, "base64").toString()).toBe("sandbox");
    expect((await call({ type: "READ_FILE", read_file: { path: `${VIRTUAL}/${UP}etc/passwd`, offset: 0 } })).status).toBe(400);
    expect((await call({ type: "LIST_FILES", list_files: { path: "/nowhere" } })).status).toBe(404);
  });

  test("protobuf: calls in protobuf bodies, answers in protobuf when Accept asks, each equal to its JSON answer", async () => {
    const PROTOBUF = "application/x-protobuf";
    // Protobuf has no empty repeated field (Mesos's JSON leaves them out too); this agent writes `[]`.
    const withoutEmptyLists = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(withoutEmptyLists);
      if (value === null || typeof value !== "object") return value;
      return Object.fromEntries(Object.entries(value).filter(([, v]) => !(Array.isArray(v) && v.length === 0)).map(([k, v]) => [k, withoutEmptyLists(v)]));
    };
    const reads: Record<string, unknown>[] = ["GET_HEALTH", "GET_FLAGS", "GET_VERSION", "GET_AGENT", "GET_STATE", "GET_FRAMEWORKS", "GET_EXECUTORS", "GET_TASKS",
      "GET_OPERATIONS"].map((type) => ({ type }));
    reads.push({ type: "LIST_FILES", list_files: { path: VIRTUAL } }, { type: "READ_FILE", read_file: { path: `${VIRTUAL}/stdout`, offset: 6, length: 7 } });
    for (const body of reads) {
      const json = await call(body);
      const protobuf = await call(encodeFromJson("mesos.v1.agent.Call", body), { "content-type": PROTOBUF, accept: PROTOBUF });
      expect([body.type, protobuf.status, protobuf.headers.get("content-type")]).toEqual([body.type, 200, PROTOBUF]);
      const decoded = decodeToJson("mesos.v1.agent.Response", await protobuf.bytes());
      expect([body.type, "value" in decoded ? decoded.value : decoded]).toEqual([body.type, withoutEmptyLists(await json.json())]);
    }
    // GET_CONTAINERS' usage moves between two reads: its fields and their types are what must survive.
    const containers = await call(encodeFromJson("mesos.v1.agent.Call", { type: "GET_CONTAINERS" }), { "content-type": PROTOBUF, accept: PROTOBUF });
    const decoded = decodeToJson("mesos.v1.agent.Response", await containers.bytes()) as { value: any };
    const statistics = decoded.value.get_containers.containers[0].resource_statistics;
    expect(Object.keys(statistics).sort()).toEqual(["cpus_limit", "cpus_system_time_secs", "cpus_user_time_secs", "mem_limit_bytes", "mem_rss_bytes", "processes", "threads", "timestamp"]);
    expect(statistics.mem_rss_bytes).toBeGreaterThan(0);
    const truncated = await call(new Uint8Array([0x08, 0x08, 0x2a, 0x05, 0x0a]) as never, { "content-type": PROTOBUF });
    expect([truncated.status, await truncated.text()]).toEqual([400, "Failed to parse body into Call protobuf"]);
  });

  test("refusals: containerizer calls 501 with the reason, bad bodies 400, other types 415, Accept 406, GET 405", async () => {
    const nested = await call({ type: "LAUNCH_NESTED_CONTAINER_SESSION", launch_nested_container_session: {} });
    expect(nested.status).toBe(501);
    expect(await nested.text()).toContain("without Mesos's containerizer");
    expect((await call({ type: "ATTACH_CONTAINER_OUTPUT" })).status).toBe(501);
    expect((await call("{not json")).status).toBe(400);
    expect(await (await call({ type: "NO_SUCH_CALL" })).text()).toContain("Failed to find enum for 'NO_SUCH_CALL'");
    expect(await (await call({})).text()).toContain("Expecting 'type' to be present");
    expect((await call({ type: "READ_FILE" })).status).toBe(400);
    expect((await call({ type: "GET_HEALTH" }, { "content-type": "text/plain" })).status).toBe(415);
    const refused = await call({ type: "GET_HEALTH" }, { "content-type": "application/json", accept: "text/html" });
    expect([refused.status, await refused.text()]).toEqual([406, "Expecting 'Accept' to allow 'application/x-protobuf' or 'application/json'"]);
    expect((await get("/api/v1")).status).toBe(405);
  });
});

describe.if(secure())("with the security profile", () => {
  test("the files API, state and v1 API need the operator's credentials; /health does not", async () => {
    const anonymous = { headers: { authorization: "" } };
    for (const path of [`/files/browse?path=${VIRTUAL}`, `/files/read?path=${VIRTUAL}/stdout&offset=0`, `/files/download?path=${VIRTUAL}/stdout`, "/files/debug", "/state", "/monitor/statistics"]) {
      const response = await get(path, anonymous);
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toContain("mesos-agent-readonly");
    }
    const v1 = await get("/api/v1", { method: "POST", headers: { authorization: "", "content-type": "application/json" }, body: '{"type":"GET_HEALTH"}' });
    expect(v1.status).toBe(401);
    expect(v1.headers.get("www-authenticate")).toContain("mesos-agent-readwrite");
    const wrong = `Basic ${Buffer.from("test-operator:wrong").toString("base64")}`;
    expect((await get("/files/debug", { headers: { authorization: wrong } })).status).toBe(401);
    expect((await get("/health", anonymous)).status).toBe(200);
  });
});
