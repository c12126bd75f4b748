// An operator's teardown of a framework (/teardown and the v1 TEARDOWN call, master/http.cpp's
// _teardown): an unknown id is 400, then teardown_frameworks decides with the framework's
// principal as the object (403), then the framework is removed.
import type { Master } from "./master.ts";
import { ok, type Reply, refuse } from "./registry_requests.ts";

export function operatorTeardown(master: Master, principal: string | null, framework_id: string): Reply {
  const framework = master.frameworks.get(framework_id);
  if (framework === undefined) return refuse("No framework found with specified ID");
  const forbidden = master.authorization.teardown(principal, framework.info);
  if (forbidden !== null) return forbidden;
  master.frameworks.teardown(framework_id);
  return ok();
}
