// The registrar as the rest of the master uses it (mesos-spec §4.3): queue operations, know
// whether recovery finished, and read the last stored registry. host/master/registrar.ts
// implements it; the HTTP modules and master services only see this interface.
import type { Operation, Registry } from "./types.ts";

export interface RegistrarService {
  /** Queues one registry operation; resolves true (applied) / false (the operation returned an error, e.g. duplicate). Rejects when the registrar was never recovered or has aborted. */
  apply(op: Operation): Promise<boolean>;
  /** True once recovery finished (the Recover operation was stored). */
  recovered(): boolean;
  /** The last STORED registry's small parts (master, machines, schedules, quota_configs, weights, minimum_capabilities), synchronous, cheap. Before recovery: {}. */
  current(): Registry;
  /** The whole last stored registry, for /registrar(1)/registry ({} before recovery). */
  full(): Promise<Registry>;
}
