// /slaves (`slave_id=` filters): the registered agents with their full resources and the
// agents recovered from the registry that have not re-registered (mesos-spec §6.2); leader-only.
// Both lists are empty for a caller view_agents (beyond Mesos) refuses.
import { Elysia } from "elysia";
import { slavesJson } from "../../host/master/agent_views.ts";
import type { Master } from "../../host/master/master.ts";
import { authenticate, ROUTE_REALMS } from "../plugins/authenticate.ts";
import { leaderOnly } from "../plugins/leader_only.ts";
import { json } from "../respond.ts";

export const slaves = (master: Master) =>
  new Elysia().use(authenticate(master.security, ROUTE_REALMS["/slaves"]!)).use(leaderOnly(master)).get("/slaves", ({ request, principal }) =>
    json(master.authorization.viewer(principal).agents ? slavesJson(master.agents, new URL(request.url).searchParams.get("slave_id")) : { slaves: [], recovered_slaves: [] }, request));
