// npm run example:framework -- --tasks 100 --cmd "echo hi" — a scheduler written against the
// v1 scheduler HTTP API only (mesos-spec §6.5), as a model to read: SUBSCRIBE (following 307
// redirects to the leader, retrying 503), the RecordIO event stream, ACCEPT with LAUNCH of
// command tasks packed into each offer, DECLINE of what is not needed, ACKNOWLEDGE of every
// status update that carries a uuid, and TEARDOWN once every task is terminal. A broken stream
// (a master failover) re-subscribes with the framework id; tasks in flight are reconciled,
// explicitly (with backoff) and implicitly, and a task whose launch never reached an agent (the
// master died in ACCEPT) is launched again. So
// does a silent one: nothing (no event, no HEARTBEAT) for 5 heartbeat intervals means the
// master hangs, and the connection is dropped (the watchdog, as §6.5 advises).
// Flags: --master=HOST:PORT[,HOST:PORT...] (default 127.0.0.1:5050, any masters: a lost leader
// sends the next subscription back to them in turn), --tasks=N (10), --cmd=CMD
// ("echo hi"), --cpus=0.1, --mem=32, --name=NAME, --timeout-s=600, --max-per-agent=1024 (tasks
// launched and not yet terminal on one agent: an agent holds at most 4,096). Calls are not
// awaited one by one: ACCEPT, DECLINE and ACKNOWLEDGE go out as events arrive, many in flight
// (bounded), so the event stream is never held up behind a round trip. Exits 0 when every task
// finished, 1 otherwise, printing a summary line. --protobuf speaks Mesos's protobuf instead of
// JSON: calls as protobuf Calls, the stream as protobuf Events (host/codec/protobuf.ts).
// Security: --principal=P with --secret_file=FILE (or Mesos's example-framework variables
// DEFAULT_PRINCIPAL and DEFAULT_SECRET) authenticate with HTTP Basic and set
// FrameworkInfo.principal; with LIBPROCESS_SSL_ENABLED=true it speaks https, verifying the
// master against LIBPROCESS_SSL_CA_FILE and presenting LIBPROCESS_SSL_CERT_FILE/KEY_FILE.
import { readFileSync } from "node:fs";
import { basicHeader } from "../host/security/basic.ts";
import { decodeToJson, encodeFromJson, PROTOBUF_CONTENT_TYPE } from "../host/codec/protobuf.ts";
import { clientTls, loadTls } from "../host/security/tls.ts";

const arg = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3)
  ?? (process.argv.includes(`--${name}`) ? process.argv[process.argv.indexOf(`--${name}`) + 1]! : fallback);
const TASKS = Number(arg("tasks", "10"));
const CMD = arg("cmd", "echo hi");
const PROTOBUF = process.argv.includes("--protobuf");
const CPUS = Number(arg("cpus", "0.1"));
const MEM = Number(arg("mem", "32"));
const NAME = arg("name", "example-framework");
const TIMEOUT_MS = Number(arg("timeout-s", "600")) * 1000;
const MAX_PER_AGENT = Number(arg("max-per-agent", "1024"));
const TERMINAL = new Set(["TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_ERROR", "TASK_LOST", "TASK_DROPPED", "TASK_GONE", "TASK_GONE_BY_OPERATOR"]);

type Json = Record<string, any>;

const MASTERS = arg("master", "127.0.0.1:5050").split(",");
const PRINCIPAL = arg("principal", process.env.DEFAULT_PRINCIPAL ?? "");
const SECRET_FILE = arg("secret_file", "");
const SECRET = SECRET_FILE !== "" ? readFileSync(SECRET_FILE, "utf8").trim() : process.env.DEFAULT_SECRET ?? "";
const AUTHORIZATION = PRINCIPAL !== "" ? basicHeader(PRINCIPAL, SECRET) : null;
const TLS = loadTls(process.env);
const SCHEME = TLS === null ? "http" : "https";

const state = {
  master: MASTERS[0]!,
  framework_id: null as string | null,
  stream_id: null as string | null,
  /** Aborts every request of the current subscription: its stream and the calls still out. */
  connection: new AbortController(),
  pending: Array.from({ length: TASKS }, (_, i) => `task-${i}`),
  launched_ms: new Map<string, number>(),
  /** Tasks launched and not yet terminal, by agent id. */
  active: new Map<string, Set<string>>(),
  agent_of: new Map<string, string>(),
  running_ms: [] as number[],
  /** Tasks whose launch-to-RUNNING time is in running_ms (the agent reports TASK_STARTING first). */
  measured: new Set<string>(),
  /** When each task's last status update arrived (explicit reconciliation asks about the silent ones). */
  updated_ms: new Map<string, number>(),
  /** Tasks that reported TASK_STARTING or TASK_RUNNING: they ran, so a loss is final. */
  started: new Set<string>(),
  relaunches: new Map<string, number>(),
  final: new Map<string, string>(),
  started_ms: performance.now(),
};

