// /health: 200 with an empty body on any method, never redirected (mesos-spec §6.1).
import { Elysia } from "elysia";
import { empty } from "../respond.ts";

export const health = () => new Elysia().all("/health", () => empty(200));
