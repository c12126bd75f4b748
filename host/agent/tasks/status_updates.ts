// The agent's status update manager (Mesos's TaskStatusUpdateManager, mesos-spec §5.2 and
// task_protocol.ts). One stream per (framework, task): updates are appended in order, each with
// a fresh uuid (16 random bytes, base64) and checkpointed (the whole stream on every change, to
// the store: one JSON file per stream rewritten atomically, or the agent's journal) before
// anything is sent. Only the oldest unacknowledged update of
// a stream is on the wire: sent when it becomes the oldest (once its checkpoint is durable: with
// a group-committing store (journal.ts) that is at the end of the event-loop turn), again after STATUS_UPDATE_RETRY_MS,
// then after twice that, and so on up to STATUS_UPDATE_RETRY_MAX_MS, until the master forwards
// the framework's acknowledgement naming its uuid; then the next one goes out at once. An
// acknowledgement naming any other uuid is ignored (counted). While the agent is not registered
// the manager is paused (nothing sent, no timers); resume() — on (re-)registration — sends the
// oldest unacknowledged update of every stream at once and restarts its retry schedule. When the
// terminal update of a stream is acknowledged the stream ends (its `ended` callback runs).
import { randomBytes } from "node:crypto";
import { logger } from "../../logging.ts";
import {
  type Id, STATUS_UPDATE_RETRY_MAX_MS, STATUS_UPDATE_RETRY_MS, type StatusUpdate, STATUS_UPDATES_PER_TASK_MAX, type TaskState, type TaskStatus,
  TERMINAL_STATES,
} from "../task_protocol.ts";
import { type CheckpointStore, fileStore } from "./journal.ts";

const log = logger("status_updates.ts");

/** Time and timers, injectable for tests. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** What a stream's checkpoint file holds. */
export interface StreamCheckpoint {
  framework_id: string;
  task_id: string;
  /** Unacknowledged updates, oldest first. */
  updates: StatusUpdate[];
  /** A terminal update was added (no more may follow). */
  terminated: boolean;
}

interface Stream extends StreamCheckpoint {
  /** Where the stream is checkpointed; null for none. */
  path: string | null;
  timer: unknown;
  retry_ms: number;
}

export interface StatusUpdateManagerOptions {
  /** Puts one update on the wire; false when it could not (it is retried on schedule anyway). */
  send(update: StatusUpdate): boolean;
  /** The terminal update of this stream was acknowledged. */
  ended?(framework_id: string, task_id: string): void;
  clock?: Clock;
  /** Where streams are checkpointed (a stream's `path` is its location there); default: one file each. */
  store?: CheckpointStore;
  retry_ms?: number;
  retry_max_ms?: number;
  max_per_task?: number;
}

/** A status as the agent makes it; the manager adds uuid and timestamp. */
export type NewStatus = { task_id: Id; state: TaskState; source?: TaskStatus["source"]; reason?: string; message?: string; agent_id?: Id };

export type AckResult = "acknowledged" | "unknown_stream" | "unexpected_uuid";

export const newUuid = (): string => randomBytes(16).toString("base64");

const key = (framework_id: string, task_id: string) => JSON.stringify([framework_id, task_id]);

export class StatusUpdateManager {
  readonly counters = { added: 0, sent: 0, retried: 0, acknowledged: 0, unexpected_acknowledgements: 0, refused: 0 };
  private readonly streams = new Map<string, Stream>();
  private readonly clock: Clock;
  private readonly store: CheckpointStore;
  private readonly retry_ms: number;
  private readonly retry_max_ms: number;
  private readonly max_per_task: number;
  private paused = true;

  constructor(private readonly options: StatusUpdateManagerOptions) {
    this.clock = options.clock ?? systemClock;
    this.store = options.store ?? fileStore;
    this.retry_ms = options.retry_ms ?? STATUS_UPDATE_RETRY_MS;
    this.retry_max_ms = options.retry_max_ms ?? STATUS_UPDATE_RETRY_MAX_MS;
    this.max_per_task = options.max_per_task ?? STATUS_UPDATES_PER_TASK_MAX;
  }

  /**
   * Appends a status (given a fresh uuid, the agent's timestamp) to the task's stream, creating
   * it (checkpointed at `path`) if needed; the update, or null when refused: after a terminal
   * update, or beyond max_per_task unacknowledged non-terminal ones (the terminal one is always
   * taken). Throws when the checkpoint cannot be written (nothing is then queued).
   */
  add(framework_id: string, status: NewStatus, path: string | null): StatusUpdate | null {
    const task_id = status.task_id.value;
    const k = key(framework_id, task_id);
    let stream = this.streams.get(k);
    const terminal = TERMINAL_STATES.has(status.state);
    if (stream?.terminated || (!terminal && stream !== undefined && stream.updates.length >= this.max_per_task)) {
      this.counters.refused++;
      log.warning(`Refusing status update ${status.state} for task ${task_id} of framework ${framework_id}: ` +
        (stream?.terminated ? "the task's stream already holds a terminal update" : `${this.max_per_task} updates are unacknowledged`));
      return null;
    }
    this.counters.added++;
    const uuid = newUuid();
    const timestamp = this.clock.now() / 1000;
    const update: StatusUpdate = { framework_id: { value: framework_id }, status: { ...status, uuid, timestamp }, timestamp, uuid };
    const next: Stream = stream ?? { framework_id, task_id, updates: [], terminated: false, path, timer: null, retry_ms: this.retry_ms };
    const checkpoint: StreamCheckpoint = { framework_id, task_id, updates: [...next.updates, update], terminated: next.terminated || terminal };
    if (next.path !== null) this.store.write(next.path, checkpoint);
    next.updates = checkpoint.updates;
    next.terminated = checkpoint.terminated;
    if (stream === undefined) this.streams.set(k, (stream = next));
    if (stream.updates.length === 1) this.sendHead(stream);
    return update;
  }

