// /state: the leader's view of the cluster (mesos-spec §6.2); non-leaders redirect.
import { Elysia } from "elysia";
import type { Master } from "../../host/master/master.ts";
import { stateJson } from "../../host/master/state.ts";
import { leaderOnly } from "../plugins/leader_only.ts";
import { json } from "../respond.ts";

export const state = (master: Master) =>
  new Elysia().use(leaderOnly(master)).get("/state", ({ request }) => json(stateJson(master), request));
