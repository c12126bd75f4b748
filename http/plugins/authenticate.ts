// HTTP authentication in one place, as libprocess does it: before a route's handler (so before
// the 307/503 leader rule and the 405 of a wrong method), in the realm Mesos gives that route
// (master.cpp's route() calls; /metrics/snapshot and /registrar(1)/registry readonly; /health,
// /redirect and /version in none). A refused request is 401 with `WWW-Authenticate: Basic
// realm="<realm>"` and libprocess's body; handlers read the caller's `principal` (null when
// the realm is off).
import { Elysia } from "elysia";
import { authenticateHttp } from "../../host/master/http_authentication.ts";
import { type MasterSecurity, type Realm, REALMS } from "../../host/master/security.ts";
import { text } from "../respond.ts";

/** The realm of every master route, by its path without the /master prefix. */
export const ROUTE_REALMS: Record<string, Realm | null> = {
  "/health": null, "/redirect": null, "/version": null,
  "/flags": REALMS.readonly, "/metrics/snapshot": REALMS.readonly, "/metrics": REALMS.readonly, "/registrar(1)/registry": REALMS.readonly,
  "/state": REALMS.readonly, "/state-summary": REALMS.readonly, "/slaves": REALMS.readonly, "/frameworks": REALMS.readonly,
  "/tasks": REALMS.readonly, "/roles": REALMS.readonly, "/maintenance/status": REALMS.readonly,
  "/maintenance/schedule": REALMS.readwrite, "/machine/down": REALMS.readwrite, "/machine/up": REALMS.readwrite,
  "/quota": REALMS.readwrite, "/weights": REALMS.readwrite, "/teardown": REALMS.readwrite, "/api/v1": REALMS.readwrite,
  "/api/v1/scheduler": REALMS.scheduler,
  "/log/status": REALMS.readonly, "/files/browse": REALMS.readonly, "/files/read": REALMS.readonly, "/files/download": REALMS.readonly, "/files/debug": REALMS.readonly,
};

/** The realm of a request path (`/master/X`, `/quota/<role>` included); undefined for a path no route serves. */
export function realmOfPath(pathname: string): Realm | null | undefined {
  const path = pathname.replace(/\/+$/, "").replace(/^\/master(?=\/)/, "");
  if (path in ROUTE_REALMS) return ROUTE_REALMS[path];
  return path.startsWith("/quota/") ? REALMS.readwrite : undefined;
}

/** The 401 libprocess's basic authenticator answers. */
export function challenge(realm: Realm): Response {
  return text("401 Unauthorized.", 401, { "www-authenticate": `Basic realm="${realm}"` });
}

/** Authenticates every route registered after it in the using module against `realm`; handlers get `principal`. */
export function authenticate(security: MasterSecurity, realm: Realm | null) {
  return new Elysia()
    .derive({ as: "scoped" }, ({ request }) => {
      const result = authenticateHttp(security, realm, request);
      return result.ok ? { principal: result.principal, refusal: null } : { principal: null, refusal: challenge(result.realm) };
    })
    .onBeforeHandle({ as: "scoped" }, ({ refusal }) => refusal ?? undefined);
}
