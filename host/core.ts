// Loads the WASM core (embedded in the compiled binary, or from build/ in tests) and checks
// its boundary: the module may import nothing but env.abort, so it cannot read a clock or a
// host random source behind our back. A failed core assertion arrives through env.abort and
// becomes a CoreAbort: crash-only, the caller logs it and exits.
import { readFileSync } from "node:fs";
import { FRAME_OVERHEAD } from "./codec/frame.ts";
import wasmPath from "../build/core.wasm" with { type: "file" };

/** The raw exports of one core instance; see core/index.ts for the contract. */
export interface CoreExports {
  memory: WebAssembly.Memory;
  input_ptr(): number;
  input_cap(): number;
  output_ptr(): number;
  output_cap(): number;
  init(len: number): number;
  step(len: number): number;
  ready(): number;
  advance(): void;
  core_hash(): number;
}

/** A violated invariant inside the core. Never caught to continue: the process must exit. */
export class CoreAbort extends Error {
  override name = "CoreAbort";
}

const ALLOWED_IMPORTS = ["env.abort"];

let compiled: WebAssembly.Module | null = null;

/** Compiles the core once per process; every instance shares the compiled module. */
export function coreModule(): WebAssembly.Module {
  if (compiled === null) {
    const bytes = readFileSync(wasmPath);
    const module = new WebAssembly.Module(bytes);
    assertImports(module);
    compiled = module;
  }
  return compiled;
}

/** Throws unless the module's imports are exactly a subset of ALLOWED_IMPORTS. */
export function assertImports(module: WebAssembly.Module): void {
  const imports = WebAssembly.Module.imports(module).map((i) => `${i.module}.${i.name}`);
  const extra = imports.filter((name) => !ALLOWED_IMPORTS.includes(name));
  if (extra.length > 0) {
    throw new Error(`core.wasm imports ${extra.join(", ")}; only ${ALLOWED_IMPORTS.join(", ")} is allowed`);
  }
}

/** A fresh core instance: one instance is one state machine (one replica's log node). */
export function instantiateCore(): CoreExports {
  let memory: WebAssembly.Memory | null = null;
  const env = {
    abort(messagePtr: number, filePtr: number, line: number, column: number): never {
      const message = memory ? readString(memory, messagePtr) : "?";
      const file = memory ? readString(memory, filePtr) : "?";
      throw new CoreAbort(`core assertion failed: ${message} at ${file}:${line}:${column}`);
    },
  };
  const instance = new WebAssembly.Instance(coreModule(), { env });
  const exports = instance.exports as unknown as CoreExports;
  memory = exports.memory;
  return exports;
}

/** Reads an AssemblyScript string (UTF-16, byte length stored 4 bytes before it). */
function readString(memory: WebAssembly.Memory, ptr: number): string {
  if (ptr === 0) return "";
  const view = new DataView(memory.buffer);
  const byteLength = view.getUint32(ptr - 4, true);
  const units = new Uint16Array(memory.buffer, ptr, byteLength >>> 1);
  return String.fromCharCode(...units);
}

// ---- The typed wrapper: one LogCore = one replicated-log node ------------------------------
//
// Encodings (core/node.ts and core/log/outbox.ts are the reference):
//   init   := version:u8 | node_id:u32 | quorum:u32 | flags:u32 | seed:u64 | n:u32 | ids:u32×n
//   event  := kind:u8 | body (EventKind below)
//   batch  := version:u8 | flags:u8 | u16 | persist_len:u32 | persist | messages | learned |
//             results | notices

/** Bounds the host shares with the core (core/util/limits.ts). */
export const LIMITS = {
  tickMs: 10,
  entryPayloadMaxBytes: 1 << 20,
  messageMaxBytes: (1 << 20) + (1 << 20) + (64 << 10),
  positionMax: Number.MAX_SAFE_INTEGER,
} as const;

export const EventKind = {
  Tick: 1,
  PeerMessage: 2,
  Append: 3,
  Truncate: 4,
  Elect: 5,
  Demote: 6,
  Restore: 7,
  Start: 8,
  Catchup: 9,
} as const;

/** Negative step() codes: operating errors, not bugs. */
export const StepError = {
  Malformed: -1,
  UnknownPeer: -2,
  NotStarted: -3,
  QueueFull: -4,
  Backpressure: -5,
  Corrupt: -6,
  State: -7,
} as const;

export const BROADCAST = 0xffffffff;

export const ResultKind = { Append: 1, Truncate: 2, Catchup: 3 } as const;
export const ResultStatus = { None: 0, Ok: 1, Invalid: 2 } as const;
/** ConflictRefused: a message would have overwritten learned positions (a = how many, b = the first); refused. */
export const NoticeKind = { Status: 1, Elected: 2, ElectFailed: 3, Demoted: 4, InitNeeded: 5, ConflictRefused: 6 } as const;

