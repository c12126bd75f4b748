// /state-summary: the agents with per-state task counts and framework ids, and the frameworks
// (mesos-spec §6.2); leader-only.
import { Elysia } from "elysia";
import type { Master } from "../../host/master/master.ts";
import { stateSummaryJson } from "../../host/master/state.ts";
import { leaderOnly } from "../plugins/leader_only.ts";
import { json } from "../respond.ts";

export const stateSummary = (master: Master) =>
  new Elysia().use(leaderOnly(master)).get("/state-summary", ({ request }) => json(stateSummaryJson(master), request));
