// Scheduler API fixtures: a TaskService double that records every call and refuses on demand,
// an EventStream double, and a RecordIO reader of a SUBSCRIBE response's body.
import type { JsonObject } from "../../host/agent/task_protocol.ts";
import { RecordIODecoder } from "../../host/master/frameworks/recordio.ts";
import { decodeToJson, type MessageName } from "../../host/codec/protobuf.ts";
import type { EventStream, Framework, FrameworkView, SchedulerEvent, TaskService } from "../../host/master/frameworks/types.ts";

export class RecordingTasks implements TaskService {
  calls: [string, string, ...unknown[]][] = [];
  /** The refusal of accept/decline/kill/acknowledge, when set. */
  refusal: string | null = null;
  view: FrameworkView | undefined;

  private record(name: string, framework: Framework, ...args: unknown[]): void {
    this.calls.push([name, framework.id, ...args]);
  }

  names(): string[] {
    return this.calls.map((c) => c[0]);
  }

  accept(framework: Framework, offer_ids: string[], operations: JsonObject[], filters?: JsonObject) {
    this.record("accept", framework, offer_ids, operations, filters);
    return this.refusal;
  }
  decline(framework: Framework, offer_ids: string[], filters?: JsonObject) {
    this.record("decline", framework, offer_ids, filters);
    return this.refusal;
  }
  revive(framework: Framework, roles: string[]) {
    this.record("revive", framework, roles);
  }
  suppress(framework: Framework, roles: string[]) {
    this.record("suppress", framework, roles);
  }
  kill(framework: Framework, task_id: string, agent_id?: string, kill_policy?: unknown) {
    this.record("kill", framework, task_id, agent_id, kill_policy);
    return this.refusal;
  }
  shutdownExecutor(framework: Framework, executor_id: string, agent_id: string) {
    this.record("shutdownExecutor", framework, executor_id, agent_id);
    return this.refusal;
  }
  acknowledge(framework: Framework, agent_id: string, task_id: string, uuid: string) {
    this.record("acknowledge", framework, agent_id, task_id, uuid);
    return this.refusal;
  }
  reconcile(framework: Framework, tasks: unknown[]) {
    this.record("reconcile", framework, tasks);
  }
  removeFramework(framework: Framework) {
    this.record("removeFramework", framework);
  }
  frameworkActivated(framework: Framework) {
    this.record("frameworkActivated", framework);
  }
  frameworkDeactivated(framework: Framework) {
    this.record("frameworkDeactivated", framework);
  }
  frameworkFailedOver(framework: Framework) {
    this.record("frameworkFailedOver", framework);
  }
  frameworkView(): FrameworkView {
    return this.view ?? { tasks: [], unreachable_tasks: [], completed_tasks: [], offers: [], used_resources: [], offered_resources: [] };
  }
}

export class FakeStream implements EventStream {
  readonly stream_id = crypto.randomUUID();
  events: SchedulerEvent[] = [];
  closed = false;
  send(event: SchedulerEvent): boolean {
    if (this.closed) return false;
    this.events.push(event);
    return true;
  }
  close(): void {
    this.closed = true;
  }
  types(): string[] {
    return this.events.map((e) => e.type);
  }
}

/** Reads RecordIO events from a response body, one at a time, with a deadline. */
export class EventReader {
  private readonly reader: { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(reason?: unknown): Promise<void> };
  private readonly decoder = new RecordIODecoder();
  private readonly ready: SchedulerEvent[] = [];
  /** Every HTTP chunk as read, for the chunking assertions. */
  readonly chunks: Uint8Array[] = [];

  /** `protobuf`: the records are that message's protobuf bytes (else JSON). */
  constructor(body: ReadableStream<Uint8Array>, private readonly protobuf?: MessageName) {
    this.reader = body.getReader();
  }

  /** The next event, or null when the body ends. */
  async next(timeout_ms = 2000): Promise<SchedulerEvent | null> {
    const deadline = Date.now() + timeout_ms;
    while (this.ready.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("no event before the deadline");
      const read = await Promise.race([this.reader.read(), Bun.sleep(left).then(() => "timeout" as const)]);
      if (read === "timeout") throw new Error("no event before the deadline");
      if (read.done || read.value === undefined) return null;
      this.chunks.push(read.value);
      if (this.protobuf === undefined) {
        for (const record of this.decoder.decode(read.value)) this.ready.push(JSON.parse(record) as SchedulerEvent);
        continue;
      }
      for (const record of this.decoder.decodeBytes(read.value)) {
        const decoded = decodeToJson(this.protobuf, record);
        if ("error" in decoded) throw new Error(`a record that is not a ${this.protobuf}: ${decoded.error}`);
        this.ready.push(decoded.value as SchedulerEvent);
      }
    }
    return this.ready.shift()!;
  }

  async cancel(): Promise<void> {
    await this.reader.cancel().catch(() => undefined);
  }
}
