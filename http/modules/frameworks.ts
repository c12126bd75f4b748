// /frameworks (GET, `framework_id=`; realm readonly, filtered by view_frameworks and
// view_tasks) and /teardown (POST form `frameworkId=`; realm readwrite, teardown_frameworks):
// leader-only (mesos-spec §6.1, §6.2). /teardown answers 400 for a missing or unknown id,
// 403 when not authorized, else 200.
import { Elysia } from "elysia";
import type { Master } from "../../host/master/master.ts";
import { frameworksJson } from "../../host/master/frameworks/views.ts";
import { operatorTeardown } from "../../host/master/teardown.ts";
import { authenticate, ROUTE_REALMS } from "../plugins/authenticate.ts";
import { leaderOnly } from "../plugins/leader_only.ts";
import { json, text } from "../respond.ts";
import { replyResponse } from "./registrar.ts";

const list = (master: Master) =>
  new Elysia().use(authenticate(master.security, ROUTE_REALMS["/frameworks"]!)).use(leaderOnly(master)).get("/frameworks", ({ request, principal }) =>
    json(frameworksJson(master.frameworks, new URL(request.url).searchParams.get("framework_id"), master.authorization.viewer(principal)), request));

const teardown = (master: Master) =>
  new Elysia().use(authenticate(master.security, ROUTE_REALMS["/teardown"]!)).use(leaderOnly(master)).all("/teardown", async ({ request, principal }) => {
    if (request.method !== "POST") return text(`Expecting one of { 'POST' }, but received '${request.method}'`, 405, { allow: "POST" });
    let id: string | null;
    try {
      id = new URLSearchParams(await request.text()).get("frameworkId");
    } catch (error) {
      return text(`Unable to decode query string: ${(error as Error).message}`, 400);
    }
    if (id === null) return text("Missing 'frameworkId' query parameter in the request body", 400);
    return replyResponse(operatorTeardown(master, principal, id), request);
  }, { parse: "none" });

export const frameworks = (master: Master) => new Elysia().use(list(master)).use(teardown(master));
