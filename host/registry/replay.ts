// Rebuilds the registry from the registrar's log entries (entries.ts), as a hot standby that
// follows the log's learned entries or from a list handed over whole. The leader writes a
// snapshot's chunks interleaved with the batches after it: chunk 0 lands right after the last
// batch the snapshot holds, and each later store carries at most one more chunk ahead of its
// batch, so a large snapshot never holds up the writes behind it. Hence:
//   - with the state known (replay began at the log's start, or at an earlier snapshot), a
//     snapshot's chunk 0 must checksum to exactly the replayed state (invariant S4), and its
//     other chunks carry nothing new;
//   - with the state unknown (the log was truncated to a snapshot's chunk 0), the batches
//     between the chunks are held until the snapshot is complete, then applied on top of it.
import { crc32c } from "../codec/crc32c.ts";
import type { RegistryCore } from "./core.ts";
import { decodeEntry, EntryKind, SnapshotAssembly } from "./entries.ts";
import { Section } from "./types.ts";

/** Bytes of batches held while an unknown state waits for its snapshot's last chunk. */
export const HELD_BATCH_BYTES_MAX = 256 << 20;

export class RegistryReplay {
  /** True when the core holds the registry as of the last entry replayed. */
  known = false;
  /** Bytes of batches since the last snapshot began (the registrar's snapshot policy). */
  bytes_since_snapshot = 0;
  /** Size of the last snapshot seen (0 before any). */
  last_snapshot_bytes = 0;
  private readonly assembly = new SnapshotAssembly();
  private held: Uint8Array[] = [];
  private held_bytes = 0;

  constructor(private readonly core: RegistryCore) {}

  /**
   * Where replay starts: at the log's beginning (an empty registry is known) or anywhere else
   * (unknown until a complete snapshot).
   */
  start(at_log_beginning: boolean): void {
    this.known = at_log_beginning;
    this.assembly.reset();
    this.held = [];
    this.held_bytes = 0;
  }

  /** One entry's payload; throws when the log cannot give a registry (never half-applies a batch). */
  apply(payload: Uint8Array): void {
    const entry = decodeEntry(payload);
    if (entry.kind === EntryKind.OPERATIONS) {
      this.bytes_since_snapshot += payload.length;
      if (this.known) {
        this.core.apply(entry.batch);
        return;
      }
      if (!this.assembly.started()) throw new Error("the log holds registry operations without the snapshot they follow");
      this.held_bytes += entry.batch.length;
      if (this.held_bytes > HELD_BATCH_BYTES_MAX) throw new Error(`more than ${HELD_BATCH_BYTES_MAX} bytes of batches wait for an incomplete snapshot`);
      this.held.push(entry.batch);
      return;
    }
    if (entry.index === 0) {
      this.bytes_since_snapshot = 0;
      this.last_snapshot_bytes = entry.total_len;
      if (this.known) {
        const state = this.core.snapshot(Section.ALL);
        if (state.length !== entry.total_len || crc32c(state) !== entry.total_crc) {
          throw new Error("replaying the log's operations does not give the registry its snapshot holds (S4)");
        }
        return; // the state is the snapshot: its other chunks add nothing
      }
    }
    if (this.known) return;
    const snapshot = this.assembly.add(entry);
    if (snapshot === null) {
      if (!this.assembly.started()) throw new Error("the registry snapshot the log begins with is incomplete");
      return;
    }
    this.core.restore(snapshot);
    for (const batch of this.held) this.core.apply(batch);
    this.start(false);
    this.known = true;
  }
}