export interface LogConfig {
  nodeId: number;
  quorum: number;
  /** Replica ids of the ensemble, including nodeId. */
  replicas: number[];
  autoInitialize: boolean;
  /** Seeds the core's PRNG (proposal back-off); 0 ≤ seed < 2^53. */
  seed: number;
  /** TEST ONLY: a broken replica that accepts writes below its promise (mutation testing). */
  mutationAcceptLowWrites?: boolean;
  /** TEST ONLY: a broken replica whose learn() overwrites learned positions (mutation testing). */
  mutationOverwriteLearned?: boolean;
}

export interface OutMessage {
  /** A replica id, or BROADCAST for every replica but this one. */
  to: number;
  bytes: Uint8Array;
}

export interface LearnedEntry {
  position: number;
  type: number;
  tombstone: boolean;
  /** APPEND: the payload; TRUNCATE: `to` as u64 LE; NOP: empty. */
  bytes: Uint8Array;
}

export interface Result {
  requestId: number;
  kind: number;
  status: number;
  position: number;
}

export interface Notice {
  kind: number;
  a: number;
  b: number;
}

/** One ready() batch; carry it out in field order, then call advance(). */
export interface ReadyBatch {
  mustSync: boolean;
  /** Record frames to persist atomically (empty when nothing changed). */
  persist: Uint8Array;
  messages: OutMessage[];
  learned: LearnedEntry[];
  results: Result[];
  notices: Notice[];
}

export class LogCore {
  readonly exports: CoreExports;
  private buffer: ArrayBuffer | null = null;
  private input: Uint8Array = new Uint8Array(0);
  private inputView: DataView = new DataView(new ArrayBuffer(8));

  constructor(readonly config: LogConfig) {
    this.exports = instantiateCore();
    const ids = config.replicas;
    const bytes = new Uint8Array(25 + 4 * ids.length);
    const v = new DataView(bytes.buffer);
    v.setUint8(0, 1);
    v.setUint32(1, config.nodeId, true);
    v.setUint32(5, config.quorum, true);
    const mutations = (config.mutationAcceptLowWrites ? 0x80000000 : 0) | (config.mutationOverwriteLearned ? 0x40000000 : 0);
    v.setUint32(9, ((config.autoInitialize ? 1 : 0) | mutations) >>> 0, true);
    setU64(v, 13, config.seed);
    v.setUint32(21, ids.length, true);
    ids.forEach((id, i) => v.setUint32(25 + 4 * i, id, true));
    this.refresh();
    this.input.set(bytes);
    const code = this.exports.init(bytes.length);
    if (code !== 0) throw new Error(`core init refused the config (code ${code})`);
  }

  /** Rebuilds the input view when memory has grown (growth detaches old views). */
  private refresh(): void {
    const buffer = this.exports.memory.buffer;
    if (buffer === this.buffer) return;
    this.buffer = buffer;
    this.input = new Uint8Array(buffer, this.exports.input_ptr(), this.exports.input_cap());
    this.inputView = new DataView(buffer, this.exports.input_ptr(), this.exports.input_cap());
  }

  private stepWith(kind: number, bodyLength: number, fill: (view: DataView, bytes: Uint8Array) => void): number {
    this.refresh();
    if (1 + bodyLength > this.input.length) throw new RangeError("event larger than the input region");
    this.input[0] = kind;
    fill(this.inputView, this.input);
    return this.exports.step(1 + bodyLength);
  }

  tick(ticks = 1): number {
    return this.stepWith(EventKind.Tick, 4, (v) => v.setUint32(1, ticks, true));
  }

  receive(from: number, bytes: Uint8Array): number {
    return this.stepWith(EventKind.PeerMessage, 4 + bytes.length, (v, b) => {
      v.setUint32(1, from, true);
      b.set(bytes, 5);
    });
  }

  append(requestId: number, payload: Uint8Array): number {
    // The hot path of every append: written directly, without stepWith's closure.
    this.refresh();
    if (5 + payload.length > this.input.length) throw new RangeError("event larger than the input region");
    this.input[0] = EventKind.Append;
    this.inputView.setUint32(1, requestId, true);
    this.input.set(payload, 5);
    return this.exports.step(5 + payload.length);
  }

  truncate(requestId: number, to: number): number {
    return this.stepWith(EventKind.Truncate, 12, (v) => {
      v.setUint32(1, requestId, true);
      setU64(v, 5, to);
    });
  }

  elect(): number {
    return this.stepWith(EventKind.Elect, 0, () => {});
  }

  demote(): number {
    return this.stepWith(EventKind.Demote, 0, () => {});
  }

  catchup(requestId: number): number {
    return this.stepWith(EventKind.Catchup, 4, (v) => v.setUint32(1, requestId, true));
  }

