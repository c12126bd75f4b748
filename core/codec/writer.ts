// A growable little-endian byte writer. All encoders of the core write through it; its
// capacity only grows (to a bounded size), so steady state allocates nothing.
import { OUTBOX_MAX_BYTES } from "../util/limits";

export class Writer {
  buffer: ArrayBuffer;
  length: i32 = 0;

  constructor(capacity: i32) {
    assert(capacity > 0, "Writer: capacity must be positive");
    this.buffer = new ArrayBuffer(capacity);
  }

  @inline get ptr(): usize {
    return changetype<usize>(this.buffer);
  }

  reset(): void {
    this.length = 0;
  }

  /** Makes room for n more bytes, doubling the buffer (bounded by OUTBOX_MAX_BYTES). */
  @inline reserve(n: i32): void {
    if (<u32>(this.length + n) > <u32>this.buffer.byteLength) this.grow(n);
  }

  private grow(n: i32): void {
    assert(n >= 0, "Writer.grow: negative size");
    const need = this.length + n;
    const capacity = this.buffer.byteLength;
    if (need <= capacity) return;
    let grown = capacity * 2;
    while (grown < need) grown *= 2;
    assert(grown <= OUTBOX_MAX_BYTES * 2, "Writer: buffer beyond limit");
    const next = new ArrayBuffer(grown);
    memory.copy(changetype<usize>(next), this.ptr, <usize>this.length);
    this.buffer = next;
  }

  @inline u8(v: u8): void {
    this.reserve(1);
    store<u8>(this.ptr + <usize>this.length, v);
    this.length += 1;
  }

  @inline u32(v: u32): void {
    this.reserve(4);
    store<u32>(this.ptr + <usize>this.length, v);
    this.length += 4;
  }

  @inline u64(v: u64): void {
    this.reserve(8);
    store<u64>(this.ptr + <usize>this.length, v);
    this.length += 8;
  }

  raw(ptr: usize, len: i32): void {
    assert(len >= 0, "Writer.raw: negative length");
    this.reserve(len);
    memory.copy(this.ptr + <usize>this.length, ptr, <usize>len);
    this.length += len;
  }

  bytes(data: StaticArray<u8>): void {
    this.raw(changetype<usize>(data), data.length);
  }

  /** Overwrites a u32 written earlier (length prefixes filled in after the body). */
  patch_u32(at: i32, v: u32): void {
    assert(at >= 0 && at + 4 <= this.length, "Writer.patch_u32: out of range");
    store<u32>(this.ptr + <usize>at, v);
  }
}
