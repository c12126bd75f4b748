// /registrar(1)/registry: the whole last stored registry as JSON, `{}` until recovered. Any
// master answers (never redirected) and it is not under /master (it is the registrar's own
// libprocess process). Also the one translation of a registry service's Reply into a Response.
import { Elysia } from "elysia";
import type { Master } from "../../host/master/master.ts";
import { isRefusal, type Reply } from "../../host/master/registry_requests.ts";
import { authenticate, ROUTE_REALMS } from "../plugins/authenticate.ts";
import { empty, json, text } from "../respond.ts";

/** A service's Reply as the HTTP answer: JSON, an empty 200, or a one-line text with its status. */
export function replyResponse(reply: Reply, request: Request): Response {
  if (isRefusal(reply)) return text(reply.message, reply.status);
  return reply.json === undefined ? empty(200) : json(reply.json, request);
}

export const registrar = (master: Master) =>
  new Elysia().use(authenticate(master.security, ROUTE_REALMS["/registrar(1)/registry"]!)).get("/registrar(1)/registry", async ({ request }) => {
    return json(await master.registrar.full(), request);
  });