  /**
   * Feeds stored record frames before start(), cut at frame boundaries into events that fit
   * the input region (a store hands over its whole file, which may be far larger).
   */
  restore(records: Uint8Array): number {
    const cap = this.exports.input_cap() - 1;
    for (let start = 0; start < records.length;) {
      let end = start;
      while (end < records.length) {
        if (end + FRAME_OVERHEAD > records.length) return -1; // a torn frame: malformed
        const frame = FRAME_OVERHEAD + new DataView(records.buffer, records.byteOffset + end + 2, 4).getUint32(0, true);
        if (end + frame > records.length) return -1;
        if (end + frame - start > cap) break;
        end += frame;
      }
      if (end === start) return -1; // one frame larger than any event: malformed
      const chunk = records.subarray(start, end);
      const code = this.stepWith(EventKind.Restore, chunk.length, (_v, b) => b.set(chunk, 1));
      if (code !== 0) return code;
      start = end;
    }
    return 0;
  }

  start(): number {
    return this.stepWith(EventKind.Start, 0, () => {});
  }

  /** The pending batch, decoded (null when there is nothing to do). */
  ready(): ReadyBatch | null {
    const length = this.exports.ready();
    if (length === 0) return null;
    const start = this.exports.output_ptr();
    const bytes = new Uint8Array(this.exports.memory.buffer, start, length).slice();
    return decodeBatch(bytes);
  }

  /**
   * The pending batch decoded in place, over the core's own memory: nothing is copied. Its
   * byte views (persist, message frames, learned bytes) are valid only until advance() or
   * the next call into this core; a host that keeps any of them (a queue of messages in
   * flight, a store that holds blobs) copies what it keeps. Use ready() otherwise.
   */
  readyView(): ReadyBatch | null {
    const length = this.exports.ready();
    if (length === 0) return null;
    return decodeBatch(new Uint8Array(this.exports.memory.buffer, this.exports.output_ptr(), length), true);
  }

  advance(): void {
    this.exports.advance();
  }

  hash(): number {
    return this.exports.core_hash();
  }
}

function setU64(v: DataView, at: number, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`u64 beyond 2^53: ${value}`);
  v.setUint32(at, value % 0x100000000, true);
  v.setUint32(at + 4, Math.floor(value / 0x100000000), true);
}

function getU64(v: DataView, at: number): number {
  return v.getUint32(at + 4, true) * 0x100000000 + v.getUint32(at, true);
}

/**
 * A learned entry read from the batch on use (readyView: a batch carries one entry per
 * position, and a host that only counts them or copies a few should not pay for decoding
 * each). Same contract as the eager entry: valid until advance().
 */
class LazyLearnedEntry implements LearnedEntry {
  constructor(
    private readonly source: Uint8Array,
    private readonly view: DataView,
    /** Offset of the entry's header in `source`. */
    private readonly at: number,
  ) {}

  get position(): number {
    return getU64(this.view, this.at);
  }

  get type(): number {
    return this.source[this.at + 8]!;
  }

  get tombstone(): boolean {
    return (this.source[this.at + 9]! & 1) !== 0;
  }

  get bytes(): Uint8Array {
    const start = this.at + 14;
    return this.source.subarray(start, start + this.view.getUint32(this.at + 10, true));
  }
}

/**
 * Decodes a ready() batch; the views it returns share `bytes`. With `lazy`, learned entries
 * are read from `bytes` on use (see LazyLearnedEntry).
 */
export function decodeBatch(bytes: Uint8Array, lazy = false): ReadyBatch {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint8(0) !== 1) throw new Error(`batch version ${v.getUint8(0)}`);
  const mustSync = (v.getUint8(1) & 1) !== 0;
  let p = 4;
  const persistLength = v.getUint32(p, true);
  const persist = bytes.subarray(p + 4, p + 4 + persistLength);
  p += 4 + persistLength;
  const messages: OutMessage[] = [];
  for (let n = v.getUint32(p, true), i = (p += 4, 0); i < n; i++) {
    const len = v.getUint32(p + 4, true);
    messages.push({ to: v.getUint32(p, true), bytes: bytes.subarray(p + 8, p + 8 + len) });
    p += 8 + len;
  }
  const learned: LearnedEntry[] = [];
  for (let n = v.getUint32(p, true), i = (p += 4, 0); i < n; i++) {
    const len = v.getUint32(p + 10, true);
    learned.push(
      lazy
        ? new LazyLearnedEntry(bytes, v, p)
        : { position: getU64(v, p), type: bytes[p + 8]!, tombstone: (bytes[p + 9]! & 1) !== 0, bytes: bytes.subarray(p + 14, p + 14 + len) },
    );
    p += 14 + len;
  }
  const results: Result[] = [];
  for (let n = v.getUint32(p, true), i = (p += 4, 0); i < n; i++, p += 14) {
    results.push({ requestId: v.getUint32(p, true), kind: v.getUint8(p + 4), status: v.getUint8(p + 5), position: getU64(v, p + 6) });
  }
  const notices: Notice[] = [];
  for (let n = v.getUint32(p, true), i = (p += 4, 0); i < n; i++, p += 17) {
    notices.push({ kind: v.getUint8(p), a: getU64(v, p + 1), b: getU64(v, p + 9) });
  }
  if (p !== bytes.length) throw new Error(`batch length mismatch: parsed ${p} of ${bytes.length}`);
  return { mustSync, persist, messages, learned, results, notices };
}
