// The smallest etcd v3 gRPC client that can put: one HTTP/2 connection per member (node:http2,
// built into Bun), one stream per call, the PutRequest protobuf encoded by hand. gRPC is etcd's
// native client protocol — the one etcdctl, Go's clientv3 and the `etcd3` npm package speak —
// so this is "etcd through its ordinary client" without a new dependency, and it spares etcd
// the JSON gateway's extra hop (JSON → an internal gRPC call), which on a small machine costs
// etcd CPU that a real client would not make it spend.
import { type ClientHttp2Session, connect } from "node:http2";

/** A gRPC channel to one etcd member. */
export interface EtcdChannel {
  put(key: Uint8Array, value: Uint8Array): Promise<void>;
  close(): void;
}

const PUT_PATH = "/etcdserverpb.KV/Put";
const CALL_TIMEOUT_MS = 30_000;

export function openChannel(client_url: string): EtcdChannel {
  let session: ClientHttp2Session | null = null;
  const ensure = (): ClientHttp2Session => {
    if (session && !session.closed && !session.destroyed) return session;
    const fresh = connect(client_url);
    // Errors surface on the streams too; an unhandled session 'error' would crash the script.
    fresh.on("error", () => { if (session === fresh) session = null; });
    fresh.on("close", () => { if (session === fresh) session = null; });
    session = fresh;
    return fresh;
  };
  return {
    put: (key, value) => call(ensure(), PUT_PATH, putRequest(key, value)),
    close: () => { session?.close(); session = null; },
  };
}

/** etcdserverpb.PutRequest { bytes key = 1; bytes value = 2; }, in a gRPC length-prefixed frame. */
function putRequest(key: Uint8Array, value: Uint8Array): Buffer {
  const fields = [field(1, key), field(2, value)];
  const length = fields.reduce((sum, f) => sum + f.length, 0);
  const frame = Buffer.allocUnsafe(5 + length);
  frame[0] = 0; // not compressed
  frame.writeUInt32BE(length, 1);
  let at = 5;
  for (const f of fields) { frame.set(f, at); at += f.length; }
  return frame;
}

function field(number: number, bytes: Uint8Array): Uint8Array {
  const head = [(number << 3) | 2]; // wire type 2: length-delimited
  for (let n = bytes.length; ; n >>>= 7) { // bounded: ≤ 5 bytes for a 32-bit length
    if (n < 0x80) { head.push(n); break; }
    head.push((n & 0x7f) | 0x80);
  }
  const out = new Uint8Array(head.length + bytes.length);
  out.set(head, 0);
  out.set(bytes, head.length);
  return out;
}

/** One unary call: resolves when the trailers say grpc-status 0. The reply body is not needed. */
function call(session: ClientHttp2Session, path: string, frame: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers" });
    let status: string | undefined;
    let message = "";
    const note = (headers: Record<string, unknown>) => {
      if (headers["grpc-status"] !== undefined) status = String(headers["grpc-status"]);
      if (headers["grpc-message"] !== undefined) message = decodeURIComponent(String(headers["grpc-message"]));
    };
    // Our own timer: Bun's stream.setTimeout adds a listener to the session per stream.
    const timer = setTimeout(() => stream.close(), CALL_TIMEOUT_MS);
    stream.on("response", note); // a trailers-only (error) answer carries the status here
    stream.on("trailers", note);
    stream.on("data", () => { /* the PutResponse header: not needed */ });
    stream.on("error", reject);
    stream.on("close", () => {
      clearTimeout(timer);
      if (status === "0") resolve();
      else reject(new Error(`etcd ${path}: grpc-status ${status ?? "none"} ${message}`));
    });
    stream.end(frame);
  });
}
