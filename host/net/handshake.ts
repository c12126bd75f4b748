// The peer hello as a challenge-response, both sides' checks in one place so that they stay
// each other's mirror:
//   dialer   -> HELLO {cluster, replica_d, authenticates, nonce_d}
//   listener -> HELLO {cluster, replica_l, authenticates, nonce_l,
//                      mac_l = MAC(secret, "listener", [cluster, replica_l, replica_d, nonce_d, nonce_l])}
//   dialer   -> AUTH  {mac_d = MAC(secret, "dialer", [cluster, replica_d, replica_l, nonce_l, nonce_d])}
// Each MAC covers the other side's fresh nonce (no replay), both claimed ids (no answer reused
// for another replica) and a label naming the direction (the listener's answer can't be played
// back as a dialer's proof). The secret never crosses the wire. Without a secret on either
// side the MACs are absent and AUTH is empty; a side with a secret refuses a peer without one,
// and the other way round, so that a half-configured cluster fails loudly, not silently open.
import { mac, macEqual, MAC_BYTES } from "../security/hmac.ts";
import type { Hello } from "./frame.ts";
import type { ReplicaId } from "./types.ts";

/** What a side needs to judge the other's hello: who it is and what it holds. */
export interface HandshakeSide {
  self: ReplicaId;
  cluster: string;
  secret: Uint8Array | null;
  allowed?: (id: ReplicaId) => boolean;
}

export const NO_SECRET_HERE = "peer authenticates with a log secret, we have none";
export const NO_SECRET_THERE = "peer has no log secret, we require one (--log_secret_file on every replica)";

/** Whether the peer's claim to authenticate matches ours; the reason when not. */
function modeProblem(side: HandshakeSide, peer_authenticates: boolean): string | null {
  if (peer_authenticates && side.secret === null) return NO_SECRET_HERE;
  if (!peer_authenticates && side.secret !== null) return NO_SECRET_THERE;
  return null;
}

/** The listener's check of a dialer's hello; null when it may go on to AUTH. */
export function checkDialerHello(side: HandshakeSide, hello: Hello): string | null {
  if (hello.cluster !== side.cluster) return `replica ${hello.replica} is in cluster '${hello.cluster}', we are in '${side.cluster}'`;
  // Always, secret or not: no peer may speak as this replica (it would be our own coordinator).
  if (hello.replica === side.self) return `replica ${hello.replica} claims to be this replica`;
  if (side.allowed !== undefined && !side.allowed(hello.replica)) return `replica ${hello.replica} is not an allowed master`;
  if (hello.mac !== null) return "a dialer's hello carries no MAC";
  return modeProblem(side, hello.authenticates);
}

/** The listener's MAC for its answer (null without a secret). */
export function listenerMac(side: HandshakeSide, dialer: ReplicaId, nonce_d: Uint8Array, nonce_l: Uint8Array): Uint8Array | null {
  if (side.secret === null) return null;
  return mac(side.secret, "listener", [side.cluster, side.self, dialer, nonce_d, nonce_l]);
}

/** The dialer's check of the listener's answer to its hello (nonce_d); null when it may send AUTH. */
export function checkListenerAnswer(side: HandshakeSide, dialed: ReplicaId, nonce_d: Uint8Array, answer: Hello): string | null {
  if (answer.cluster !== side.cluster) return `peer is in cluster '${answer.cluster}', we are in '${side.cluster}'`;
  if (answer.replica !== dialed) return `dialed replica ${dialed} but ${answer.replica} answered`;
  const mode = modeProblem(side, answer.authenticates || answer.mac !== null);
  if (mode !== null) return mode;
  if (side.secret === null) return null;
  if (answer.mac === null) return NO_SECRET_THERE;
  const expected = mac(side.secret, "listener", [side.cluster, dialed, side.self, nonce_d, answer.nonce]);
  return macEqual(answer.mac, expected) ? null : `replica ${dialed} answered with a wrong MAC: it does not hold our log secret`;
}

/** The dialer's AUTH payload: its MAC over the listener's nonce, or empty without a secret. */
export function dialerAuth(side: HandshakeSide, dialed: ReplicaId, nonce_d: Uint8Array, nonce_l: Uint8Array): Uint8Array {
  if (side.secret === null) return new Uint8Array(0);
  return mac(side.secret, "dialer", [side.cluster, side.self, dialed, nonce_l, nonce_d]);
}

/** The listener's check of the AUTH frame of `dialer`, whose hello carried nonce_d. */
export function checkDialerAuth(side: HandshakeSide, dialer: ReplicaId, nonce_d: Uint8Array, nonce_l: Uint8Array, auth: Uint8Array): string | null {
  if (side.secret === null) return auth.length === 0 ? null : NO_SECRET_HERE;
  if (auth.length !== MAC_BYTES) return auth.length === 0 ? NO_SECRET_THERE : `AUTH of ${auth.length} bytes, expected ${MAC_BYTES}`;
  const expected = mac(side.secret, "dialer", [side.cluster, dialer, side.self, nonce_l, nonce_d]);
  return macEqual(auth, expected) ? null : `replica ${dialer} sent a wrong MAC: it does not hold our log secret`;
}