  /** The framework acknowledged `uuid` of the task's stream. */
  acknowledge(framework_id: string, task_id: string, uuid: string): AckResult {
    const stream = this.streams.get(key(framework_id, task_id));
    if (stream === undefined) return "unknown_stream";
    const head = stream.updates[0];
    if (head === undefined || head.uuid !== uuid) {
      this.counters.unexpected_acknowledgements++;
      log.warning(`Ignoring an acknowledgement of update ${uuid} for task ${task_id} of framework ${framework_id}: ` +
        (head === undefined ? "no update is unacknowledged" : `the unacknowledged one is ${head.status.state} (${head.uuid})`));
      return "unexpected_uuid";
    }
    this.counters.acknowledged++;
    const rest = stream.updates.slice(1);
    this.clearTimer(stream);
    if (rest.length === 0 && stream.terminated) {
      this.streams.delete(key(framework_id, task_id));
      if (stream.path !== null) this.store.write(stream.path, null);
      this.options.ended?.(framework_id, task_id);
      return "acknowledged";
    }
    if (stream.path !== null) this.store.write(stream.path, { framework_id, task_id, updates: rest, terminated: stream.terminated } satisfies StreamCheckpoint);
    stream.updates = rest;
    stream.retry_ms = this.retry_ms;
    if (rest.length > 0) this.sendHead(stream);
    return "acknowledged";
  }

  /** A stream read back from its checkpoint (agent restart); sent once resumed. */
  recover(checkpoint: StreamCheckpoint, path: string | null): void {
    const stream: Stream = { ...checkpoint, updates: [...checkpoint.updates], path, timer: null, retry_ms: this.retry_ms };
    this.streams.set(key(checkpoint.framework_id, checkpoint.task_id), stream);
    if (!this.paused && stream.updates.length > 0) this.sendHead(stream);
  }

  /** Not registered: nothing is sent until resume(). */
  pause(): void {
    this.paused = true;
    for (const stream of this.streams.values()) this.clearTimer(stream);
  }

  /** (Re-)registered: the oldest unacknowledged update of every stream goes out now. */
  resume(): void {
    this.paused = false;
    for (const stream of this.streams.values()) {
      this.clearTimer(stream);
      stream.retry_ms = this.retry_ms;
      if (stream.updates.length > 0) this.sendHead(stream);
    }
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** The task's unacknowledged updates, oldest first (empty when none or no stream). */
  pending(framework_id: string, task_id: string): readonly StatusUpdate[] {
    return this.streams.get(key(framework_id, task_id))?.updates ?? [];
  }

  has(framework_id: string, task_id: string): boolean {
    return this.streams.has(key(framework_id, task_id));
  }

  get size(): number {
    return this.streams.size;
  }

  /** Stops every timer (the agent is stopping); checkpoints stay. */
  stop(): void {
    this.pause();
  }

  /** Puts the stream's oldest update on the wire once its checkpoint is durable, and arms its retry. */
  private sendHead(stream: Stream): void {
    if (this.paused) return;
    const head = stream.updates[0]!;
    this.store.whenDurable(() => {
      if (this.paused || stream.updates[0] !== head || this.streams.get(key(stream.framework_id, stream.task_id)) !== stream) return;
      const latest = stream.updates[stream.updates.length - 1]!;
      this.counters.sent++;
      this.options.send({ ...head, latest_state: latest.status.state });
    });
    this.clearTimer(stream);
    stream.timer = this.clock.setTimeout(() => this.retry(stream, head.uuid), stream.retry_ms);
  }

  private retry(stream: Stream, uuid: string): void {
    stream.timer = null;
    if (this.paused || stream.updates[0]?.uuid !== uuid || this.streams.get(key(stream.framework_id, stream.task_id)) !== stream) return;
    this.counters.retried++;
    log.info(`Resending status update ${stream.updates[0]!.status.state} (${uuid}) for task ${stream.task_id} of framework ${stream.framework_id}: not acknowledged within ${stream.retry_ms}ms`);
    stream.retry_ms = Math.min(this.retry_max_ms, stream.retry_ms * 2);
    this.sendHead(stream);
  }

  private clearTimer(stream: Stream): void {
    if (stream.timer !== null) this.clock.clearTimeout(stream.timer);
    stream.timer = null;
  }
}

/** A checkpoint file's content, checked; null when it is not one. */
export function parseStreamCheckpoint(value: unknown): StreamCheckpoint | null {
  const v = value as Partial<StreamCheckpoint> | null;
  if (typeof v !== "object" || v === null || typeof v.framework_id !== "string" || typeof v.task_id !== "string") return null;
  if (!Array.isArray(v.updates) || typeof v.terminated !== "boolean") return null;
  const ok = v.updates.every((u: StatusUpdate) => typeof u?.uuid === "string" && (u.framework_id as Id | undefined)?.value === v.framework_id && u.status?.task_id?.value === v.task_id);
  return ok ? (v as StreamCheckpoint) : null;
}
