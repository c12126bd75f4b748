// Durable JSON files for the agent's task checkpoints (under <work_dir>/meta/): written to a
// temporary file, fsynced, renamed over the old one, the directory fsynced (meta/slave.json too,
// through state_dir.ts), so a crash leaves the old file or the new one, never a torn one.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { dirname } from "node:path";

export function writeJsonAtomic(path: string, value: unknown, indent?: number): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const temporary = `${path}.tmp`;
  const fd = openSync(temporary, "w", 0o644);
  try {
    writeSync(fd, JSON.stringify(value, null, indent) + "\n");
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
  const dirFd = openSync(dir, "r");
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

/** The parsed file, or null when it does not exist; throws when it is not JSON. */
export function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  return JSON.parse(text);
}
