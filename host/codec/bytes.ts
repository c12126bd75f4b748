// Little-endian byte writer/reader for the TS mirror of the core's codec. u64 fields are JS
// numbers and must stay below 2^53 (asserted on write, refused on read), as in the core.

export const U53_MAX = Number.MAX_SAFE_INTEGER;

export class ByteWriter {
  private buffer: Uint8Array;
  private view: DataView;
  length = 0;

  constructor(capacity = 256) {
    this.buffer = new Uint8Array(capacity);
    this.view = new DataView(this.buffer.buffer);
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): this {
    this.reserve(1);
    this.view.setUint8(this.length, v);
    this.length += 1;
    return this;
  }

  u32(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`u32 out of range: ${v}`);
    this.reserve(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
    return this;
  }

  u64(v: number): this {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`u64 beyond 2^53: ${v}`);
    this.reserve(8);
    this.view.setUint32(this.length, v % 0x100000000, true);
    this.view.setUint32(this.length + 4, Math.floor(v / 0x100000000), true);
    this.length += 8;
    return this;
  }

  bytes(data: Uint8Array): this {
    this.reserve(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
    return this;
  }

  patchU32(at: number, v: number): void {
    this.view.setUint32(at, v, true);
  }

  /** The bytes written so far, as a view (copy it if the writer is reused). */
  view_(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  toBytes(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

/** Reads from a byte range; throws CodecError on any overrun or value out of range. */
export class ByteReader {
  private view: DataView;
  offset: number;

  constructor(readonly source: Uint8Array, offset = 0, readonly end = source.length) {
    this.view = new DataView(source.buffer, source.byteOffset, source.byteLength);
    this.offset = offset;
  }

  private need(n: number): void {
    if (this.offset + n > this.end) throw new CodecError("short input");
  }

  remaining(): number {
    return this.end - this.offset;
  }

  u8(): number {
    this.need(1);
    return this.view.getUint8(this.offset++);
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return v;
  }

  u64(): number {
    this.need(8);
    const lo = this.view.getUint32(this.offset, true);
    const hi = this.view.getUint32(this.offset + 4, true);
    this.offset += 8;
    const v = hi * 0x100000000 + lo;
    if (v > U53_MAX) throw new CodecError("u64 beyond 2^53");
    return v;
  }

  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.source.slice(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
}

export class CodecError extends Error {
  override name = "CodecError";
}

/** The parts joined into one new array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
