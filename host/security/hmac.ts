// The challenge-response used by the log's peer hello and the agent channel: each side sends a
// fresh random nonce, each proves it knows the shared secret with an HMAC-SHA256 over both
// nonces and the identities being claimed (so an answer can't be replayed on another link, for
// another replica or in the other direction), and the secret never crosses the wire.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const NONCE_BYTES = 32;
export const MAC_BYTES = 32;

export function nonce(): Uint8Array {
  return new Uint8Array(randomBytes(NONCE_BYTES));
}

/**
 * HMAC-SHA256(secret, label ‖ len-prefixed parts). Each part is length-prefixed so that no two
 * different part lists give the same input ("ab","c" vs "a","bc").
 */
export function mac(secret: Uint8Array, label: string, parts: readonly (string | Uint8Array)[]): Uint8Array {
  const h = createHmac("sha256", secret);
  h.update(label);
  for (const part of parts) {
    const bytes = typeof part === "string" ? new TextEncoder().encode(part) : part;
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, bytes.length, false);
    h.update(length);
    h.update(bytes);
  }
  return new Uint8Array(h.digest());
}

/** Constant-time comparison of two MACs; false for any length mismatch. */
export function macEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.length === MAC_BYTES && timingSafeEqual(a, b);
}
