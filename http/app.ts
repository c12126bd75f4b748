// Composes the feature modules; no logic here. Every master route answers both at /X and at
// /master/X (libprocess's delegate). A path that exists with other methods answers 405 with
// Allow; anything else unknown is 404 (mesos-spec §6.1).
import { Elysia } from "elysia";
import type { Master } from "../host/master/master.ts";
import { logger } from "../host/logging.ts";
import { files } from "./modules/files.ts";
import { flags } from "./modules/flags.ts";
import { frameworks } from "./modules/frameworks.ts";
import { health } from "./modules/health.ts";
import { logStatus } from "./modules/log_status.ts";
import { maintenance } from "./modules/maintenance.ts";
import { metrics } from "./modules/metrics.ts";
import { operator } from "./modules/operator.ts";
import { quota } from "./modules/quota.ts";
import { redirect } from "./modules/redirect.ts";
import { registrar } from "./modules/registrar.ts";
import { roles } from "./modules/roles.ts";
import { scheduler } from "./modules/scheduler.ts";
import { slaves } from "./modules/slaves.ts";
import { state } from "./modules/state.ts";
import { stateSummary } from "./modules/state_summary.ts";
import { tasks } from "./modules/tasks.ts";
import { version } from "./modules/version.ts";
import { weights } from "./modules/weights.ts";
import { webui } from "./modules/webui.ts";
import { empty, text } from "./respond.ts";
import { authenticateHttp } from "../host/master/http_authentication.ts";
import { challenge, realmOfPath } from "./plugins/authenticate.ts";

const log = logger("app.ts");

function routes(prefix: string, master: Master) {
  return new Elysia({ prefix })
    .use(webui(master))
    .use(health())
    .use(version())
    .use(flags(master))
    .use(files(master))
    .use(logStatus(master))
    .use(redirect(master))
    .use(state(master))
    .use(stateSummary(master))
    .use(slaves(master))
    .use(maintenance(master))
    .use(quota(master))
    .use(weights(master))
    .use(operator(master))
    .use(tasks(master))
    .use(roles(master))
    .use(scheduler(master))
    .use(frameworks(master))
    .use(metrics(master));
}

export function createApp(master: Master) {
  // The registrar is its own libprocess process: /registrar(1)/registry has no /master alias.
  const app = new Elysia().use(routes("", master)).use(routes("/master", master)).use(registrar(master));
  return app.onError(({ code, request, error }) => {
    if (code === "NOT_FOUND") return notFoundOrNotAllowed(app.routes, request, master);
    if (code === "PARSE" || code === "VALIDATION") return text(firstLine(error), 400);
    log.error(`${request.method} ${new URL(request.url).pathname} failed: ${firstLine(error)}`);
    return text("Internal error", 500);
  });
}

function notFoundOrNotAllowed(table: readonly { method: string; path: string }[], request: Request, master: Master): Response {
  const path = new URL(request.url).pathname.replace(/\/+$/, "") || "/";
  const allowed = table.filter((r) => r.path === path).map((r) => r.method);
  if (allowed.length === 0) return empty(404);
  // The route exists: libprocess authenticates before the handler answers 405.
  const authentication = authenticateHttp(master.security, realmOfPath(path) ?? null, request);
  if (!authentication.ok) return challenge(authentication.realm);
  const list = [...new Set(allowed)].sort();
  return text(`Expecting one of { '${list.join("', '")}' }, but received '${request.method}'`, 405, { allow: list.join(", ") });
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0] ?? "";
}
