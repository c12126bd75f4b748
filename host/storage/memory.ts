// In-memory replica store for tests and the simulator. It is log-structured: each persisted
// blob is appended as is (one copy, no decoding on the hot path), so it models a WAL:
//   - persist(blob, false) lands in the volatile tail (the OS page cache);
//   - persist(blob, true)  syncs: the tail and this blob become durable;
//   - crash()              loses the volatile tail (writes never synced), like power loss;
//   - wipe()               loses everything (a replaced disk).
// With `track` on, it also keeps a decoded view of the durable state (status, promise, actions)
// so checkers can verify that a reply was durable before it was sent (S5).
import type { ReplicaStore } from "./types.ts";
import { decodeRecords, encodeRecord, Kind, type Action } from "../codec/index.ts";

export interface DurableView {
  status: number;
  promised: number;
  fenceProposal: number;
  fencePosition: number;
  actions: Map<number, Action>;
}

const COMPACT_AT_BYTES = 8 << 20;

export class MemoryStore implements ReplicaStore {
  private durable: Uint8Array[] = [];
  private durableBytes = 0;
  private volatile: Uint8Array[] = [];
  /** Decoded durable state, kept only when tracking (simulation). */
  readonly view: DurableView | null;
  /** Count of sync calls, for reports. */
  syncs = 0;

  constructor(options: { track?: boolean } = {}) {
    this.view = options.track ? emptyView() : null;
  }

  load(): Uint8Array[] {
    return [...this.durable, ...this.volatile];
  }

  persist(blob: Uint8Array, sync: boolean): void {
    if (blob.length > 0) this.volatile.push(blob.slice());
    if (sync) this.sync();
  }

  private sync(): void {
    this.syncs++;
    for (const blob of this.volatile) {
      this.durable.push(blob);
      this.durableBytes += blob.length;
      if (this.view) applyRecords(this.view, blob);
    }
    this.volatile = [];
    if (this.durableBytes > COMPACT_AT_BYTES) this.compact();
  }

  /** Loses every write that was not synced. */
  crash(): void {
    this.volatile = [];
  }

  /** Loses everything. */
  wipe(): void {
    this.durable = [];
    this.durableBytes = 0;
    this.volatile = [];
    if (this.view) Object.assign(this.view, emptyView());
  }

  /** The current state (durable and volatile), decoded. */
  snapshot(): DurableView {
    const view = emptyView();
    for (const blob of this.load()) applyRecords(view, blob);
    return view;
  }

  /** Rewrites the durable log as its latest records (bounded memory in long runs). */
  private compact(): void {
    const view = emptyView();
    for (const blob of this.durable) applyRecords(view, blob);
    const parts: Uint8Array[] = [];
    if (view.status !== 0) {
      const { status, promised, fenceProposal, fencePosition } = view;
      parts.push(encodeRecord({ kind: Kind.Metadata, status, promised, fenceProposal, fencePosition }));
    }
    for (const action of [...view.actions.values()].sort((a, b) => a.position - b.position)) {
      parts.push(encodeRecord({ kind: Kind.Action, action }));
    }
    const blob = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      blob.set(p, at);
      at += p.length;
    }
    this.durable = [blob];
    this.durableBytes = blob.length;
  }
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
    } else {
      for (const position of view.actions.keys()) if (position < record.to) view.actions.delete(position);
    }
  }
}
