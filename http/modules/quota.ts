// /quota (deprecated in Mesos for v1 GET_QUOTA/UPDATE_QUOTA): GET the quota status, POST
// a QuotaRequest to set a role's quota, DELETE /quota/<role> to remove it; leader-only.
// Validation and registry writes live in host/master/quota.ts.
import { Elysia } from "elysia";
import type { Master } from "../../host/master/master.ts";
import { servicesOf } from "../../host/master/operator_api.ts";
import { parseQuotaRequest } from "../../host/master/quota.ts";
import { readBody } from "../../host/master/registry_requests.ts";
import { leaderOnly } from "../plugins/leader_only.ts";
import { json } from "../respond.ts";
import { replyResponse } from "./registrar.ts";

const texts = {
  parse: (error: string, body: string) => `Failed to parse set quota request JSON '${body}': ${error}`,
  shape: (error: string, body: string) => `Failed to validate set quota request JSON '${body}': ${error}`,
};

/** The role of DELETE <prefix>/quota/<role>; it may hold slashes. */
function roleOf(path: string): string {
  const at = path.indexOf("/quota/");
  const raw = at < 0 ? "" : path.slice(at + "/quota/".length);
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

export const quota = (master: Master) => {
  const service = servicesOf(master).quota;
  return new Elysia()
    .use(leaderOnly(master))
    .get("/quota", ({ request }) => json(service.status(), request))
    .post("/quota", async ({ request }) => {
      const body = await readBody(request, parseQuotaRequest, texts);
      return replyResponse("reply" in body ? body.reply : await service.set(body.value), request);
    }, { parse: "none" })
    .delete("/quota", async ({ request }) => replyResponse(await service.remove(new URL(request.url).pathname, ""), request))
    .delete("/quota/*", async ({ request }) => {
      const path = new URL(request.url).pathname;
      return replyResponse(await service.remove(path, roleOf(path)), request);
    });
};
