// HTTP Basic authentication as Mesos's basic authenticator does it (RFC 7617): the realm names
// what is being protected (mesos-master-readwrite, mesos-master-readonly, mesos-master-scheduler,
// mesos-agent-readwrite, …); a missing or wrong credential is a 401 with WWW-Authenticate.
import type { Credentials } from "./credentials.ts";

/** The principal and secret of an `Authorization: Basic …` header, or null when absent or malformed. */
export function parseBasic(header: string | null): { principal: string; secret: string } | null {
  if (header === null) return null;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (match === null) return null;
  let decoded: string;
  try {
    decoded = Buffer.from(match[1]!, "base64").toString("utf8");
  } catch {
    return null;
  }
  const colon = decoded.indexOf(":");
  if (colon <= 0) return null;
  return { principal: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

export type BasicResult = { ok: true; principal: string } | { ok: false; reason: string };

/** Checks a request's Basic credentials against `credentials`; the reason never holds the secret. */
export function authenticateBasic(request: Request, credentials: Credentials): BasicResult {
  const given = parseBasic(request.headers.get("authorization"));
  if (given === null) return { ok: false, reason: request.headers.has("authorization") ? "Malformed 'Authorization' header" : "Missing 'Authorization' header" };
  if (!credentials.check(given.principal, given.secret)) return { ok: false, reason: "Authentication failed" };
  return { ok: true, principal: given.principal };
}

/** The 401 Mesos answers: WWW-Authenticate with the realm, a one-line body. */
export function unauthorized(realm: string, reason: string): Response {
  return new Response(`${reason}\n`, {
    status: 401,
    headers: { "www-authenticate": `Basic realm="${realm}"`, "content-type": "text/plain; charset=utf-8" },
  });
}

/** The header value a client sends. */
export function basicHeader(principal: string, secret: string): string {
  return `Basic ${Buffer.from(`${principal}:${secret}`, "utf8").toString("base64")}`;
}
