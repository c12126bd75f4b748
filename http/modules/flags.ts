// /flags: {"flags": {name: value}} for every flag with a value, never redirected.
import { Elysia } from "elysia";
import type { Master } from "../../host/master/master.ts";
import { json } from "../respond.ts";

export const flags = (master: Master) => new Elysia().get("/flags", ({ request }) => json({ flags: master.flagsJson() }, request));