/** POSTs a call to the scheduler endpoint of the current master, following 307 to the leader. */
async function post(body: Json, stream = false): Promise<Response> {
  for (let hop = 0; hop < 5; hop++) {
    const type = PROTOBUF ? PROTOBUF_CONTENT_TYPE : "application/json";
    const headers: Record<string, string> = { "content-type": type, accept: type };
    if (!stream && state.stream_id !== null) headers["mesos-stream-id"] = state.stream_id;
    if (AUTHORIZATION !== null) headers.authorization = AUTHORIZATION;
    const response = await fetch(`${SCHEME}://${state.master}/api/v1/scheduler`, {
      method: "POST", headers, body: PROTOBUF ? encodeFromJson("mesos.v1.scheduler.Call", body) : JSON.stringify(body), redirect: "manual", signal: state.connection.signal,
      ...(TLS === null ? {} : { tls: clientTls(TLS) }),
    } as RequestInit);
    if (response.status !== 307) return response;
    const location = response.headers.get("location") ?? "";
    state.master = location.replace(/^(https?:)?\/\//, "").split("/")[0]!; // Location: //leader:port/api/v1/scheduler
  }
  throw new Error("too many redirects");
}

async function call(type: string, field: string | null, value: Json = {}): Promise<void> {
  const body: Json = { type, framework_id: { value: state.framework_id } };
  if (field !== null) body[field] = value;
  try {
    const response = await post(body);
    if (response.status !== 202 && response.status !== 200) console.error(`${type} answered ${response.status}: ${await response.text()}`);
  } catch (error) {
    // The master died or hung (the watchdog aborted): no crash; the re-subscription's RECONCILE
    // tells where the tasks are.
    console.error(`${type} failed: ${(error as Error).message}`);
  }
}

/** One record's event: JSON, or a protobuf Event turned into the same JSON shape. */
function event(record: Uint8Array): Json {
  if (!PROTOBUF) return JSON.parse(new TextDecoder().decode(record)) as Json;
  const decoded = decodeToJson("mesos.v1.scheduler.Event", record);
  if ("error" in decoded) throw new Error(`undecodable protobuf Event: ${decoded.error}`);
  return decoded.value as Json;
}

/** Reads RecordIO records ("<length>\n<event>") from the stream, whatever the chunking. */
async function* records(body: ReadableStream<Uint8Array>): AsyncGenerator<Json> {
  let buffer = new Uint8Array(0);
  for await (const chunk of body) {
    const joined = new Uint8Array(buffer.length + chunk.length);
    joined.set(buffer);
    joined.set(chunk, buffer.length);
    buffer = joined;
    for (;;) {
      const newline = buffer.indexOf(10);
      if (newline < 0) break;
      const length = Number(new TextDecoder().decode(buffer.subarray(0, newline)));
      if (buffer.length < newline + 1 + length) break;
      yield event(buffer.subarray(newline + 1, newline + 1 + length));
      buffer = buffer.slice(newline + 1 + length);
    }
  }
}

const scalar = (resources: Json[], name: string) => resources.filter((r) => r.name === name).reduce((n, r) => n + (r.scalar?.value ?? 0), 0);

/** Packs pending tasks into one offer; launches them and declines what is left. */
async function offer(o: Json): Promise<void> {
  const resources = o.resources as Json[];
  const role = resources[0]?.allocation_info?.role ?? "*";
  let cpus = scalar(resources, "cpus");
  let mem = scalar(resources, "mem");
  const tasks: Json[] = [];
  const agent_id = o.agent_id.value as string;
  let active = state.active.get(agent_id);
  if (active === undefined) state.active.set(agent_id, (active = new Set()));
  while (state.pending.length > 0 && cpus >= CPUS - 1e-9 && mem >= MEM - 1e-9 && active.size < MAX_PER_AGENT) {
    const id = state.pending.shift()!;
    cpus -= CPUS;
    mem -= MEM;
    active.add(id);
    state.agent_of.set(id, agent_id);
    state.launched_ms.set(id, performance.now());
    const resource = (name: string, value: number) => ({ name, type: "SCALAR", scalar: { value }, allocation_info: { role } });
    tasks.push({ name: id, task_id: { value: id }, agent_id: o.agent_id, resources: [resource("cpus", CPUS), resource("mem", MEM)], command: { value: CMD, shell: true } });
  }
  // While tasks wait, what is left is offered again next round (refuse_seconds 0); once none do, not for a while.
  const refuse_seconds = state.pending.length > 0 ? 0 : 5;
  if (tasks.length === 0) return call("DECLINE", "decline", { offer_ids: [o.id], filters: { refuse_seconds } });
  await call("ACCEPT", "accept", { offer_ids: [o.id], operations: [{ type: "LAUNCH", launch: { task_infos: tasks } }], filters: { refuse_seconds } });
}

/** A launch that never reached an agent (the master died in ACCEPT): reconciliation says so. */
const NEVER_LAUNCHED = new Set(["TASK_LOST", "TASK_GONE", "TASK_DROPPED"]);
const RELAUNCHES_MAX = 5;

async function update(status: Json): Promise<void> {
  const id = status.task_id.value as string;
  state.updated_ms.set(id, performance.now());
  if (status.state === "TASK_RUNNING" && state.launched_ms.has(id) && !state.measured.has(id)) {
    state.measured.add(id);
    state.running_ms.push(performance.now() - state.launched_ms.get(id)!);
  }
  if (status.state === "TASK_RUNNING" || status.state === "TASK_STARTING") state.started.add(id);
  const relaunches = state.relaunches.get(id) ?? 0;
  if (NEVER_LAUNCHED.has(status.state) && !state.started.has(id) && !state.final.has(id) && relaunches < RELAUNCHES_MAX) {
    console.error(`${id}: ${status.state} (${status.message ?? ""}) before it ran: launching it again`);
    state.relaunches.set(id, relaunches + 1);
    state.active.get(state.agent_of.get(id) ?? "")?.delete(id);
    state.launched_ms.delete(id);
    state.pending.push(id);
    await bounded(call("REVIVE", null)); // offers declined for a while come back now
  } else if (TERMINAL.has(status.state)) {
    state.final.set(id, status.state);
    state.active.get(state.agent_of.get(id) ?? "")?.delete(id);
    if (status.state !== "TASK_FINISHED") console.error(`${id}: ${status.state} ${status.message ?? ""}`);
  }
  // Acknowledgements need no order among themselves: many in flight, bounded, so the event
  // stream is never held up behind one round trip.
  if (status.uuid !== undefined) await bounded(call("ACKNOWLEDGE", "acknowledge", { agent_id: status.agent_id, task_id: status.task_id, uuid: status.uuid }));
}

const in_flight = new Set<Promise<void>>();
const IN_FLIGHT_MAX = 256;

/** Lets `work` run on, waiting only while IN_FLIGHT_MAX calls are already out. */
async function bounded(work: Promise<void>): Promise<void> {
  in_flight.add(work);
  void work.finally(() => in_flight.delete(work));
  while (in_flight.size >= IN_FLIGHT_MAX) await Promise.race(in_flight);
}

/**
 * Explicit reconciliation, as Mesos's reconciliation guide advises after a failover: every
 * launched task that is not terminal and has said nothing since now is named, so the master
 * answers for each (TASK_GONE/TASK_LOST for a task it never launched, which implicit
 * reconciliation never mentions). A master still waiting for an agent to re-register drops the
 * answer, so it is asked again with backoff (1, 2, 4, 8, 16 s), while this subscription lasts.
 */
async function reconcileInFlight(subscription: AbortSignal): Promise<void> {
  const asked_ms = performance.now();
  for (let delay_ms = 1000; delay_ms <= 16_000 && !subscription.aborted; delay_ms *= 2) {
    const silent = [...state.launched_ms.keys()].filter((id) => !state.final.has(id) && (state.updated_ms.get(id) ?? 0) < asked_ms);
    if (silent.length === 0) return;
    for (let i = 0; i < silent.length; i += RECONCILE_BATCH) {
      const tasks = silent.slice(i, i + RECONCILE_BATCH).map((id) => ({ task_id: { value: id }, agent_id: { value: state.agent_of.get(id) } }));
      await call("RECONCILE", "reconcile", { tasks });
    }
    await Bun.sleep(delay_ms);
  }
}

const RECONCILE_BATCH = 1000;

/** Heartbeat intervals of silence after which the master is taken for hung (mesos-spec §6.5). */
const MISSED_HEARTBEATS_MAX = 5;

/**
 * Aborts `connection` once nothing arrived for MISSED_HEARTBEATS_MAX intervals: a hung master
 * keeps its socket open, so only silence tells it from a live one. Armed by SUBSCRIBED (which
 * names the interval); every record after it, HEARTBEAT or event, starts the count again.
 */
function watchdog(connection: AbortController) {
  let silence_ms: number | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const heard = (interval_s?: number) => {
    if (interval_s !== undefined) silence_ms = MISSED_HEARTBEATS_MAX * interval_s * 1000;
    if (silence_ms === null) return;
    clearTimeout(timer);
    const message = `nothing from ${state.master} for ${silence_ms / 1000} s (${MISSED_HEARTBEATS_MAX} heartbeat intervals): dropping the connection`;
    timer = setTimeout(() => connection.abort(new Error(message)), silence_ms);
  };
  return { heard, stop: () => clearTimeout(timer) };
}

/** One subscription: its events until the stream ends or goes silent (false) or every task is terminal (true). */
async function subscribe(): Promise<boolean> {
  const framework_info: Json = { user: process.env.USER ?? "root", name: NAME, roles: ["*"], failover_timeout: 60, capabilities: [{ type: "MULTI_ROLE" }, { type: "PARTITION_AWARE" }],
    ...(PRINCIPAL !== "" ? { principal: PRINCIPAL } : {}) };
  if (state.framework_id !== null) framework_info.id = { value: state.framework_id };
  // A re-subscription names the id in the call too: Mesos refuses a framework_info.id that differs from it.
  const subscription: Json = { type: "SUBSCRIBE", subscribe: { framework_info } };
  if (state.framework_id !== null) subscription.framework_id = { value: state.framework_id };
  state.connection = new AbortController();
  const response = await post(subscription, true);
  if (response.status === 503) return false;
  if (response.status !== 200 || response.body === null) throw new Error(`SUBSCRIBE answered ${response.status}: ${await response.text()}`);
  state.stream_id = response.headers.get("mesos-stream-id");
  const silence = watchdog(state.connection);
  try {
    for await (const event of records(response.body)) {
      silence.heard(event.subscribed?.heartbeat_interval_seconds);
      if (await handle(event)) return true;
    }
  } finally {
    silence.stop();
  }
  return false;
}

/** Acts on one event; true once every task is terminal and the framework is torn down. */
async function handle(event: Json): Promise<boolean> {
  if (event.type === "SUBSCRIBED") {
    const resubscribed = state.framework_id !== null;
    state.framework_id = event.subscribed.framework_id.value;
    console.error(`subscribed as ${state.framework_id} on ${state.master}`);
    if (resubscribed) {
      void reconcileInFlight(state.connection.signal);
      await call("RECONCILE", "reconcile", { tasks: [] }); // implicit: where is everything else?
    }
  } else if (event.type === "OFFERS") {
    for (const o of event.offers.offers ?? []) await bounded(offer(o));
  } else if (event.type === "UPDATE") {
    await update(event.update.status);
  } else if (event.type === "ERROR") {
    throw new Error(`the master says: ${event.error.message}`);
  }
  if (state.final.size < TASKS) return false;
  await Promise.all(in_flight);
  await call("TEARDOWN", null); // while subscribed: the framework and its stream end here
  return true;
}

async function main(): Promise<void> {
  const deadline = setTimeout(() => {
    console.error(`not done within ${TIMEOUT_MS / 1000} s`);
    process.exit(1);
  }, TIMEOUT_MS);
  for (let attempt = 1; !(await subscribe().catch((error) => (console.error(`subscription ended: ${(error as Error).message}`), false))); attempt++) {
    state.master = MASTERS[attempt % MASTERS.length]!; // the leader we followed may be gone: ask the given masters again
    await Bun.sleep(1000); // the leader is changing or unknown: ask again
  }
  clearTimeout(deadline);
  const seconds = (performance.now() - state.started_ms) / 1000;
  const finished = [...state.final.values()].filter((s) => s === "TASK_FINISHED").length;
  const sorted = state.running_ms.sort((a, b) => a - b);
  const p = (q: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
  console.log(`${finished}/${TASKS} tasks finished in ${seconds.toFixed(2)} s (${(TASKS / seconds).toFixed(1)} tasks/s); launch to RUNNING p50 ${p(0.5).toFixed(0)} ms, p99 ${p(0.99).toFixed(0)} ms`);
  process.exit(finished === TASKS ? 0 : 1);
}

await main();
