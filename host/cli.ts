// What every long-running personality does the same way at its edges: flags parsed or one line
// and exit 1 (--help and --version print and exit 0), a work directory created or one line
// naming the flag and exit 1, and SIGTERM/SIGINT stopping cleanly with status 0.
import { mkdirSync } from "node:fs";
import { FlagError, helpText } from "./flags.ts";
import type { Logger } from "./logging.ts";
import { MESOS_VERSION } from "./version.ts";

type Parsed<T> = { kind: "help" } | { kind: "version" } | { kind: "flags"; values: T };

export function loadFlagsOrExit<T>(program: string, spec: Parameters<typeof helpText>[1], parse: () => Parsed<T>): T {
  try {
    const result = parse();
    if (result.kind === "help") {
      console.log(helpText(program, spec));
      process.exit(0);
    }
    if (result.kind === "version") {
      console.log(`mesos ${MESOS_VERSION}`);
      process.exit(0);
    }
    return result.values;
  } catch (error) {
    exitOnFlagError(error);
  }
}

/** Runs `load` (security files, say); a FlagError is printed as its one line and the process exits 1. */
export function orExit<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    exitOnFlagError(error);
  }
}

function exitOnFlagError(error: unknown): never {
  if (!(error instanceof FlagError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}

/** Creates `path` (and parents) for flag `flag`, or exits 1 with one line naming the flag. */
export function ensureDirectoryOrExit(path: string, flag: string, shown = path): void {
  try {
    mkdirSync(path, { recursive: true });
  } catch (error) {
    process.stderr.write(`Flag '${flag}': expected a directory this process can create and write, got '${shown}' (${(error as Error).message})\n`);
    process.exit(1);
  }
}

/** Runs `stop` once on the first SIGTERM or SIGINT, then exits 0. */
export function stopOnSignals(log: Logger, stop: () => Promise<void> | void): void {
  let stopping = false;
  const handler = (signal: string) => async () => {
    if (stopping) return;
    stopping = true;
    log.info(`Received ${signal}; shutting down`);
    await stop();
    process.exit(0);
  };
  process.on("SIGTERM", handler("SIGTERM"));
  process.on("SIGINT", handler("SIGINT"));
}
