// POST /api/v1/scheduler, the v1 scheduler API (mesos-spec §6.5): leader-only (307/503), 503
// while the registry is not recovered, then host/master/frameworks/scheduler_api.ts. SUBSCRIBE
// answers 200 with a chunked RecordIO body and Mesos-Stream-Id; other calls 202, empty.
import { Elysia } from "elysia";
import type { Master } from "../../host/master/master.ts";
import { servicesOf } from "../../host/master/operator_api.ts";
import { type SchedulerReply, schedulerRequest, STREAM_ID_HEADER } from "../../host/master/frameworks/scheduler_api.ts";
import { authenticate, ROUTE_REALMS } from "../plugins/authenticate.ts";
import { NOT_RECOVERED } from "../../host/master/registry_requests.ts";
import { leaderOnly } from "../plugins/leader_only.ts";
import { empty, text } from "../respond.ts";
import { PROTOBUF_CONTENT_TYPE } from "../../host/codec/protobuf.ts";

export function schedulerResponse(reply: SchedulerReply): Response {
  if ("stream" in reply) {
    return new Response(reply.stream.body, {
      status: 200,
      headers: { "content-type": reply.stream.format === "protobuf" ? PROTOBUF_CONTENT_TYPE : "application/json", [STREAM_ID_HEADER]: reply.stream.stream_id, "cache-control": "no-cache" },
    });
  }
  if ("message" in reply) return text(reply.message, reply.status, reply.status === 405 ? { allow: "POST" } : {});
  return empty(reply.status);
}

export const scheduler = (master: Master) =>
  new Elysia().use(authenticate(master.security, ROUTE_REALMS["/api/v1/scheduler"]!)).use(leaderOnly(master)).all("/api/v1/scheduler", async ({ request, principal }) => {
    if (!servicesOf(master).writer.recovered()) return text(NOT_RECOVERED, 503);
    return schedulerResponse(await schedulerRequest(master.frameworks, {
      method: request.method,
      headers: request.headers,
      bytes: async () => new Uint8Array(await request.arrayBuffer()),
      signal: request.signal,
      principal,
    }));
  }, { parse: "none" });
