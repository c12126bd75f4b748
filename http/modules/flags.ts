// /flags: {"flags": {name: value}} for every flag with a value, never redirected; realm
// readonly, and view_flags decides (403 otherwise), as Mesos's Http::flags.
import { Elysia } from "elysia";
import { FORBIDDEN_TEXT } from "../../host/master/authorization.ts";
import type { Master } from "../../host/master/master.ts";
import { authenticate, ROUTE_REALMS } from "../plugins/authenticate.ts";
import { json, text } from "../respond.ts";

export const flags = (master: Master) =>
  new Elysia().use(authenticate(master.security, ROUTE_REALMS["/flags"]!)).get("/flags", ({ request, principal }) =>
    master.authorization.allowed("view_flags", principal) ? json({ flags: master.flagsJson() }, request) : text(FORBIDDEN_TEXT, 403));
