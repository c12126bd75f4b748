// /files/{browse,read,download,debug} on the master (files.cpp's routes, realm readonly,
// leader-only): paths under /agents/<agent id> are the tasks' sandboxes, answered by that agent
// (host/master/sandboxes.ts); the master attaches no files of its own, so any other path is 404.
import { Elysia } from "elysia";
import type { Master } from "../../host/master/master.ts";
import { AGENT_FILES_PREFIX, type ForwardedOperation, forwardToAgent, sandboxesDebug } from "../../host/master/sandboxes.ts";
import { authenticate, ROUTE_REALMS } from "../plugins/authenticate.ts";
import { leaderOnly } from "../plugins/leader_only.ts";
import { empty, json, text } from "../respond.ts";

async function forwarded(master: Master, operation: ForwardedOperation, request: Request): Promise<Response> {
  const path = new URL(request.url).searchParams.get("path");
  if (path === null || path === "") return text("Expecting 'path=value' in query.\n", 400);
  if (!path.startsWith(AGENT_FILES_PREFIX)) return empty(404);
  const answer = await forwardToAgent(master, operation, path, request);
  return answer instanceof Response ? answer : json(answer.json, request);
}

export const files = (master: Master) =>
  new Elysia().use(authenticate(master.security, ROUTE_REALMS["/files/browse"]!)).use(leaderOnly(master))
    .get("/files/browse", ({ request }) => forwarded(master, "browse", request))
    .get("/files/read", ({ request }) => forwarded(master, "read", request))
    .get("/files/download", ({ request }) => forwarded(master, "download", request))
    .get("/files/debug", ({ request }) => json(sandboxesDebug(master), request));
