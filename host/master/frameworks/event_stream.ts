// A subscribed framework's event stream: the body of the SUBSCRIBE response, one RecordIO record
// per event and one record per pull (Bun writes each as its own HTTP chunk). Events wait in a
// bounded queue while the client reads slowly; beyond the bound (events or bytes) the stream is
// cut and its owner told, as when the client goes away (its request aborted or the body
// cancelled). close() is graceful: what is queued is still written, then the body ends.
import { randomUUID } from "node:crypto";
import type { SchedulerEvent } from "./types.ts";
import type { EventStream } from "./types.ts";
import { encodeRecord } from "./recordio.ts";
import { encodeFromJson, type MessageName } from "../../codec/protobuf.ts";

/** Events a stream holds for a client that does not read (Mesos's pipe is unbounded; this build is not). */
export const STREAM_EVENTS_MAX = 4096;
/** Bytes a stream holds for a client that does not read. */
export const STREAM_BYTES_MAX = 32 << 20;

export type StreamEnd = "closed" | "client gone" | "overflow";

export interface StreamOptions {
  events_max?: number;
  bytes_max?: number;
  /** Called once when the stream ends, with why. */
  onEnd?: (stream: HttpEventStream, why: StreamEnd) => void;
  /** How send() encodes events: JSON (default) or Mesos's protobuf Event. */
  format?: "json" | "protobuf";
  /** The protobuf message of the events (default the scheduler API's Event). */
  message?: MessageName;
  /** Called for each event queued by send(), with its type (per-framework event counts). */
  onEvent?: (stream: HttpEventStream, type: string) => void;
}

export class HttpEventStream implements EventStream {
  readonly stream_id = randomUUID();
  readonly format: "json" | "protobuf";
  /** The HTTP response body. */
  readonly body: ReadableStream<Uint8Array>;
  private queue: Uint8Array[] = [];
  private queued_bytes = 0;
  private ending = false;
  private wake: (() => void) | null = null;
  private ended: StreamEnd | null = null;
  private readonly events_max: number;
  private readonly bytes_max: number;

  constructor(private readonly options: StreamOptions = {}) {
    this.format = options.format ?? "json";
    this.events_max = options.events_max ?? STREAM_EVENTS_MAX;
    this.bytes_max = options.bytes_max ?? STREAM_BYTES_MAX;
    this.body = new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          while (this.queue.length === 0 && !this.ending) await new Promise<void>((resolve) => (this.wake = resolve));
          const next = this.queue.shift();
          if (next !== undefined) {
            this.queued_bytes -= next.length;
            controller.enqueue(next);
          } else {
            try {
              controller.close();
            } catch {
              // the body was cancelled already (the client went away)
            }
          }
        },
        cancel: () => this.end("client gone"),
      },
      { highWaterMark: 0 },
    );
  }

  get closed(): boolean {
    return this.ended !== null;
  }

  /** Events queued and not yet taken by the HTTP layer. */
  get queued(): number {
    return this.queue.length;
  }

  send(event: SchedulerEvent): boolean {
    if (this.ended !== null) return false;
    const queued = this.sendRecord(this.format === "protobuf" ? encodeRecord(encodeFromJson(this.options.message ?? "mesos.v1.scheduler.Event", event)) : encodeRecord(JSON.stringify(event)));
    if (queued) this.options.onEvent?.(this, event.type);
    return queued;
  }

  /** Queues an encoded record (one event encoded once for many streams); it is not modified. */
  sendRecord(record: Uint8Array): boolean {
    if (this.ended !== null) return false;
    if (this.queue.length + 1 > this.events_max || this.queued_bytes + record.length > this.bytes_max) {
      this.end("overflow");
      return false;
    }
    this.queue.push(record);
    this.queued_bytes += record.length;
    this.wakeReader();
    return true;
  }

  /** Ends the stream after what is queued. */
  close(): void {
    this.end("closed");
  }

  /** The client went away (its request's signal aborted). */
  clientGone(): void {
    this.end("client gone");
  }

  /** Ties the stream to a request: an aborted request ends it. */
  watch(signal: AbortSignal): void {
    if (signal.aborted) this.clientGone();
    else signal.addEventListener("abort", () => this.clientGone(), { once: true });
  }

  private end(why: StreamEnd): void {
    if (this.ended !== null) return;
    this.ended = why;
    this.ending = true;
    if (why !== "closed") {
      this.queue = [];
      this.queued_bytes = 0;
    }
    this.wakeReader();
    this.options.onEnd?.(this, why);
  }

  private wakeReader(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}

// ---- Events the frameworks service sends (the task side builds OFFERS, UPDATE, RESCIND...) ----

export const subscribedEvent = (framework_id: string, heartbeat_interval_seconds: number, master_info: unknown): SchedulerEvent => ({
  type: "SUBSCRIBED",
  subscribed: { framework_id: { value: framework_id }, heartbeat_interval_seconds, master_info },
});

export const heartbeatEvent = (): SchedulerEvent => ({ type: "HEARTBEAT" });

export const errorEvent = (message: string): SchedulerEvent => ({ type: "ERROR", error: { message } });
