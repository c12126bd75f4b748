// /state: the leader's view of the cluster (mesos-spec §6.2); non-leaders redirect.
import { Elysia } from "elysia";
import type { Master } from "../../host/master/master.ts";
import { stateJson } from "../../host/master/state.ts";
import { authenticate, ROUTE_REALMS } from "../plugins/authenticate.ts";
import { leaderOnly } from "../plugins/leader_only.ts";
import { json } from "../respond.ts";

export const state = (master: Master) =>
  new Elysia().use(authenticate(master.security, ROUTE_REALMS["/state"]!)).use(leaderOnly(master))
    .get("/state", ({ request, principal }) => json(stateJson(master, master.authorization.viewer(principal)), request));
