// /frameworks (GET, `framework_id=`) and /teardown (POST form `frameworkId=`): leader-only
// (mesos-spec §6.1, §6.2). /teardown answers 400 for a missing or unknown id, else 200.
import { Elysia } from "elysia";
import type { Master } from "../../host/master/master.ts";
import { frameworksJson } from "../../host/master/frameworks/views.ts";
import { leaderOnly } from "../plugins/leader_only.ts";
import { empty, json, text } from "../respond.ts";

export const frameworks = (master: Master) =>
  new Elysia()
    .use(leaderOnly(master))
    .get("/frameworks", ({ request }) => json(frameworksJson(master.frameworks, new URL(request.url).searchParams.get("framework_id")), request))
    .all("/teardown", async ({ request }) => {
      if (request.method !== "POST") return text(`Expecting one of { 'POST' }, but received '${request.method}'`, 405, { allow: "POST" });
      let id: string | null;
      try {
        id = new URLSearchParams(await request.text()).get("frameworkId");
      } catch (error) {
        return text(`Unable to decode query string: ${(error as Error).message}`, 400);
      }
      if (id === null) return text("Missing 'frameworkId' query parameter in the request body", 400);
      if (!master.frameworks.teardown(id)) return text("No framework found with specified ID", 400);
      return empty(200);
    }, { parse: "none" });
