// A v1 scheduler HTTP API client for cluster tests (mesos-spec §6.5), as a framework author
// writes one: SUBSCRIBE at any master (307 followed to the leader, 503 and refused connections
// retried over the known masters), the RecordIO event stream read into a queue that tests take
// from with next(type, predicate, timeout), calls carrying Mesos-Stream-Id, and re-subscription
// with the framework id after a master failover. Every UPDATE and every acknowledgement is
// logged, so tests can check what a framework saw and acknowledged.
import { decodeToJson, encodeFromJson, PROTOBUF_CONTENT_TYPE } from "../../host/codec/protobuf.ts";
import { RecordIODecoder } from "../../host/master/frameworks/recordio.ts";
import type { SchedulerEvent } from "../../host/master/frameworks/types.ts";
import { frameworkPrincipal, secure, tlsFetch } from "./security.ts";

type Json = Record<string, any>;

export const TERMINAL = new Set(["TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_ERROR", "TASK_LOST", "TASK_DROPPED", "TASK_GONE", "TASK_GONE_BY_OPERATOR"]);

export interface SchedulerOptions {
  /** Masters as host:port; SUBSCRIBE goes to the first and falls back to the others. */
  masters: string[];
  name?: string;
  /** FrameworkInfo capability types, e.g. PARTITION_AWARE. */
  capabilities?: string[];
  failover_timeout?: number;
  roles?: string[];
  /** Whether the masters speak TLS and want credentials (the security profile's default); false for a test's own plain master. */
  secured?: boolean;
  /** Speak Mesos's protobuf: calls as protobuf Calls, events read as protobuf Events (Accept: application/x-protobuf only). */
  protobuf?: boolean;
}

export interface Acknowledged {
  task_id: string;
  state: string;
  uuid: string;
}

export class SchedulerClient {
  framework_id: string | null = null;
  stream_id: string | null = null;
  /** The master answering this client now (host:port). */
  master: string;
  /** Every event received, over all subscriptions, in order. */
  readonly events: SchedulerEvent[] = [];
  /** Acknowledgements the master accepted (202), in order. */
  readonly acknowledged: Acknowledged[] = [];
  private queue: SchedulerEvent[] = [];
  /** Waiters of next(), woken by every event and by the stream's end. */
  private readonly waiters = new Set<() => void>();
  private reader: Body | null = null;
  private ended = true;

  constructor(readonly options: SchedulerOptions) {
    this.master = options.masters[0]!;
  }

  /** Whether the current event stream ended (the master went away or closed it). */
  get streamEnded(): boolean {
    return this.ended;
  }

  frameworkInfo(): Json {
    const info: Json = {
      user: process.env.USER ?? "root", name: this.options.name ?? "test-framework", roles: this.options.roles ?? ["*"], ...(this.options.secured ?? secure() ? frameworkPrincipal() : {}),
      capabilities: [{ type: "MULTI_ROLE" }, ...(this.options.capabilities ?? []).map((type) => ({ type }))],
    };
    if (this.options.failover_timeout !== undefined) info.failover_timeout = this.options.failover_timeout;
    if (this.framework_id !== null) info.id = { value: this.framework_id };
    return info;
  }

