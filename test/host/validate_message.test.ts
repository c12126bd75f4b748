// Proves the peer-payload check lets exactly well-framed messages of our codec through: every
// encoded message passes; truncation, a wrong version, a non-message kind or a length that
// disagrees with the payload is refused before the core sees it.
import { expect, test } from "bun:test";
import { encodeRecord, Kind } from "../../host/codec/index.ts";
import { validateMessage } from "../../host/log/replicated_log.ts";

function messageFrame(kind: number, body: number[]): Uint8Array {
  const bytes = new Uint8Array(10 + body.length);
  const view = new DataView(bytes.buffer);
  bytes[0] = 1;
  bytes[1] = kind;
  view.setUint32(2, body.length, true);
  bytes.set(body, 6);
  return bytes;
}

test("a framed message passes; damaged framing is refused with a reason", () => {
  const ok = messageFrame(Kind.RecoverRequest, [1, 2, 3, 4]);
  expect(validateMessage(ok)).toBeNull();
  expect(validateMessage(ok.subarray(0, 9))).toContain("shorter");
  expect(validateMessage(ok.subarray(0, ok.length - 1))).toContain("frame length");
  const version = ok.slice();
  version[0] = 2;
  expect(validateMessage(version)).toContain("codec version 2");
  expect(validateMessage(encodeRecord({ kind: Kind.Erase, to: 5 }))).toContain("not a message");
  const long = new Uint8Array(ok.length + 1);
  long.set(ok);
  expect(validateMessage(long)).toContain("frame length");
});
