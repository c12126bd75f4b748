// The peer wire format: one WebSocket binary message carries exactly one frame,
//   [version u8][type u8][length u32 LE][crc32(payload) u32 LE] payload
// The WebSocket layer already delimits messages; the length and checksum are ours so that a
// corrupted or truncated message is caught here (S13: no corrupt data reaches the core) no
// matter what the layers below did. The version byte stays the first byte in every future
// version, so an old master can always name what it got.

import { crc32 } from "./crc32.ts";
import { MAC_BYTES, NONCE_BYTES } from "../security/hmac.ts";

/** Bumped on any incompatible change of the frame or hello layout (2: nonces, MACs, AUTH). */
export const PROTOCOL_VERSION = 2;
export const FRAME_HEADER_BYTES = 10;
/** Default bound on one frame's payload (constructor option `frame_bytes_max`). */
export const FRAME_BYTES_MAX_DEFAULT = 4 * 1024 * 1024;
/** Hard ceiling for `frame_bytes_max`: the core's messages are far smaller. */
export const FRAME_BYTES_LIMIT = 64 * 1024 * 1024;
/** Bounds on the two strings of a hello (a ZooKeeper path or a --masters list; a host:port). */
export const HELLO_CLUSTER_BYTES_MAX = 4096;
export const HELLO_REPLICA_BYTES_MAX = 512;

export const FrameType = {
  /** First frame in each direction: who we are and which cluster we belong to. */
  HELLO: 1,
  /** An opaque payload in the core's codec, delivered to onMessage. */
  MESSAGE: 2,
  /** Keep-alive, empty payload: lets each side detect a dead or stalled link. */
  PING: 3,
  /** Dialer -> listener, after the listener's hello: the dialer's MAC (empty without a secret). */
  AUTH: 4,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

const FRAME_TYPES: ReadonlySet<number> = new Set(Object.values(FrameType));

export type Decoded = { ok: true; type: FrameType; payload: Uint8Array } | { ok: false; reason: string };

/** Encodes one frame; the payload is copied (callers may reuse their buffer). */
export function encodeFrame(type: FrameType, payload: Uint8Array, version: number = PROTOCOL_VERSION): Uint8Array {
  const frame = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  const view = new DataView(frame.buffer);
  view.setUint8(0, version);
  view.setUint8(1, type);
  view.setUint32(2, payload.length, true);
  view.setUint32(6, crc32(payload), true);
  frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}

/**
 * Checks one received message and returns its payload (a view into `bytes`), or why it is
 * not a valid frame. Checks are ordered so that the reason names the first thing wrong.
 */
export function decodeFrame(bytes: Uint8Array, frame_bytes_max: number): Decoded {
  if (bytes.length < 1) return { ok: false, reason: "empty frame" };
  if (bytes[0] !== PROTOCOL_VERSION) return { ok: false, reason: `protocol version ${bytes[0]}, expected ${PROTOCOL_VERSION}` };
  if (bytes.length < FRAME_HEADER_BYTES) return { ok: false, reason: `short frame of ${bytes.length} bytes` };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = view.getUint8(1);
  if (!FRAME_TYPES.has(type)) return { ok: false, reason: `unknown frame type ${type}` };
  const length = view.getUint32(2, true);
  if (length > frame_bytes_max) return { ok: false, reason: `frame of ${length} bytes exceeds the maximum of ${frame_bytes_max}` };
  if (length !== bytes.length - FRAME_HEADER_BYTES) {
    return { ok: false, reason: `length field ${length} but ${bytes.length - FRAME_HEADER_BYTES} payload bytes` };
  }
  const payload = bytes.subarray(FRAME_HEADER_BYTES);
  const expected = view.getUint32(6, true);
  const actual = crc32(payload);
  if (actual !== expected) return { ok: false, reason: `checksum mismatch (crc32 ${hex(actual)}, header says ${hex(expected)})` };
  if (type === FrameType.PING && length !== 0) return { ok: false, reason: `ping frame with ${length} payload bytes` };
  return { ok: true, type: type as FrameType, payload };
}

export interface Hello {
  /** The cluster's name: the ZooKeeper path, or the --masters list. */
  cluster: string;
  /** The sender's replica id: its advertised "host:port". */
  replica: string;
  /** The sender holds a log secret and will prove it (a side without one refuses such a peer). */
  authenticates: boolean;
  /** NONCE_BYTES fresh random bytes: the challenge the other side's MAC must cover. */
  nonce: Uint8Array;
  /** The listener's MAC (its answer, when it authenticates); null in a dialer's hello. */
  mac: Uint8Array | null;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });
