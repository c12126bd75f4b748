// Which HTTP requests must carry credentials, and whose they are (libprocess's
// AuthenticatorManager with Mesos's basic authenticator): a realm has an authenticator only
// when its flag is on; then a request without valid Basic credentials is refused, else it
// carries its principal. A realm that is off looks at no credentials at all, good or bad,
// and the request has no principal (Mesos does the same).
import { logger } from "../logging.ts";
import { authenticateBasic } from "../security/basic.ts";
import type { MasterSecurity, Realm } from "./security.ts";

const log = logger("http_authentication.ts");

export type Authentication = { ok: true; principal: string | null } | { ok: false; realm: Realm };

/** The request's principal in `realm` (null: the realm needs none), or the realm whose challenge to answer. */
export function authenticateHttp(security: MasterSecurity, realm: Realm | null, request: Request): Authentication {
  if (realm === null || !security.realms.has(realm)) return { ok: true, principal: null };
  // No credentials loaded (the flags require them with authentication on): nobody gets in.
  const result = security.credentials === null ? { ok: false as const, reason: "No credentials are configured" } : authenticateBasic(request, security.credentials);
  if (result.ok) return { ok: true, principal: result.principal };
  // The reason names what was missing or wrong, never the header or the secret it held.
  log.warning(`Failed to authenticate ${request.method} ${new URL(request.url).pathname} in realm '${realm}': ${result.reason}`);
  return { ok: false, realm };
}
