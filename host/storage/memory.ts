// In-memory replica store for tests, the simulator and the benchmark. It models a disk with
// a page cache: persisted blobs land in a volatile tail, and a sync makes the tail durable.
//   - persist(blob, false) appends the blob to the volatile tail (one copy, no decoding);
//   - persist(blob, true)  syncs: the tail and this blob become durable;
//   - crash()              loses the volatile tail (writes never synced), like power loss;
//   - wipe()               loses everything (a replaced disk).
// Durable records are indexed by key from their frame headers alone (the last METADATA, the
// last ACTION per position, LEARN records kept in order, ERASE deleting below), so memory
// follows the live log, not its history. Like the core's ActionStore, actions of the dense
// run of positions sit in arrays indexed by position − base (no hash per record); positions
// far outside it go to a map. load() returns the metadata, then the actions,
// then the LEARN records (each marks actions persisted before it; any later action with the
// same proposal at that position is the same value, so replaying it last is sound). With `track` on, it also keeps a decoded view of the durable state (status,
// promise, actions) so checkers can verify a reply was durable before it was sent (S5).
import type { ReplicaStore } from "./types.ts";
import { concatBytes, decodeRecords, Kind, readFrame, type Action } from "../codec/index.ts";

export interface DurableView {
  status: number;
  promised: number;
  fenceProposal: number;
  fencePosition: number;
  actions: Map<number, Action>;
}

export class MemoryStore implements ReplicaStore {
  /** Durable frames: the last METADATA and the last ACTION of each position. */
  private metadata: Uint8Array | null = null;
  /** Per position: the blob holding its last ACTION frame, and the frame's offset in it. */
  private actions = new ActionIndex();
  /** LEARN frames with the end of their range, in the order they were written. */
  private learns: { end: number; frame: Uint8Array }[] = [];
  private volatile: Uint8Array[] = [];
  /** Decoded durable state, kept only when tracking (simulation). */
  readonly view: DurableView | null;
  /** Count of sync calls, for reports. */
  syncs = 0;

  constructor(options: { track?: boolean } = {}) {
    this.view = options.track ? emptyView() : null;
  }

  load(): Uint8Array[] {
    const frames = this.metadata ? [this.metadata] : [];
    this.actions.forEachInOrder((blob, at) => frames.push(frameAt(blob, at)));
    for (const l of this.learns) frames.push(l.frame);
    return frames.length > 0 ? [concatBytes(frames), ...this.volatile] : [...this.volatile];
  }

  /** Keeps `blob` itself (no copy): the caller hands it over (a ready() batch is a copy). */
  persist(blob: Uint8Array, sync: boolean): void {
    if (blob.length > 0) this.volatile.push(blob);
    if (sync) this.sync();
  }

  private sync(): void {
    this.syncs++;
    for (const blob of this.volatile) {
      this.index(blob);
      if (this.view) applyRecords(this.view, blob);
    }
    this.volatile = [];
  }

  /** Files every frame of a blob under its key, reading only frame headers. */
  private index(blob: Uint8Array): void {
    const v = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    for (let at = 0; at < blob.length; ) {
      const kind = blob[at + 1];
      const total = 10 + v.getUint32(at + 2, true);
      if (kind === Kind.Metadata) {
        this.metadata = blob.subarray(at, at + total);
      } else if (kind === Kind.Action) {
        this.actions.set(v.getUint32(at + 10, true) * 0x100000000 + v.getUint32(at + 6, true), blob, at);
      } else if (kind === Kind.Learn) {
        const first = v.getUint32(at + 18, true) * 0x100000000 + v.getUint32(at + 14, true);
        this.learns.push({ end: first + v.getUint32(at + 22, true), frame: blob.subarray(at, at + total) });
      } else if (kind === Kind.Erase) {
        const to = v.getUint32(at + 10, true) * 0x100000000 + v.getUint32(at + 6, true);
        this.actions.deleteBelow(to);
        this.learns = this.learns.filter((l) => l.end > to);
      } else {
        readFrame(blob, at); // an unknown or damaged frame: fail loudly (checksum, kind)
        throw new Error(`memory store: unexpected record kind ${kind}`);
      }
      at += total;
    }
  }

  /** Loses every write that was not synced. */
  crash(): void {
    this.volatile = [];
  }

  /** Loses everything. */
  wipe(): void {
    this.metadata = null;
    this.actions = new ActionIndex();
    this.learns = [];
    this.volatile = [];
    if (this.view) Object.assign(this.view, emptyView());
  }

  /** The current state (durable and volatile), decoded. */
  snapshot(): DurableView {
    const view = emptyView();
    for (const blob of this.load()) applyRecords(view, blob);
    return view;
  }
}

