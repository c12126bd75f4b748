// /version: the release and build facts, never redirected.
import { Elysia } from "elysia";
import { versionJson } from "../../host/version.ts";
import { json } from "../respond.ts";

export const version = () => new Elysia().get("/version", ({ request }) => json(versionJson(), request));
