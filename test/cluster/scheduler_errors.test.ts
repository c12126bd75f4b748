// Proves every 4xx answer of POST /api/v1/scheduler by a real master process over real sockets (mesos-spec §6.5), each with Mesos's status and one-line body: 405, Content-Type 400/415, body 400s, call validation 400s, SUBSCRIBE's 406 and Mesos-Stream-Id 400, unknown framework 400, Mesos-Stream-Id missing or wrong 400, task-side 400s (an unknown offer is 202 and TASK_LOST instead), not subscribed 403 once the stream ended; and 503 from a master with no leader.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { until } from "../helpers/agents.ts";
import { EventReader } from "../helpers/frameworks.ts";
import { DIST, freePort, requireBinary, type Running, start, waitForHealth } from "../helpers/process.ts";
import { frameworkPrincipal, tlsFetch } from "../helpers/security.ts";

setDefaultTimeout(30_000);
requireBinary();

const scratch = mkdtempSync(join(tmpdir(), "scheduler-errors-"));
const running: Running[] = [];
let leader = "";

/** A master process on the in-memory registry; `extra` flags after the usual ones. Answers at host:port. */
async function startMaster(extra: string[] = []): Promise<string> {
  const port = await freePort();
  const work_dir = mkdtempSync(join(scratch, "work-"));
  const master = start([join(DIST, "mesos-master"), "--registry=in_memory", "--ip=127.0.0.1", `--port=${port}`, `--work_dir=${work_dir}`, ...extra]);
  running.push(master);
  await waitForHealth(port, master);
  return `127.0.0.1:${port}`;
}

beforeAll(async () => {
  leader = await startMaster(); // no --zk: it leads at once
});

afterAll(() => {
  for (const r of running) r.kill("SIGKILL");
  rmSync(scratch, { recursive: true, force: true });
});

const JSON_TYPE = { "content-type": "application/json" };
const INFO = { user: "alice", name: "scheduler-errors", failover_timeout: 60, ...frameworkPrincipal() };

/** `method` /api/v1/scheduler with `body` (a string as is, else JSON); the answer's status, text and headers. */
async function post(body: unknown, headers: Record<string, string> = JSON_TYPE, method = "POST", master = leader) {
  const init: RequestInit = { method, headers, redirect: "manual" };
  if (method === "POST") init.body = typeof body === "string" ? body : JSON.stringify(body);
  const response = await tlsFetch(`http://${master}/api/v1/scheduler`, init);
  return { status: response.status, text: await response.text(), headers: response.headers };
}

const refused = (status: number, text: string) => ({ status, text });

const callOf = (id: string, type: string, message?: Record<string, unknown>) => ({
  framework_id: { value: id }, type, ...(message ? { [type.toLowerCase()]: message } : {}),
});

/** A framework subscribed over a real socket: its id, stream id, and the reader of its events. */
async function subscribe() {
  const response = await tlsFetch(`http://${leader}/api/v1/scheduler`, {
    method: "POST", headers: { ...JSON_TYPE, accept: "application/json" }, body: JSON.stringify({ type: "SUBSCRIBE", subscribe: { framework_info: INFO } }),
  });
  expect(response.status).toBe(200);
  const events = new EventReader(response.body!);
  const first = (await events.next(5000))!;
  expect(first.type).toBe("SUBSCRIBED");
  const id = (first.subscribed as { framework_id: { value: string } }).framework_id.value;
  return { id, stream_id: response.headers.get("mesos-stream-id")!, events };
}

