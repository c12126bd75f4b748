// The principals a master (or an agent's HTTP port) accepts, from --credentials: lookups and
// checks in constant time per comparison, so a wrong secret's timing says nothing about it.
import { timingSafeEqual } from "node:crypto";
import { type Credential, parseCredentials, readSecretFile } from "./secrets.ts";

export class Credentials {
  private readonly secrets = new Map<string, Uint8Array>();

  constructor(list: readonly Credential[]) {
    for (const c of list) this.secrets.set(c.principal, new TextEncoder().encode(c.secret));
  }

  /** Reads and parses a credentials file; the warning is for a file others may read. */
  static load(path: string): { credentials: Credentials; warning: string | null } {
    const { text, warning } = readSecretFile(path);
    return { credentials: new Credentials(parseCredentials(text, path)), warning };
  }

  has(principal: string): boolean {
    return this.secrets.has(principal);
  }

  /** The principal's secret bytes, for HMAC challenge-responses; null for an unknown principal. */
  secretOf(principal: string): Uint8Array | null {
    return this.secrets.get(principal) ?? null;
  }

  /** Whether `secret` is the principal's; unknown principals are compared against a dummy, so timing is alike. */
  check(principal: string, secret: string): boolean {
    const expected = this.secrets.get(principal) ?? DUMMY;
    const given = new TextEncoder().encode(secret);
    const equal = given.length === expected.length && timingSafeEqual(given, expected);
    return equal && this.secrets.has(principal);
  }

  get size(): number {
    return this.secrets.size;
  }
}

const DUMMY = new TextEncoder().encode("\u0000never-a-secret\u0000");
