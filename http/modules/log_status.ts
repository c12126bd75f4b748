// GET /log/status: this master's replica and ensemble view (host/master/replication.ts), on
// every master, realm readonly. Beyond Mesos: the web UI's HA view reads it from each master.
import { Elysia } from "elysia";
import type { Master } from "../../host/master/master.ts";
import { logStatusJson } from "../../host/master/replication.ts";
import { authenticate, ROUTE_REALMS } from "../plugins/authenticate.ts";
import { json } from "../respond.ts";

export const logStatus = (master: Master) =>
  new Elysia().use(authenticate(master.security, ROUTE_REALMS["/log/status"]!)).get("/log/status", ({ request }) => json(logStatusJson(master), request));
