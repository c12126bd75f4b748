// The protobuf wire format at its lowest level, for the one-pass codecs (protobuf_fast.ts): a writer that reserves one length byte per nested message and widens it
// only when the message turns out to be 128 bytes or longer, and a reader that returns null
// instead of throwing, so that anything unusual falls back to protobufjs and its error texts.

/** Stays on in release builds; node:assert's costs ~15× this on the hot path (measured). */
function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`protobuf_wire assertion failed: ${message}`);
}

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;

/** The largest double below 2^63: the int64/uint64 JSON numbers written here (protobufjs and Long clamp past it). */
export const VARINT64_MAX = 2 ** 63 - 1024;

/** The largest message the scratch writer builds; larger ones take the generic path. */
export const FAST_MESSAGE_BYTES_MAX = 4 * 1024 * 1024;

export function varintBytes(value: number): number {
  assert(Number.isInteger(value) && value >= 0 && value <= 0xffffffff, "varint out of range");
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5;
}

const ASCII_INLINE_CHARS_MAX = 64;

/** One reusable buffer: the master is one thread and every message is copied out when done. */
export class ScratchWriter {
  private buffer = Buffer.allocUnsafe(4096);
  private view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
  pos = 0;

  reset(): void {
    this.pos = 0;
  }

  /** False when `bytes` more would pass FAST_MESSAGE_BYTES_MAX (the caller falls back). */
  reserve(bytes: number): boolean {
    const needed = this.pos + bytes;
    if (needed > FAST_MESSAGE_BYTES_MAX) return false;
    if (needed > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.min(FAST_MESSAGE_BYTES_MAX, Math.max(needed, this.buffer.length * 2)));
      this.buffer.copy(grown, 0, 0, this.pos);
      this.buffer = grown;
      this.view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
    }
    return true;
  }

  /** Callers reserve first: every write below stays inside the buffer. */
  varint(value: number): void {
    assert(value >= 0 && value <= 0xffffffff, "varint out of range");
    let v = value >>> 0;
    while (v >= 0x80) {
      this.buffer[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buffer[this.pos++] = v;
  }

  /**
   * A non-negative integer below 2^63 (int64/uint64 fields from JSON numbers; past 2^53 every
   * double is an integer, split exactly into 32-bit halves as protobufjs and Long split it).
   */
  varint64(value: number): void {
    assert(Number.isInteger(value) && value >= 0 && value <= VARINT64_MAX, "varint64 out of range");
    let lo = value % 0x100000000 >>> 0;
    let hi = Math.floor(value / 0x100000000) >>> 0;
    while (hi > 0 || lo > 0x7f) {
      this.buffer[this.pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    this.buffer[this.pos++] = lo;
  }

  tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  double(value: number): void {
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
  }

  float(value: number): void {
    this.view.setFloat32(this.pos, value, true);
    this.pos += 4;
  }

  /** Opens a nested message: one length byte now, widened by `close` if needed. */
  open(): number {
    this.buffer[this.pos] = 0;
    this.pos += 1;
    return this.pos;
  }

  /** False when the message cannot grow to fit its length prefix (the caller falls back). */
  close(start: number): boolean {
    const length = this.pos - start;
    const extra = varintBytes(length) - 1;
    if (extra > 0) {
      if (!this.reserve(extra)) return false;
      this.buffer.copy(this.buffer, start + extra, start, this.pos);
      this.pos += extra;
    }
    const end = this.pos;
    this.pos = start - 1;
    this.varint(length);
    assert(this.pos === start + extra, "length prefix size");
    this.pos = end;
    return true;
  }

  /** A string as UTF-8 with its length; false if it does not fit. */
  string(value: string): boolean {
    if (!this.reserve(5 + value.length * 3)) return false;
    const start = this.open();
    // Short ASCII strings (ids, names, roles) byte by byte: Buffer.write's call costs more.
    let ascii = value.length <= ASCII_INLINE_CHARS_MAX;
    for (let i = 0; ascii && i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c >= 0x80) ascii = false;
      else this.buffer[this.pos + i] = c;
    }
    this.pos += ascii ? value.length : this.buffer.write(value, this.pos, "utf8");
    return this.close(start);
  }

  bytes(value: Uint8Array): boolean {
    if (!this.reserve(5 + value.length)) return false;
    this.varint(value.length);
    this.buffer.set(value, this.pos);
    this.pos += value.length;
    return true;
  }

  /** A copy of what was written (the scratch buffer is reused). */
  finish(): Uint8Array {
    // Not Buffer's slice(), which is a view.
    const out = new Uint8Array(this.pos);
    out.set(this.buffer.subarray(0, this.pos));
    return out;
  }
}

/** Reads a message; every method returns null (or -1) on anything it does not expect. */
export class WireReader {
  pos: number;

  constructor(readonly bytes: Uint8Array, start = 0, readonly end = bytes.length) {
    this.pos = start;
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  /** A varint of at most 32 bits, or -1 if truncated or longer. */
  varint(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.pos >= this.end) return -1;
      const byte = this.bytes[this.pos++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value <= 0xffffffff ? value : -1;
    }
    return -1;
  }

  /** The bounds of a length-delimited field's payload, or null if it overruns. */
  payload(): { start: number; end: number } | null {
    const length = this.varint();
    if (length < 0 || this.pos + length > this.end) return null;
    const start = this.pos;
    this.pos += length;
    return { start, end: this.pos };
  }

  /** A length-delimited ASCII string (anything else is left to protobufjs's UTF-8 rules). */
  ascii(): string | null {
    const span = this.payload();
    if (span === null) return null;
    let text = "";
    for (let i = span.start; i < span.end; i++) {
      const byte = this.bytes[i]!;
      if (byte >= 0x80) return null;
      text += String.fromCharCode(byte);
    }
    return text;
  }

  base64(): string | null {
    const span = this.payload();
    if (span === null) return null;
    // Uint8Array.prototype.toBase64 (Bun has it; TypeScript's lib does not yet): 4× Buffer's.
    return (this.bytes.subarray(span.start, span.end) as Uint8Array & { toBase64(): string }).toBase64();
  }
}
