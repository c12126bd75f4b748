// /maintenance/schedule (GET, POST; realm readwrite for both, as Mesos routes it),
// /maintenance/status (GET; readonly), /machine/down and /machine/up (POST; readwrite):
// mesos-spec §6.3; leader-only. Each asks its ACL (get_/update_maintenance_schedules,
// get_maintenance_statuses, start_/stop_maintenances); their objects are implicit, so a
// reader who may not see shows nothing and a writer who may not write gets 403. Validation
// and registry writes live in host/master/maintenance.ts.
import { Elysia } from "elysia";
import { parseMachineIds, parseSchedule } from "../../host/master/maintenance.ts";
import type { Master } from "../../host/master/master.ts";
import { servicesOf } from "../../host/master/operator_api.ts";
import { readBody } from "../../host/master/registry_requests.ts";
import { authenticate, ROUTE_REALMS } from "../plugins/authenticate.ts";
import { leaderOnly, recoveredOnly } from "../plugins/leader_only.ts";
import { json } from "../respond.ts";
import { replyResponse } from "./registrar.ts";

const guarded = (master: Master, path: string) =>
  new Elysia().use(authenticate(master.security, ROUTE_REALMS[path]!)).use(leaderOnly(master))
    .use(recoveredOnly(master));

const schedule = (master: Master) => {
  const service = servicesOf(master).maintenance;
  return guarded(master, "/maintenance/schedule")
    .get("/maintenance/schedule", ({ request, principal }) =>
      json(master.authorization.allowed("get_maintenance_schedules", principal) ? service.schedule() : {}, request))
    .post("/maintenance/schedule", async ({ request, principal }) => {
      const schedule = await readBody(request, parseSchedule);
      if ("reply" in schedule) return replyResponse(schedule.reply, request);
      const forbidden = master.authorization.check("update_maintenance_schedules", principal);
      return replyResponse(forbidden ?? await service.updateSchedule(schedule.value), request);
    }, { parse: "none" });
};

const status = (master: Master) =>
  guarded(master, "/maintenance/status").get("/maintenance/status", ({ request, principal }) =>
    json(master.authorization.allowed("get_maintenance_statuses", principal) ? servicesOf(master).maintenance.status() : {}, request));

const machines = (master: Master) => {
  const service = servicesOf(master).maintenance;
  return guarded(master, "/machine/down")
    .post("/machine/down", async ({ request, principal }) => {
      const ids = await readBody(request, parseMachineIds);
      if ("reply" in ids) return replyResponse(ids.reply, request);
      return replyResponse(master.authorization.check("start_maintenances", principal) ?? await service.startMaintenance(ids.value), request);
    }, { parse: "none" })
    .post("/machine/up", async ({ request, principal }) => {
      const ids = await readBody(request, parseMachineIds);
      if ("reply" in ids) return replyResponse(ids.reply, request);
      return replyResponse(master.authorization.check("stop_maintenances", principal) ?? await service.stopMaintenance(ids.value), request);
    }, { parse: "none" });
};

export const maintenance = (master: Master) => new Elysia().use(schedule(master)).use(status(master)).use(machines(master));
