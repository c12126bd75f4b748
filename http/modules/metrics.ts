// /metrics/snapshot: flat {name: number}, never redirected. Accepts Mesos's timeout= query.
import { Elysia } from "elysia";
import { parseDuration } from "../../host/duration.ts";
import type { Metrics } from "../../host/metrics.ts";
import { json, text } from "../respond.ts";

export const metrics = (registry: Metrics) =>
  new Elysia().get("/metrics/snapshot", ({ request }) => {
    const timeout = new URL(request.url).searchParams.get("timeout");
    if (timeout !== null && parseDuration(timeout) === null) return text(`Invalid timeout '${timeout}'`, 400);
    return json(registry.snapshot(), request);
  });
