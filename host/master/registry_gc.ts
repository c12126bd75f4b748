// Registry GC (mesos-spec §5.7): every --registry_gc_interval the leader prunes unreachable
// and gone agents older than --registry_max_agent_age, then the oldest-inserted beyond
// --registry_max_agent_count in each list, with one Prune operation.
import { logger } from "../logging.ts";
import { type GoneSlave, Section, type UnreachableSlave } from "../registry/types.ts";
import type { Registrar } from "./registrar.ts";

const log = logger("registry_gc.ts");

export interface RegistryGcOptions {
  interval_ms: number;
  max_age_ms: number;
  max_count: number;
  now_ms?: () => number;
  /** Told the pruned ids once the Prune is stored (the master forgets them too, as Mesos does). */
  onPruned?: (unreachable: readonly string[], gone: readonly string[]) => void;
}

/** The ids to prune from one list, kept in insertion order (oldest first). */
export function selectForGc(list: readonly (UnreachableSlave | GoneSlave)[], now_ms: number, max_age_ms: number, max_count: number): string[] {
  const cutoff_ns = (now_ms - max_age_ms) * 1e6;
  const pruned = new Set<string>();
  for (const entry of list) if (entry.timestamp.nanoseconds < cutoff_ns) pruned.add(entry.id.value);
  let excess = list.length - pruned.size - max_count;
  for (const entry of list) {
    if (excess <= 0) break;
    if (pruned.has(entry.id.value)) continue;
    pruned.add(entry.id.value);
    excess--;
  }
  return list.map((e) => e.id.value).filter((id) => pruned.has(id));
}

/** One GC pass; resolves with what it pruned. */
export async function collectRegistryGarbage(registrar: Registrar, options: RegistryGcOptions): Promise<{ unreachable: number; gone: number }> {
  const registry = await registrar.read(Section.UNREACHABLE | Section.GONE);
  const now_ms = (options.now_ms ?? Date.now)();
  const unreachable = selectForGc(registry.unreachable?.slaves ?? [], now_ms, options.max_age_ms, options.max_count);
  const gone = selectForGc(registry.gone?.slaves ?? [], now_ms, options.max_age_ms, options.max_count);
  if (unreachable.length === 0 && gone.length === 0) return { unreachable: 0, gone: 0 };
  log.info(`Garbage collecting ${unreachable.length} unreachable and ${gone.length} gone agents from the registry`);
  await registrar.apply({ type: "PRUNE", unreachable, gone });
  options.onPruned?.(unreachable, gone);
  return { unreachable: unreachable.length, gone: gone.length };
}

/** Runs a GC pass every interval until stopped; a pass never overlaps the previous one. */
export function startRegistryGc(registrar: Registrar, options: RegistryGcOptions): { stop(): void } {
  let running = false;
  const timer = setInterval(() => {
    if (running || !registrar.recovered()) return;
    running = true;
    collectRegistryGarbage(registrar, options)
      .catch((error) => log.warning(`Registry GC failed: ${(error as Error).message}`))
      .finally(() => (running = false));
  }, options.interval_ms);
  return { stop: () => clearInterval(timer) };
}
