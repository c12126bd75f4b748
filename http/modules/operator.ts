// POST /api/v1, the v1 operator API (mesos-spec §6.4), in Mesos's order of checks:
// authentication (realm readwrite, before the handler as libprocess does it), redirect
// (leader-only), 503 while the registry is not recovered, 405 for other methods, the
// Content-Type (400 missing, 415 unsupported; JSON only), the body (400), the Accept header
// (406), then the call (host/master/operator_api.ts). SUBSCRIBE answers 200 with a chunked
// RecordIO body of operator events that stays open.
import { Elysia } from "elysia";
import type { Master } from "../../host/master/master.ts";
import { dispatchCall, parseCall, servicesOf } from "../../host/master/operator_api.ts";
import { acceptsJson, contentTypeRefusal, notAcceptable } from "../negotiation.ts";
import { bodyText, NOT_RECOVERED } from "../../host/master/registry_requests.ts";
import { authenticate, ROUTE_REALMS } from "../plugins/authenticate.ts";
import { leaderOnly } from "../plugins/leader_only.ts";
import { text } from "../respond.ts";
import { replyResponse } from "./registrar.ts";

/** SUBSCRIBE: 200 and a RecordIO stream of the operator events `principal` may view, SUBSCRIBED first (host/master/operator_events.ts). */
function subscribe(master: Master, principal: string | null, signal: AbortSignal): Response {
  const stream = master.operator_events.subscribe(master.authorization.viewer(principal));
  if (stream === null) return text("Operator event stream subscriptions are disabled or the master is stopping", 503);
  stream.watch(signal);
  return new Response(stream.body, { status: 200, headers: { "content-type": "application/json", "cache-control": "no-cache" } });
}

export const operator = (master: Master) =>
  new Elysia().use(authenticate(master.security, ROUTE_REALMS["/api/v1"]!)).use(leaderOnly(master)).all("/api/v1", async ({ request, principal }) => {
    if (!servicesOf(master).writer.recovered()) return text(NOT_RECOVERED, 503);
    if (request.method !== "POST") return text(`Expecting one of { 'POST' }, but received '${request.method}'`, 405, { allow: "POST" });
    const refusal = contentTypeRefusal(request.headers.get("content-type"));
    if (refusal !== null) return replyResponse(refusal, request);
    const body = await bodyText(request);
    if (typeof body !== "string") return replyResponse(body, request);
    const call = parseCall(body);
    if (!("arguments" in call)) return replyResponse(call, request);
    if (!acceptsJson(request.headers.get("accept"))) return text(notAcceptable(), 406);
    if (call.type === "SUBSCRIBE") return subscribe(master, principal, request.signal);
    return replyResponse(await dispatchCall(master, call, principal), request);
  }, { parse: "none" });