describe("before the call is read", () => {
  test("405 for GET (Allow: POST); Content-Type: 400 missing, 415 any other but JSON and protobuf; 400 for a body over 4 MiB, malformed JSON or protobuf", async () => {
    const sub = { type: "SUBSCRIBE", subscribe: { framework_info: INFO } };
    const get = await post(undefined, {}, "GET");
    expect([get.status, get.headers.get("allow"), get.text]).toEqual([405, "POST", "Expecting one of { 'POST' }, but received 'GET'"]);
    expect(await post(sub, {})).toMatchObject(refused(400, "Expecting 'Content-Type' to be present"));
    expect(await post("\x1a\x05\x0a", { "content-type": "application/x-protobuf" })).toMatchObject(refused(400, "Failed to parse body into Call protobuf"));
    expect(await post("type=SUBSCRIBE", { "content-type": "application/x-www-form-urlencoded" })).toMatchObject(
      refused(415, "Expecting 'Content-Type' of application/json or application/x-protobuf"),
    );
    expect(await post(" ".repeat(5 << 20))).toMatchObject(refused(400, `Request body is larger than ${4 << 20} bytes`));
    const malformed = await post("{");
    expect(malformed.status).toBe(400);
    expect(malformed.text).toStartWith("Failed to parse body into JSON: ");
    expect(malformed.text).not.toContain("\n");
  });

  test("call conversion and validation: 400, one line each", async () => {
    const cases: [unknown, string][] = [
      [[], "Failed to convert JSON into Call protobuf: Expecting a JSON object"],
      [{ type: "FLY" }, "Failed to convert JSON into Call protobuf: Failed to find enum for 'FLY'"],
      [{}, "Failed to validate scheduler::Call: Expecting 'type' to be present"],
      [{ type: "SUBSCRIBE" }, "Failed to validate scheduler::Call: Expecting 'subscribe' to be present"],
      [{ type: "SUBSCRIBE", subscribe: { framework_info: {} } }, "Failed to convert JSON into Call protobuf: Missing required fields: subscribe.framework_info.user, subscribe.framework_info.name"],
      [{ type: "SUBSCRIBE", framework_id: { value: "x" }, subscribe: { framework_info: INFO } }, "Failed to validate scheduler::Call: 'framework_id' differs from 'subscribe.framework_info.id'"],
      [{ type: "REVIVE" }, "Failed to validate scheduler::Call: Expecting 'framework_id' to be present"],
      [{ type: "KILL", kill: { task_id: { value: "t" } } }, "Failed to validate scheduler::Call: Expecting 'framework_id' to be present"],
      [callOf("f", "KILL"), "Failed to validate scheduler::Call: Expecting 'kill' to be present"],
      [callOf("f", "ACCEPT", { offer_ids: [{}] }), "Failed to convert JSON into Call protobuf: Missing required fields: accept.offer_ids[0].value"],
      [callOf("f", "ACKNOWLEDGE", { agent_id: { value: "a" }, task_id: { value: "t" }, uuid: "AAAA" }), "Failed to validate scheduler::Call: Not a valid UUID"],
    ];
    for (const [body, text] of cases) expect(await post(body)).toMatchObject(refused(400, text));
  });
});

describe("SUBSCRIBE", () => {
  test("406 when Accept allows neither JSON nor protobuf (a protobuf-only Accept gets protobuf: frameworks.test.ts); 400 when it carries Mesos-Stream-Id", async () => {
    const sub = { type: "SUBSCRIBE", subscribe: { framework_info: INFO } };
    const notAcceptable = refused(406, "Expecting 'Accept' to allow 'application/x-protobuf' or 'application/json'");
    expect(await post(sub, { ...JSON_TYPE, accept: "text/html" })).toMatchObject(notAcceptable);
    expect(await post(sub, { ...JSON_TYPE, accept: "image/png, text/*" })).toMatchObject(notAcceptable);
    expect(await post(sub, { ...JSON_TYPE, "mesos-stream-id": crypto.randomUUID() })).toMatchObject(
      refused(400, "Subscribe calls should not include the 'Mesos-Stream-Id' header"),
    );
  });
});

