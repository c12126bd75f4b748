// POST /api/v1, the v1 operator API (mesos-spec §6.4), in Mesos's order of checks:
// authentication (realm readwrite, before the handler as libprocess does it), redirect
// (leader-only), 503 while the registry is not recovered, 405 for other methods, the
// Content-Type (400 missing, 415 neither JSON nor protobuf), the body (400), the Accept header
// (JSON when allowed, else protobuf, else 406), then the call (host/master/operator_api.ts).
// SUBSCRIBE answers 200 with a chunked RecordIO body of operator events, in the answer's
// format, that stays open.
import { Elysia } from "elysia";
import type { Master } from "../../host/master/master.ts";
import { dispatchCall, readCall, servicesOf } from "../../host/master/operator_api.ts";
import { answerFormat, type Format, NOT_ACCEPTABLE_EITHER, protobufAnswer, readCallBody } from "../negotiation.ts";
import { isRefusal, NOT_RECOVERED, parseJson, REQUEST_BODY_BYTES_MAX } from "../../host/master/registry_requests.ts";
import { PROTOBUF_CONTENT_TYPE } from "../../host/codec/protobuf.ts";
import { authenticate, ROUTE_REALMS } from "../plugins/authenticate.ts";
import { leaderOnly } from "../plugins/leader_only.ts";
import { text } from "../respond.ts";
import { replyResponse } from "./registrar.ts";

/** SUBSCRIBE: 200 and a RecordIO stream of the operator events `principal` may view, SUBSCRIBED first (host/master/operator_events.ts). */
function subscribe(master: Master, principal: string | null, signal: AbortSignal, format: Format): Response {
  const stream = master.operator_events.subscribe(master.authorization.viewer(principal), format);
  if (stream === null) return text("Operator event stream subscriptions are disabled or the master is stopping", 503);
  stream.watch(signal);
  const content_type = format === "protobuf" ? PROTOBUF_CONTENT_TYPE : "application/json";
  return new Response(stream.body, { status: 200, headers: { "content-type": content_type, "cache-control": "no-cache" } });
}

export const operator = (master: Master) =>
  new Elysia().use(authenticate(master.security, ROUTE_REALMS["/api/v1"]!)).use(leaderOnly(master)).all("/api/v1", async ({ request, principal }) => {
    if (!servicesOf(master).writer.recovered()) return text(NOT_RECOVERED, 503);
    if (request.method !== "POST") return text(`Expecting one of { 'POST' }, but received '${request.method}'`, 405, { allow: "POST" });
    const body = await readCallBody(request.headers, () => request.bytes(), { message: "mesos.v1.master.Call", bytes_max: REQUEST_BODY_BYTES_MAX, parseJson, exact: true });
    if (!("value" in body)) return text(body.message, body.status);
    const call = readCall(body.value);
    if (!("arguments" in call)) return replyResponse(call, request);
    const format = answerFormat(request.headers.get("accept"));
    if (format === null) return text(NOT_ACCEPTABLE_EITHER, 406);
    if (call.type === "SUBSCRIBE") return subscribe(master, principal, request.signal, format);
    const reply = await dispatchCall(master, call, principal);
    if (format === "protobuf" && !isRefusal(reply) && reply.json !== undefined) return protobufAnswer(reply.json, "mesos.v1.master.Response");
    return replyResponse(reply, request);
  }, { parse: "none" });
