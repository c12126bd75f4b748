// /redirect: 307 to //<leader hostname>:<leader port> (no path), also on the leader itself;
// 503 when no leader is known.
import { Elysia } from "elysia";
import type { Leadership } from "../plugins/leader_only.ts";
import { empty, text } from "../respond.ts";

export const redirect = (leadership: Leadership) =>
  new Elysia().all("/redirect", () => {
    const leader = leadership.leader();
    return leader === null ? text("No leader elected", 503) : empty(307, { location: `//${leader.hostname}:${leader.port}` });
  });
