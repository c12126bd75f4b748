// The agent's checkpoint of its identity, <work_dir>/meta/slave.json: the id the master gave
// it and the SlaveInfo it registered with (Mesos keeps the same under meta/slaves/latest). A
// restarted agent that finds it re-registers as itself. It is written to a temporary file,
// fsynced, renamed over the old one and the directory fsynced, so a crash leaves either the
// old file or the new one, never a torn one.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { SlaveInfo } from "../registry/types.ts";
import { writeJsonAtomic } from "./tasks/checkpoint.ts";

export interface SlaveMeta {
  id: string;
  info: SlaveInfo;
}

export class StateDirError extends Error {
  override name = "StateDirError";
}

export function metaPath(work_dir: string): string {
  return join(work_dir, "meta", "slave.json");
}

/** The checkpointed identity, or null for a fresh agent; StateDirError when it is unreadable. */
export function readSlaveMeta(work_dir: string): SlaveMeta | null {
  const path = metaPath(work_dir);
  if (!existsSync(path)) return null;
  let value: any;
  try {
    value = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new StateDirError(`${path} is not readable JSON (${(error as Error).message})`);
  }
  const id = value?.id;
  const info = value?.info;
  if (typeof id !== "string" || id === "" || typeof info !== "object" || info === null || typeof info.hostname !== "string" || info.id?.value !== id) {
    throw new StateDirError(`${path} holds no agent id and SlaveInfo`);
  }
  return { id, info: info as SlaveInfo };
}

/** Writes the identity durably (see the header); throws on any I/O failure. */
export function writeSlaveMeta(work_dir: string, meta: SlaveMeta): void {
  writeJsonAtomic(metaPath(work_dir), meta, 2);
}

/**
 * Mesos's default --reconfiguration_policy=equal: a restarted agent must present the SlaveInfo
 * it registered with. Returns what changed (empty when nothing did), compared as JSON.
 */
export function slaveInfoChanges(recovered: SlaveInfo, current: Omit<SlaveInfo, "id">): string[] {
  const fields = ["hostname", "port", "resources", "attributes"] as const;
  return fields.filter((f) => JSON.stringify(recovered[f] ?? null) !== JSON.stringify(current[f] ?? null));
}