const FLAG_AUTHENTICATES = 1;

/**
 * Hello payload: [u16 LE cluster length][cluster utf-8][u16 LE replica length][replica utf-8]
 * [u8 flags (bit0 authenticates)][nonce NONCE_BYTES][u8 mac length, 0 or MAC_BYTES][mac].
 */
export function encodeHello(hello: Hello): Uint8Array {
  const cluster = encoder.encode(hello.cluster);
  const replica = encoder.encode(hello.replica);
  if (cluster.length > HELLO_CLUSTER_BYTES_MAX) throw new Error(`cluster name of ${cluster.length} bytes exceeds ${HELLO_CLUSTER_BYTES_MAX}`);
  if (replica.length > HELLO_REPLICA_BYTES_MAX) throw new Error(`replica id of ${replica.length} bytes exceeds ${HELLO_REPLICA_BYTES_MAX}`);
  if (hello.nonce.length !== NONCE_BYTES) throw new Error(`hello nonce of ${hello.nonce.length} bytes, expected ${NONCE_BYTES}`);
  const mac = hello.mac ?? new Uint8Array(0);
  if (mac.length !== 0 && mac.length !== MAC_BYTES) throw new Error(`hello MAC of ${mac.length} bytes, expected ${MAC_BYTES}`);
  const out = new Uint8Array(4 + cluster.length + replica.length + 2 + NONCE_BYTES + mac.length);
  const view = new DataView(out.buffer);
  let at = 0;
  view.setUint16(at, cluster.length, true);
  out.set(cluster, (at += 2));
  view.setUint16((at += cluster.length), replica.length, true);
  out.set(replica, (at += 2));
  out[(at += replica.length)] = hello.authenticates ? FLAG_AUTHENTICATES : 0;
  out.set(hello.nonce, (at += 1));
  out[(at += NONCE_BYTES)] = mac.length;
  out.set(mac, at + 1);
  return out;
}

/** Parses a hello payload, or returns why it is malformed. */
export function decodeHello(payload: Uint8Array): Hello | string {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  if (payload.length < 2) return "hello too short";
  const cluster_bytes = view.getUint16(0, true);
  if (cluster_bytes > HELLO_CLUSTER_BYTES_MAX || payload.length < 4 + cluster_bytes) return "hello cluster name malformed";
  const replica_bytes = view.getUint16(2 + cluster_bytes, true);
  const tail = 4 + cluster_bytes + replica_bytes;
  if (replica_bytes > HELLO_REPLICA_BYTES_MAX || payload.length < tail) return "hello replica id malformed";
  if (payload.length < tail + 2 + NONCE_BYTES) return "hello without a nonce";
  const flags = payload[tail]!;
  if ((flags & ~FLAG_AUTHENTICATES) !== 0) return `hello flags ${flags} unknown`;
  const mac_bytes = payload[tail + 1 + NONCE_BYTES]!;
  if ((mac_bytes !== 0 && mac_bytes !== MAC_BYTES) || payload.length !== tail + 2 + NONCE_BYTES + mac_bytes) return "hello MAC malformed";
  try {
    const cluster = decoder.decode(payload.subarray(2, 2 + cluster_bytes));
    const replica = decoder.decode(payload.subarray(4 + cluster_bytes, tail));
    if (replica === "") return "hello with an empty replica id";
    const nonce = payload.slice(tail + 1, tail + 1 + NONCE_BYTES);
    const mac = mac_bytes === 0 ? null : payload.slice(tail + 2 + NONCE_BYTES);
    return { cluster, replica, authenticates: (flags & FLAG_AUTHENTICATES) !== 0, nonce, mac };
  } catch {
    return "hello is not valid UTF-8";
  }
}

function hex(n: number): string {
  return "0x" + n.toString(16).padStart(8, "0");
}
