// The registry as it will be once every operation the RegistryWriter has queued is stored:
// the parts that the HTTP and operator calls validate against (weights, quota configs, the
// maintenance machines and their modes), kept in maps so a call's check costs what the call
// names, not the registry's size. Each queued operation is applied here as the core applies
// it (core/registry/quota.ts, maintenance.ts), so N concurrent calls can be validated one
// after another and stored together in one batch. It is rebuilt from the stored registry
// whenever it may have drifted (a refused or failed store: see RegistryWriter).
import type { MachineID, MachineInfo, Operation, QuotaConfig, Registry } from "../registry/types.ts";
import { machineKey } from "../registry/machine_key.ts";
import { isDefaultQuota } from "../registry/small_cache.ts";

export type MachineMode = MachineInfo["mode"];

export class RegistryProjection {
  readonly weights = new Map<string, number>();
  readonly quotas = new Map<string, QuotaConfig>();
  /** Machines of the schedule by machineKey, with their ids and modes. */
  readonly machines = new Map<string, { id: MachineID; mode: MachineMode }>();
  /** Keys of DOWN machines: a new schedule must keep every one of them. */
  readonly down = new Set<string>();
  static of(registry: Registry): RegistryProjection {
    const projection = new RegistryProjection();
    for (const w of registry.weights ?? []) projection.weights.set(w.info.role, w.info.weight);
    for (const c of registry.quota_configs ?? []) projection.quotas.set(c.role, c);
    for (const m of registry.machines?.machines ?? []) projection.setMachine(m.id, m.mode);
    return projection;
  }

  /** Roles with a weight once `roles` have one too. */
  weightRolesWith(roles: readonly string[]): number {
    return this.weights.size + new Set(roles.filter((r) => !this.weights.has(r))).size;
  }

  /** Roles with a quota once `configs` are stored (a default config removes its role). */
  quotaRolesWith(configs: readonly QuotaConfig[]): number {
    const changed = new Map(configs.map((c) => [c.role, !isDefaultQuota(c)]));
    let count = this.quotas.size;
    for (const [role, kept] of changed) {
      if (kept && !this.quotas.has(role)) count++;
      if (!kept && this.quotas.has(role)) count--;
    }
    return count;
  }

  modeOf(id: MachineID): MachineMode | undefined {
    return this.machines.get(machineKey(id))?.mode;
  }

  apply(op: Operation): void {
    switch (op.type) {
      case "UPDATE_WEIGHTS":
        for (const w of op.weights) this.weights.set(w.role, w.weight);
        return;
      case "UPDATE_QUOTA":
        for (const c of op.configs) {
          if (isDefaultQuota(c)) this.quotas.delete(c.role);
          else this.quotas.set(c.role, c);
        }
        return;
      case "UPDATE_SCHEDULE":
        return this.schedule(op.schedule.windows.flatMap((w) => w.machine_ids));
      case "START_MAINTENANCE":
        for (const id of op.machines) if (this.machines.has(machineKey(id))) this.setMachine(this.machines.get(machineKey(id))!.id, "DOWN");
        return;
      case "STOP_MAINTENANCE":
        for (const id of op.machines) this.deleteMachine(machineKey(id));
        return;
      default:
        return; // operations on agents and the master: not part of what calls validate against
    }
  }

  /** UPDATE_SCHEDULE: machines kept keep their mode, dropped ones go, new ones are DRAINING. */
  private schedule(ids: readonly MachineID[]): void {
    const keys = new Set(ids.map(machineKey));
    for (const key of [...this.machines.keys()]) if (!keys.has(key)) this.deleteMachine(key);
    for (const id of ids) if (!this.machines.has(machineKey(id))) this.setMachine(id, "DRAINING");
  }

  private setMachine(id: MachineID, mode: MachineMode): void {
    const key = machineKey(id);
    this.machines.set(key, { id, mode });
    if (mode === "DOWN") this.down.add(key);
    else this.down.delete(key);
  }

  private deleteMachine(key: string): void {
    this.machines.delete(key);
    this.down.delete(key);
  }
}
