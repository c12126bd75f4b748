// /tasks (mesos-spec §6.2): framework_id=, task_id=, limit= (100), offset=, order=asc|desc; leader-only.
import { Elysia } from "elysia";
import type { Master } from "../../host/master/master.ts";
import { tasksEndpointJson } from "../../host/master/task_views.ts";
import { authenticate, ROUTE_REALMS } from "../plugins/authenticate.ts";
import { leaderOnly } from "../plugins/leader_only.ts";
import { json } from "../respond.ts";

export const tasks = (master: Master) =>
  new Elysia().use(authenticate(master.security, ROUTE_REALMS["/tasks"]!)).use(leaderOnly(master)).get("/tasks", ({ request, principal }) =>
    json(tasksEndpointJson(master.tasks, new URL(request.url).searchParams, master.authorization.viewer(principal)), request));