  /** POSTs to the current master, following 307 to the leader; a refused connection or 503 moves on to the next master. */
  private async post(body: Json, stream: boolean, deadline_ms: number): Promise<Response> {
    const candidates = [this.master, ...this.options.masters.filter((m) => m !== this.master)];
    let i = 0;
    let last = "";
    while (Date.now() < deadline_ms) {
      const type = this.options.protobuf ? PROTOBUF_CONTENT_TYPE : "application/json";
      const headers: Record<string, string> = { "content-type": type, accept: type };
      if (!stream && this.stream_id !== null) headers["mesos-stream-id"] = this.stream_id;
      try {
        const payload = this.options.protobuf ? encodeFromJson("mesos.v1.scheduler.Call", body) : JSON.stringify(body);
        const init: RequestInit = { method: "POST", headers, body: payload, redirect: "manual" };
        const response = await tlsFetch(`http://${this.master}/api/v1/scheduler`, init, this.options.secured ?? secure());
        if (response.status === 307) {
          // Location: //leader:port/api/v1/scheduler
          this.master = (response.headers.get("location") ?? "").replace(/^(https?:)?\/\//, "").split("/")[0]!;
          continue;
        }
        if (response.status !== 503) return response;
        last = `503 ${await response.text()}`;
      } catch (error) {
        last = (error as Error).message;
      }
      this.master = candidates[++i % candidates.length]!;
      await Bun.sleep(100);
    }
    throw new Error(`${body.type} got no answer from any master (${last})`);
  }

  /** SUBSCRIBE (again, with the framework id once known); resolves with the SUBSCRIBED event and keeps reading the stream. */
  async subscribe(timeout_ms = 20_000): Promise<SchedulerEvent> {
    await this.closeStream();
    const deadline = Date.now() + timeout_ms;
    for (;;) {
      // A re-subscription names its id twice (Mesos refuses 'framework_id' differing from 'subscribe.framework_info.id').
      const call: Json = { type: "SUBSCRIBE", subscribe: { framework_info: this.frameworkInfo() } };
      if (this.framework_id !== null) call.framework_id = { value: this.framework_id };
      const response = await this.post(call, true, deadline);
      if (response.status !== 200 || response.body === null) throw new Error(`SUBSCRIBE answered ${response.status}: ${await response.text()}`);
      this.stream_id = response.headers.get("mesos-stream-id");
      if (this.options.protobuf && response.headers.get("content-type") !== PROTOBUF_CONTENT_TYPE) throw new Error(`SUBSCRIBE answered ${response.headers.get("content-type")}`);
      const body = new Body(response.body, this.options.protobuf ?? false);
      const first = await body.next(Math.max(1, deadline - Date.now()));
      if (first === null) { // the master went away between the answer and the first event
        await body.cancel();
        if (Date.now() >= deadline) throw new Error("SUBSCRIBE: the stream ended before SUBSCRIBED");
        continue;
      }
      if (first.type !== "SUBSCRIBED") throw new Error(`SUBSCRIBE: first event ${JSON.stringify(first)}`);
      this.framework_id = (first as Json).subscribed.framework_id.value;
      this.events.push(first);
      this.reader = body;
      this.ended = false;
      void this.pump(body);
      return first;
    }
  }

  private async pump(body: Body): Promise<void> {
    for (;;) {
      const event = await body.next();
      if (this.reader !== body) return;
      if (event === null) {
        this.ended = true;
        this.wakeAll();
        return;
      }
      this.events.push(event);
      this.queue.push(event);
      this.wakeAll();
    }
  }

  private wakeAll(): void {
    for (const wake of [...this.waiters]) wake();
  }

  /** Takes the first queued event of `type` that matches, waiting for it; other events stay queued. */
  async next(type: string, predicate: (e: Json) => boolean = () => true, timeout_ms = 15_000): Promise<Json> {
    const deadline = Date.now() + timeout_ms;
    for (;;) {
      const i = this.queue.findIndex((e) => e.type === type && predicate(e));
      if (i >= 0) return this.queue.splice(i, 1)[0]!;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${type} event within ${timeout_ms} ms; queued: ${this.queue.map((e) => e.type).join(",")}`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.waiters.add(wake);
      });
    }
  }

  /** Drops queued events (of `type`, or all). */
  drain(type?: string): void {
    this.queue = type === undefined ? [] : this.queue.filter((e) => e.type !== type);
  }

  /** Waits until the current event stream ends. */
  async streamEnd(timeout_ms = 15_000): Promise<void> {
    const deadline = Date.now() + timeout_ms;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error("the event stream did not end");
      await Bun.sleep(20);
    }
  }

  /** A call of `type` with `field: value` (and the framework id and stream id); resolves with the status and body. */
  async call(type: string, field: string | null = null, value: Json = {}, timeout_ms = 10_000): Promise<{ status: number; text: string }> {
    const body: Json = { type, framework_id: { value: this.framework_id } };
    if (field !== null) body[field] = value;
    const response = await this.post(body, false, Date.now() + timeout_ms);
    return { status: response.status, text: await response.text() };
  }

  /** Acknowledges a status update that carries a uuid; logs it when the master accepts (202). */
  async acknowledge(status: Json): Promise<void> {
    if (status.uuid === undefined) return;
    const answer = await this.call("ACKNOWLEDGE", "acknowledge", { agent_id: status.agent_id, task_id: status.task_id, uuid: status.uuid });
    if (answer.status !== 202) throw new Error(`ACKNOWLEDGE answered ${answer.status}: ${answer.text}`);
    this.acknowledged.push({ task_id: status.task_id.value, state: status.state, uuid: status.uuid });
  }

  /** The next UPDATE of `task_id` (in `state`, when given). */
  async update(task_id: string, state?: string, timeout_ms = 15_000): Promise<Json> {
    const event = await this.next("UPDATE", (e) => e.update.status.task_id.value === task_id && (state === undefined || e.update.status.state === state), timeout_ms);
    return event.update.status;
  }

  /** Every UPDATE status received for `task_id` (all subscriptions), in order. */
  statuses(task_id: string): Json[] {
    return this.events.flatMap((e) => (e.type === "UPDATE" && (e as Json).update.status.task_id.value === task_id ? [(e as Json).update.status] : []));
  }

  /** Takes OFFERS events until offers from `agents` distinct agents arrived; resolves with one offer per agent. */
  async offersFrom(agents: number, timeout_ms = 15_000): Promise<Map<string, Json>> {
    const deadline = Date.now() + timeout_ms;
    const byAgent = new Map<string, Json>();
    while (byAgent.size < agents) {
      const event = await this.next("OFFERS", () => true, Math.max(1, deadline - Date.now()));
      for (const offer of event.offers.offers ?? []) if (!byAgent.has(offer.agent_id.value)) byAgent.set(offer.agent_id.value, offer);
    }
    return byAgent;
  }

  /** Takes OFFERS events until one holds an offer of agent `agent_id`; resolves with it. */
  async offerOn(agent_id: string, timeout_ms = 15_000): Promise<Json> {
    const event = await this.next("OFFERS", (e) => (e.offers.offers ?? []).some((o: Json) => o.agent_id.value === agent_id), timeout_ms);
    return event.offers.offers.find((o: Json) => o.agent_id.value === agent_id);
  }

  /** ACCEPT `offer` with a LAUNCH of command tasks (id -> shell command); 202 expected. */
  async launch(offer: Json, tasks: Record<string, string>, cpus = 0.1, mem = 16): Promise<void> {
    const role = offer.allocation_info?.role ?? "*";
    const resource = (name: string, value: number) => ({ name, type: "SCALAR", scalar: { value }, allocation_info: { role } });
    const task_infos = Object.entries(tasks).map(([id, cmd]) => ({
      name: id, task_id: { value: id }, agent_id: offer.agent_id, resources: [resource("cpus", cpus), resource("mem", mem)], command: { value: cmd, shell: true },
    }));
    const answer = await this.call("ACCEPT", "accept", { offer_ids: [offer.id], operations: [{ type: "LAUNCH", launch: { task_infos } }], filters: { refuse_seconds: 1 } });
    if (answer.status !== 202) throw new Error(`ACCEPT answered ${answer.status}: ${answer.text}`);
  }

  /** Waits for the updates of `task_id` in `states` order, acknowledging each; resolves with the statuses. */
  async expectStates(task_id: string, states: string[], timeout_ms = 15_000): Promise<Json[]> {
    const out: Json[] = [];
    for (const state of states) {
      const status = await this.update(task_id, undefined, timeout_ms);
      if (status.state !== state) throw new Error(`${task_id}: expected ${state}, got ${status.state} (${status.message ?? ""}); so far ${out.map((s) => s.state).join(",")}`);
      await this.acknowledge(status);
      out.push(status);
    }
    return out;
  }

  private async closeStream(): Promise<void> {
    const reader = this.reader;
    this.reader = null;
    this.ended = true;
    if (reader !== null) await reader.cancel();
  }

  /** Ends the subscription from this side (the framework stays registered until its failover timeout). */
  async close(): Promise<void> {
    await this.closeStream();
  }
}

/** RecordIO events of one SUBSCRIBE response body; next() is null once it ends or fails. */
class Body {
  private readonly reader: { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(reason?: unknown): Promise<void> };
  private readonly decoder = new RecordIODecoder();
  private readonly ready: SchedulerEvent[] = [];
  private done = false;

  constructor(body: ReadableStream<Uint8Array>, private readonly protobuf = false) {
    this.reader = body.getReader();
  }

  private event(record: Uint8Array): SchedulerEvent {
    if (!this.protobuf) return JSON.parse(new TextDecoder().decode(record)) as SchedulerEvent;
    const decoded = decodeToJson("mesos.v1.scheduler.Event", record);
    if ("error" in decoded) throw new Error(`a protobuf Event that does not decode: ${decoded.error}`);
    return decoded.value as SchedulerEvent;
  }

  /** The next event; null when the body ends (or nothing came within `timeout_ms`, when given). */
  async next(timeout_ms?: number): Promise<SchedulerEvent | null> {
    while (this.ready.length === 0 && !this.done) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = timeout_ms === undefined ? null : new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), timeout_ms)));
      const read = await Promise.race([this.reader.read().catch(() => ({ done: true, value: undefined })), ...(timeout ? [timeout] : [])]);
      clearTimeout(timer);
      if (read === "timeout") return null;
      if (read.done || read.value === undefined) this.done = true;
      else for (const record of this.decoder.decodeBytes(read.value)) this.ready.push(this.event(record));
    }
    return this.ready.shift() ?? null;
  }

  async cancel(): Promise<void> {
    this.done = true;
    await this.reader.cancel().catch(() => undefined);
  }
}
