// How a security file or variable that fails to load is reported, the same for the master, the
// agent and mesos-log: one FlagError line naming the flag ("Failed to load flag 'x': why") or,
// for libprocess's TLS variables, the variable (TlsError's text already names it).
import { FlagError } from "../flags.ts";

/** Runs `load`; any error other than a FlagError becomes the FlagError naming `flag` (or a LIBPROCESS_* variable). */
export function asFlagError<T>(flag: string, load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof FlagError) throw error;
    const message = (error as Error).message;
    throw new FlagError(flag.startsWith("LIBPROCESS") ? message : `Failed to load flag '${flag}': ${message}`);
  }
}
