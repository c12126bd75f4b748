// One registry state machine in its own WASM core instance (core/registry/). The host hands
// it encoded batches (codec.ts) and takes snapshots out; every call copies bytes across the
// boundary, so nothing returned aliases the core's memory (which may move as it grows).
import { instantiateCore, type CoreExports } from "../core.ts";
import { REGISTRY_LIMITS, RegistryFormatError } from "./codec.ts";
import { Section } from "./types.ts";

export { RegistryFormatError } from "./codec.ts";

/** The registry_* exports of core/index.ts. */
interface RegistryExports extends CoreExports {
  registry_init(): void;
  registry_reserve(len: number): number;
  registry_apply(len: number): number;
  registry_snapshot(sections: number): number;
  registry_restore(len: number): number;
  registry_size(): number;
}

export class RegistryCore {
  private readonly core: RegistryExports;

  constructor() {
    this.core = instantiateCore() as RegistryExports;
    this.core.registry_init();
  }

  /** Applies one batch (codec.encodeBatch); one byte per operation, 1 ok / 0 error. */
  apply(batch: Uint8Array): Uint8Array {
    if (batch.length > REGISTRY_LIMITS.batchMaxBytes) {
      throw new RegistryFormatError(`registry batch of ${batch.length} bytes exceeds ${REGISTRY_LIMITS.batchMaxBytes}`);
    }
    this.place(batch);
    const count = this.core.registry_apply(batch.length);
    if (count < 0) throw new RegistryFormatError(`registry batch refused (code ${count})`);
    return new Uint8Array(this.core.memory.buffer, this.core.output_ptr(), count).slice();
  }

  /** The selected sections (types.ts Section bits) as snapshot bytes; a copy. */
  snapshot(sections: number = Section.ALL): Uint8Array {
    if (!Number.isInteger(sections) || sections <= 0 || (sections & ~Section.ALL) !== 0) {
      throw new RangeError(`bad registry section mask ${sections}`);
    }
    const length = this.core.registry_snapshot(sections);
    return new Uint8Array(this.core.memory.buffer, this.core.output_ptr(), length).slice();
  }

  /** Replaces the registry with a full snapshot; on any defect throws and keeps the state. */
  restore(snapshot: Uint8Array): void {
    if (snapshot.length > REGISTRY_LIMITS.inputMaxBytes) {
      throw new RegistryFormatError(`registry snapshot of ${snapshot.length} bytes exceeds ${REGISTRY_LIMITS.inputMaxBytes}`);
    }
    this.place(snapshot);
    const code = this.core.registry_restore(snapshot.length);
    if (code < 0) throw new RegistryFormatError(`registry snapshot refused (code ${code})`);
  }

  /** Bytes of the full snapshot (Mesos's registrar/registry_size_bytes). */
  sizeBytes(): number {
    return this.core.registry_size();
  }

  /** Copies bytes into the core's input region (the view is taken after reserve: memory may grow). */
  private place(bytes: Uint8Array): void {
    const ptr = this.core.registry_reserve(bytes.length);
    new Uint8Array(this.core.memory.buffer, ptr, bytes.length).set(bytes);
  }
}