/** How far past the dense run a position may land and still be stored densely (as the core). */
const DENSE_SLACK_POSITIONS = 1 << 16;

/**
 * Position -> (blob, offset) of its last ACTION frame. The dense run [base, base + live)
 * lives in two arrays from `head` on; anything else (below base, or far above) in a map.
 */
class ActionIndex {
  private base = 0;
  private head = 0;
  private blobs: (Uint8Array | undefined)[] = [];
  private offsets: number[] = [];
  private sparse = new Map<number, { blob: Uint8Array; at: number }>();
  private count = 0;

  set(position: number, blob: Uint8Array, at: number): void {
    if (this.count === 0) {
      this.blobs = [];
      this.offsets = [];
      this.head = 0;
      this.base = position;
    }
    const live = this.blobs.length - this.head;
    const offset = position - this.base;
    if (offset === live && this.sparse.size === 0) {
      this.blobs.push(blob); // the common case: the next position of the dense run
      this.offsets.push(at);
      this.count++;
      return;
    }
    if (offset >= 0 && offset < live + DENSE_SLACK_POSITIONS) {
      while (this.blobs.length - this.head <= offset) this.grow();
      const slot = this.head + offset;
      if (this.blobs[slot] === undefined) this.count++;
      this.blobs[slot] = blob;
      this.offsets[slot] = at;
      return;
    }
    if (!this.sparse.has(position)) this.count++;
    this.sparse.set(position, { blob, at });
  }

  /** One more dense slot at the end, taking over a sparse entry that already holds it. */
  private grow(): void {
    const position = this.base + this.blobs.length - this.head;
    const moved = this.sparse.size > 0 ? this.sparse.get(position) : undefined;
    if (moved !== undefined) this.sparse.delete(position);
    this.blobs.push(moved?.blob);
    this.offsets.push(moved?.at ?? 0);
  }

  deleteBelow(to: number): void {
    while (this.head < this.blobs.length && this.base < to) {
      if (this.blobs[this.head] !== undefined) this.count--;
      this.blobs[this.head] = undefined;
      this.head++;
      this.base++;
    }
    if (this.head > 4096 && this.head * 2 > this.blobs.length) {
      this.blobs = this.blobs.slice(this.head);
      this.offsets = this.offsets.slice(this.head);
      this.head = 0;
    }
    for (const p of this.sparse.keys()) {
      if (p >= to) continue;
      this.sparse.delete(p);
      this.count--;
    }
    if (this.head === this.blobs.length && to > this.base) this.base = to;
  }

  /** Every entry in position order. */
  forEachInOrder(each: (blob: Uint8Array, at: number) => void): void {
    const sparse = [...this.sparse.keys()].sort((a, b) => a - b);
    let s = 0;
    for (let slot = this.head; slot < this.blobs.length; slot++) {
      const position = this.base + slot - this.head;
      for (; s < sparse.length && sparse[s]! < position; s++) {
        const e = this.sparse.get(sparse[s]!)!;
        each(e.blob, e.at);
      }
      const blob = this.blobs[slot];
      if (blob !== undefined) each(blob, this.offsets[slot]!);
    }
    for (; s < sparse.length; s++) {
      const e = this.sparse.get(sparse[s]!)!;
      each(e.blob, e.at);
    }
  }
}

function frameAt(blob: Uint8Array, at: number): Uint8Array {
  const length = 10 + new DataView(blob.buffer, blob.byteOffset + at).getUint32(2, true);
  return blob.subarray(at, at + length);
}


function emptyView(): DurableView {
  return { status: 0, promised: 0, fenceProposal: 0, fencePosition: 0, actions: new Map() };
}

/** Applies one blob of records to a view (later records win; ERASE deletes below). */
export function applyRecords(view: DurableView, blob: Uint8Array): void {
  for (const record of decodeRecords(blob)) {
    if (record.kind === Kind.Metadata) {
      view.status = record.status;
      view.promised = record.promised;
      view.fenceProposal = record.fenceProposal;
      view.fencePosition = record.fencePosition;
    } else if (record.kind === Kind.Action) {
      view.actions.set(record.action.position, record.action);
    } else if (record.kind === Kind.Learn) {
      for (let p = record.first; p < record.first + record.count; p++) {
        const a = view.actions.get(p);
        if (a && a.performed === record.proposal && a.type !== 0 && !a.learned) view.actions.set(p, { ...a, learned: true });
      }
    } else {
      for (const position of view.actions.keys()) if (position < record.to) view.actions.delete(position);
    }
  }
}
