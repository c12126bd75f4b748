// /weights: GET lists role weights, PUT updates them (a JSON array of {role, weight});
// leader-only. Validation and the registry write live in host/master/weights.ts.
import { Elysia } from "elysia";
import type { Master } from "../../host/master/master.ts";
import { servicesOf } from "../../host/master/operator_api.ts";
import { readBody } from "../../host/master/registry_requests.ts";
import { parseWeightInfos } from "../../host/master/weights.ts";
import { leaderOnly } from "../plugins/leader_only.ts";
import { json } from "../respond.ts";
import { replyResponse } from "./registrar.ts";

const texts = {
  parse: (error: string, body: string) => `Failed to parse update weights request JSON '${body}': ${error}`,
  shape: (error: string, body: string) => `Failed to convert weights JSON array to protobuf '${body}': ${error}`,
};

export const weights = (master: Master) => {
  const service = servicesOf(master).weights;
  return new Elysia()
    .use(leaderOnly(master))
    .get("/weights", ({ request }) => json(service.get(), request))
    .put("/weights", async ({ request }) => {
      const infos = await readBody(request, (value) => parseWeightInfos(value), texts);
      return replyResponse("reply" in infos ? infos.reply : await service.update(infos.value), request);
    }, { parse: "none" });
};
