// The replica store seam: what the core's persist records need from a disk. The core's
// ready() batch carries one blob of record frames (codec/records) and a must_sync flag;
// the store applies the blob atomically and, when asked, makes it (and everything before
// it) durable before returning. At start the host feeds load() back to the core (RESTORE).

export interface ReplicaStore {
  /** Every stored record frame, in order (later records win), as blobs to RESTORE. */
  load(): Uint8Array[];
  /**
   * Applies one batch atomically; with sync, it and all earlier batches become durable.
   * The blob is handed over: the caller must not change it afterwards.
   */
  persist(blob: Uint8Array, sync: boolean): void;
}