describe("calls of a framework", () => {
  test("unknown framework 400; Mesos-Stream-Id missing or wrong 400; the right one 202", async () => {
    const { id, stream_id, events } = await subscribe();
    const headers = { ...JSON_TYPE, "mesos-stream-id": stream_id };
    expect(await post(callOf("nobody", "REVIVE"), headers)).toMatchObject(refused(400, "Framework cannot be found"));
    expect(await post(callOf(id, "REVIVE"))).toMatchObject(refused(400, "All non-subscribe calls should include the 'Mesos-Stream-Id' header"));
    const wrong = crypto.randomUUID();
    expect(await post(callOf(id, "REVIVE"), { ...JSON_TYPE, "mesos-stream-id": wrong })).toMatchObject(
      refused(400, `The stream ID '${wrong}' included in this request didn't match the stream ID currently associated with framework ID ${id}`),
    );
    expect(await post(callOf(id, "REVIVE"), headers)).toMatchObject({ status: 202, text: "" });
    await events.cancel();
  });

  test("the task side: a malformed ACCEPT is 400 with its reason; an unknown offer is 202, then TASK_LOST on the stream", async () => {
    const { id, stream_id, events } = await subscribe();
    const headers = { ...JSON_TYPE, "mesos-stream-id": stream_id };
    const accept = (operations: unknown[]) => callOf(id, "ACCEPT", { offer_ids: [{ value: "no-such-offer" }], operations });
    const task = { name: "t", task_id: { value: "t1" }, agent_id: { value: "no-such-agent" }, resources: [], command: { value: "true" } };
    expect(await post(accept([{ launch: { task_infos: [task] } }]), headers)).toMatchObject(refused(400, "Expecting 'operations[0].type' to be present"));
    expect(await post(accept([{ type: "RESERVE", reserve: { resources: [] } }]), headers)).toMatchObject(
      refused(400, "Operation type RESERVE is not supported by this master (LAUNCH and LAUNCH_GROUP are)"),
    );
    const { agent_id: _, ...noAgent } = task;
    expect(await post(accept([{ type: "LAUNCH", launch: { task_infos: [noAgent] } }]), headers)).toMatchObject(
      refused(400, "Expecting 'task_infos.agent_id' to be present"),
    );
    // Well formed, but the offer is unknown: Mesos answers with a status update, not a refusal.
    expect(await post(accept([{ type: "LAUNCH", launch: { task_infos: [task] } }]), headers)).toMatchObject({ status: 202, text: "" });
    const update = (await events.next(5000))!;
    expect(update.type).toBe("UPDATE");
    expect((update.update as { status: unknown }).status).toMatchObject({
      task_id: { value: "t1" }, state: "TASK_LOST", source: "SOURCE_MASTER", reason: "REASON_INVALID_OFFERS",
      message: "Task launched with invalid offers: Offer no-such-offer is no longer valid",
    });
    await events.cancel();
  });

  test("403 once its stream ended (failover_timeout 60 s keeps the framework): 'Framework is not subscribed'", async () => {
    const { id, stream_id, events } = await subscribe();
    const headers = { ...JSON_TYPE, "mesos-stream-id": stream_id };
    expect((await post(callOf(id, "REVIVE"), headers)).status).toBe(202);
    await events.cancel(); // the client goes away; the master sees the connection close
    const answer = await until(async () => {
      const reply = await post(callOf(id, "REVIVE"), headers);
      return reply.status === 202 ? null : reply;
    }, "a refusal once the stream ended", 10_000);
    expect(answer).toMatchObject(refused(403, "Framework is not subscribed"));
  });
});

test("no leader (ZooKeeper unreachable): 503 'No leader elected'", async () => {
  const unreachable = await freePort(); // nothing listens there
  const master = await startMaster([`--zk=zk://127.0.0.1:${unreachable}/mesos`]);
  expect(await post({ type: "SUBSCRIBE", subscribe: { framework_info: INFO } }, JSON_TYPE, "POST", master)).toMatchObject(refused(503, "No leader elected"));
});
