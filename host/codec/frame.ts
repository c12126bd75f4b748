// Frames, records and messages: the TS mirror of core/codec (frame.ts, records.ts,
// messages.ts document the byte layout; this file must produce the same bytes, which the
// golden vectors in test/fixtures/codec-vectors.json pin on both sides).
//   frame := version:u8 (=1) | kind:u8 | body_len:u32 | body | crc32c:u32
import { ByteReader, ByteWriter, CodecError } from "./bytes.ts";
import { crc32c } from "./crc32c.ts";

export const CODEC_VERSION = 1;
export const FRAME_OVERHEAD = 10;
export const MESSAGE_MAX_BYTES = (1 << 20) + (1 << 20) + (64 << 10);

export const Kind = {
  Metadata: 1,
  Action: 2,
  Erase: 3,
  Learn: 4,
  PromiseRequest: 16,
  PromiseResponse: 17,
  WriteRequest: 18,
  WriteResponse: 19,
  Learned: 20,
  RecoverRequest: 21,
  RecoverResponse: 22,
  FenceRequest: 23,
  FenceResponse: 24,
  LearnedRange: 25,
} as const;

/** Writes one frame whose body is produced by `body`. */
export function writeFrame(w: ByteWriter, kind: number, body: (w: ByteWriter) => void): void {
  const start = w.length;
  w.u8(CODEC_VERSION).u8(kind).u32(0);
  body(w);
  const bodyLength = w.length - start - 6;
  w.patchU32(start + 2, bodyLength);
  w.u32(crc32c(w.view_(), start, start + 6 + bodyLength));
}

export interface Frame {
  kind: number;
  body: ByteReader;
  /** Bytes the whole frame occupies. */
  total: number;
}

/** Checks and opens the frame at `offset`; throws CodecError on any mismatch. */
export function readFrame(bytes: Uint8Array, offset = 0): Frame {
  const available = bytes.length - offset;
  if (available < FRAME_OVERHEAD) throw new CodecError("short frame");
  if (bytes[offset] !== CODEC_VERSION) throw new CodecError(`codec version ${bytes[offset]}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset);
  const bodyLength = view.getUint32(2, true);
  if (bodyLength > MESSAGE_MAX_BYTES - FRAME_OVERHEAD) throw new CodecError("frame too long");
  const total = FRAME_OVERHEAD + bodyLength;
  if (total > available) throw new CodecError("truncated frame");
  const expected = view.getUint32(6 + bodyLength, true);
  if (crc32c(bytes, offset, offset + 6 + bodyLength) !== expected) throw new CodecError("checksum mismatch");
  return { kind: bytes[offset + 1]!, body: new ByteReader(bytes, offset + 6, offset + 6 + bodyLength), total };
}
