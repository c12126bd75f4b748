// /maintenance/schedule (GET, POST), /maintenance/status (GET), /machine/down and
// /machine/up (POST): mesos-spec §6.3; leader-only. Validation and registry writes live in
// host/master/maintenance.ts.
import { Elysia } from "elysia";
import { parseMachineIds, parseSchedule } from "../../host/master/maintenance.ts";
import type { Master } from "../../host/master/master.ts";
import { servicesOf } from "../../host/master/operator_api.ts";
import { readBody } from "../../host/master/registry_requests.ts";
import { leaderOnly } from "../plugins/leader_only.ts";
import { json } from "../respond.ts";
import { replyResponse } from "./registrar.ts";

export const maintenance = (master: Master) => {
  const service = servicesOf(master).maintenance;
  return new Elysia()
    .use(leaderOnly(master))
    .get("/maintenance/schedule", ({ request }) => json(service.schedule(), request))
    .post("/maintenance/schedule", async ({ request }) => {
      const schedule = await readBody(request, parseSchedule);
      return replyResponse("reply" in schedule ? schedule.reply : await service.updateSchedule(schedule.value), request);
    }, { parse: "none" })
    .get("/maintenance/status", ({ request }) => json(service.status(), request))
    .post("/machine/down", async ({ request }) => {
      const ids = await readBody(request, parseMachineIds);
      return replyResponse("reply" in ids ? ids.reply : await service.startMaintenance(ids.value), request);
    }, { parse: "none" })
    .post("/machine/up", async ({ request }) => {
      const ids = await readBody(request, parseMachineIds);
      return replyResponse("reply" in ids ? ids.reply : await service.stopMaintenance(ids.value), request);
    }, { parse: "none" });
};
