// The process's open-file limit, as an operator sizes it: every agent holds one socket on the
// leading master, so a master with a limit of N holds at most about N - FILES_RESERVED agents.
// At the limit Bun's accept loop spins on EMFILE, so say so at start rather than at 20,000 agents.
import { readFileSync } from "node:fs";

/** Descriptors kept for everything but agents (log peers, ZooKeeper, SQLite, HTTP clients). */
export const FILES_RESERVED = 1000;
/** Below this many, a master warns at start. */
export const FILES_WARN_BELOW = 65_536;

/** The soft limit on open files from /proc/self/limits, or null when unknown. */
export function openFilesLimit(limits_text?: string): number | null {
  let text = limits_text;
  if (text === undefined) {
    try {
      text = readFileSync("/proc/self/limits", "utf8");
    } catch {
      return null;
    }
  }
  const match = /^Max open files\s+(\d+|unlimited)/m.exec(text);
  if (!match) return null;
  return match[1] === "unlimited" ? Number.POSITIVE_INFINITY : Number(match[1]);
}

/** The warning line for a master with this limit, or null when it is ample. */
export function openFilesWarning(limit: number | null): string | null {
  if (limit === null || limit >= FILES_WARN_BELOW) return null;
  return `The open-file limit is ${limit}: this master can hold about ${Math.max(0, limit - FILES_RESERVED)} agents; raise it (ulimit -n) to at least the number of agents + ${FILES_RESERVED}`;
}
