// /weights: GET lists role weights, PUT updates them (a JSON array of {role, weight});
// leader-only; realm readwrite for both (as Mesos routes /weights). GET shows the roles
// get_weights allows (view_roles when the ACLs have no get_weights; see authorization.ts), PUT
// needs update_weights for every role (403). Validation and the registry write live in
// host/master/weights.ts.
import { Elysia } from "elysia";
import type { Master } from "../../host/master/master.ts";
import { servicesOf } from "../../host/master/operator_api.ts";
import { readBody } from "../../host/master/registry_requests.ts";
import { parseWeightInfos } from "../../host/master/weights.ts";
import { authenticate, ROUTE_REALMS } from "../plugins/authenticate.ts";
import { leaderOnly, recoveredOnly } from "../plugins/leader_only.ts";
import { json } from "../respond.ts";
import { replyResponse } from "./registrar.ts";

const texts = {
  parse: (error: string, body: string) => `Failed to parse update weights request JSON '${body}': ${error}`,
  shape: (error: string, body: string) => `Failed to convert weights JSON array to protobuf '${body}': ${error}`,
};

export const weights = (master: Master) => {
  const service = servicesOf(master).weights;
  return new Elysia()
    .use(authenticate(master.security, ROUTE_REALMS["/weights"]!))
    .use(leaderOnly(master))
    .use(recoveredOnly(master))
    .get("/weights", ({ request, principal }) => json(service.get().filter((w) => master.authorization.weightVisible(principal, w.role)), request))
    .put("/weights", async ({ request, principal }) => {
      const infos = await readBody(request, (value) => parseWeightInfos(value), texts);
      if ("reply" in infos) return replyResponse(infos.reply, request);
      const forbidden = master.authorization.checkEach("update_weights", principal, infos.value.map((w) => w.role.trim()));
      return replyResponse(forbidden ?? await service.update(infos.value), request);
    }, { parse: "none" });
};
