// /roles (mesos-spec §6.2): known roles with weight, quota, allocated/offered resources and frameworks; leader-only.
import { Elysia } from "elysia";
import type { Master } from "../../host/master/master.ts";
import { rolesJson } from "../../host/master/task_views.ts";
import { authenticate, ROUTE_REALMS } from "../plugins/authenticate.ts";
import { leaderOnly } from "../plugins/leader_only.ts";
import { json } from "../respond.ts";

export const roles = (master: Master) =>
  new Elysia().use(authenticate(master.security, ROUTE_REALMS["/roles"]!)).use(leaderOnly(master))
    .get("/roles", ({ request, principal }) => json(rolesJson(master.tasks, master.authorization.viewer(principal)), request));
