// Clock jumps for one process, as an NTP step would make them: each master runs under
// libfaketime (Debian's `faketime` package) with a file of its own holding the offset of its
// wall clock (CLOCK_REALTIME only: FAKETIME_DONT_FAKE_MONOTONIC, so timers and timeouts, which
// use the monotonic clock, keep running as they would on a real machine whose clock is stepped).
// The clock-jump fault writes an offset there; healing writes +0 (a jump back).
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

export class Clocks {
  private constructor(private readonly dir: string) {}

  /** Clocks for the run's masters, or why there are none (libfaketime missing). */
  static create(dir: string): Clocks | string {
    if (!existsSync(LIBFAKETIME)) return `${LIBFAKETIME} is missing (install Debian's faketime package)`;
    return new Clocks(dir);
  }

  private file(member: string): string {
    return join(this.dir, `clock-${member}`);
  }

  /** The environment that puts `member` under its own clock (starting true: offset +0). */
  env(member: string): Record<string, string> {
    const file = this.file(member);
    if (!existsSync(file)) writeFileSync(file, "+0\n");
    return { LD_PRELOAD: LIBFAKETIME, FAKETIME_TIMESTAMP_FILE: file, FAKETIME_CACHE_DURATION: "1", FAKETIME_DONT_FAKE_MONOTONIC: "1" };
  }

  /** Steps `member`'s wall clock by offset_s (seen within a second); the heal function steps it back. */
  jump(member: string, offset_s: number): () => void {
    writeFileSync(this.file(member), `${offset_s >= 0 ? "+" : ""}${offset_s}\n`);
    return () => writeFileSync(this.file(member), "+0\n");
  }
}
