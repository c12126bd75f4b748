// /metrics/snapshot: flat {name: number}, never redirected. Accepts Mesos's timeout= query.
// /metrics: the same metrics in Prometheus's text format (host/prometheus.ts; ours).
// Realm readonly; get_endpoints on the path "/metrics/snapshot" decides for both (libprocess's
// authorization callback, 403 otherwise).
import { Elysia } from "elysia";
import { parseDuration } from "../../host/duration.ts";
import { FORBIDDEN_TEXT } from "../../host/master/authorization.ts";
import type { Master } from "../../host/master/master.ts";
import { authenticate, ROUTE_REALMS } from "../plugins/authenticate.ts";
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from "../../host/prometheus.ts";
import { json, text } from "../respond.ts";

export const metrics = (master: Master) =>
  new Elysia().use(authenticate(master.security, ROUTE_REALMS["/metrics/snapshot"]!)).get("/metrics/snapshot", ({ request, principal }) => {
    if (!master.authorization.allowed("get_endpoints", principal, "/metrics/snapshot")) return text(FORBIDDEN_TEXT, 403);
    const timeout = new URL(request.url).searchParams.get("timeout");
    if (timeout !== null && parseDuration(timeout) === null) return text(`Invalid timeout '${timeout}'`, 400);
    return json(master.metrics.snapshot(), request);
  })
    .get("/metrics", ({ principal }) => {
      if (!master.authorization.allowed("get_endpoints", principal, "/metrics/snapshot")) return text(FORBIDDEN_TEXT, 403);
      return new Response(renderPrometheus(master.metrics.values()), { headers: { "content-type": PROMETHEUS_CONTENT_TYPE } });
    });
