// Our replicated log in bench:compare with security on, to price it: the same three replicas
// as mesos_log.ts, with TLS on every peer link (mutual: each side presents a certificate from
// a CA made for the run) and the peers' HMAC challenge-response over a shared log secret.
import { create as createLog } from "./mesos_log.ts";
import type { BenchSystem, SystemOptions } from "./types.ts";

export function create(options: SystemOptions): BenchSystem {
  return createLog(options, true);
}
