// /state-summary: the agents with per-state task counts and framework ids, and the frameworks
// (mesos-spec §6.2); leader-only.
import { Elysia } from "elysia";
import type { Master } from "../../host/master/master.ts";
import { stateSummaryJson } from "../../host/master/state.ts";
import { authenticate, ROUTE_REALMS } from "../plugins/authenticate.ts";
import { leaderOnly } from "../plugins/leader_only.ts";
import { json } from "../respond.ts";

export const stateSummary = (master: Master) =>
  new Elysia().use(authenticate(master.security, ROUTE_REALMS["/state-summary"]!)).use(leaderOnly(master))
    .get("/state-summary", ({ request, principal }) => json(stateSummaryJson(master, master.authorization.viewer(principal)), request));
