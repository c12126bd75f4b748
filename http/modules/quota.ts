// /quota (deprecated in Mesos for v1 GET_QUOTA/UPDATE_QUOTA): GET the quota status, POST
// a QuotaRequest to set a role's quota, DELETE /quota/<role> to remove it; leader-only.
// Realm readwrite for every method (Mesos routes /quota so); GET shows the roles get_quotas
// allows, POST and DELETE need update_quotas for the role (403). Validation and registry
// writes live in host/master/quota.ts.
import { Elysia } from "elysia";
import type { Master } from "../../host/master/master.ts";
import { servicesOf } from "../../host/master/operator_api.ts";
import { parseQuotaRequest, visibleQuotaStatus } from "../../host/master/quota.ts";
import { readBody } from "../../host/master/registry_requests.ts";
import { authenticate, ROUTE_REALMS } from "../plugins/authenticate.ts";
import { leaderOnly, recoveredOnly } from "../plugins/leader_only.ts";
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
  const authorization = master.authorization;
  return new Elysia()
    .use(authenticate(master.security, ROUTE_REALMS["/quota"]!))
    .use(leaderOnly(master))
    .use(recoveredOnly(master))
    .get("/quota", ({ request, principal }) =>
      json(visibleQuotaStatus(service.status(), (role) => authorization.allowed("get_quotas", principal, role)), request))
    .post("/quota", async ({ request, principal }) => {
      const body = await readBody(request, parseQuotaRequest, texts);
      if ("reply" in body) return replyResponse(body.reply, request);
      const forbidden = authorization.check("update_quotas", principal, body.value.role?.trim() ?? null);
      return replyResponse(forbidden ?? await service.set(body.value), request);
    }, { parse: "none" })
    .delete("/quota", async ({ request }) => replyResponse(await service.remove(new URL(request.url).pathname, ""), request))
    .delete("/quota/*", async ({ request, principal }) => {
      const path = new URL(request.url).pathname;
      const role = roleOf(path);
      const forbidden = role === "" ? null : authorization.check("update_quotas", principal, role);
      return replyResponse(forbidden ?? await service.remove(path, role), request);
    });
};
