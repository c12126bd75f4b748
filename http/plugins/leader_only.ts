// Mesos's rule for leader-only endpoints, in one place (mesos-spec §6.1): on a master that is
// not elected, answer 307 to the leader (Location: //<hostname>:<port><path>[?query]) when
// one is known, else 503 "No leader elected". An elected master whose ZooKeeper session is not
// known alive right now (it was paused past the session timeout and has not heard from
// ZooKeeper since) answers 503 too: it may have been replaced. Routes registered after `.use()` of this plugin
// inherit it; /health, /version, /flags and /metrics/snapshot never use it. `recoveredOnly`
// adds Mesos's 503 "Master has not finished recovery" for the routes that answer from the
// registry: an elected master that is still recovering has nothing true to show yet.
import { Elysia } from "elysia";
import { empty, text } from "../respond.ts";
import type { MasterInfo } from "../../host/master/info.ts";
import { NOT_RECOVERED } from "../../host/master/registry_requests.ts";

export interface Leadership {
  elected(): boolean;
  leader(): MasterInfo | null;
  /** False while the ZooKeeper session is not known alive (absent: always known). */
  sessionFresh?(): boolean;
}

export const UNSURE_LEADER = "This master's ZooKeeper session is not known to be alive; retry shortly";

/** The 307/503 answer for a non-leader, or null when this master leads (and knows it still may). */
export function redirectToLeader(leadership: Leadership, request: Request): Response | null {
  if (leadership.elected()) return leadership.sessionFresh?.() === false ? text(UNSURE_LEADER, 503) : null;
  const leader = leadership.leader();
  if (leader === null) return text("No leader elected", 503);
  const url = new URL(request.url);
  return empty(307, { location: `//${leader.hostname}:${leader.port}${url.pathname}${url.search}` });
}

export function leaderOnly(leadership: Leadership) {
  return new Elysia().onBeforeHandle({ as: "scoped" }, ({ request }) => redirectToLeader(leadership, request) ?? undefined);
}

/** Use after leaderOnly: 503 NOT_RECOVERED until the master's registrar has recovered. */
export function recoveredOnly(master: { registrar: { recovered(): boolean } }) {
  return new Elysia().onBeforeHandle({ as: "scoped" }, () => (master.registrar.recovered() ? undefined : text(NOT_RECOVERED, 503)));
}
