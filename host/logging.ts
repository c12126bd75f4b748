// glog-style logging, one line per event on stderr, as Mesos operators read it:
//   I1121 14:03:01.123456 12345 master.ts:42] Elected as the leading master
// The level is set once from --logging_level; lines below it are dropped.

export type Level = "INFO" | "WARNING" | "ERROR" | "FATAL";

const LEVEL_RANK: Record<Level, number> = { INFO: 0, WARNING: 1, ERROR: 2, FATAL: 3 };

let minimum_rank = 0;
let sink: (line: string) => void = (line) => process.stderr.write(line + "\n");

export function setLoggingLevel(level: Level): void {
  minimum_rank = LEVEL_RANK[level];
}

/** Tests capture lines instead of writing to stderr; returns the sink it replaced. */
export function setLogSink(next: (line: string) => void): (line: string) => void {
  const previous = sink;
  sink = next;
  return previous;
}

export interface Logger {
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
  /** The line Mesos's LOG(FATAL) writes before abort(); the caller aborts. */
  fatal(message: string): void;
}

/** A logger whose lines name `file` (and the caller's line when the stack shows it). */
export function logger(file: string): Logger {
  return {
    info: (message) => write("INFO", file, message),
    warning: (message) => write("WARNING", file, message),
    error: (message) => write("ERROR", file, message),
    fatal: (message) => write("FATAL", file, message),
  };
}

function write(level: Level, file: string, message: string): void {
  if (LEVEL_RANK[level] < minimum_rank) return;
  sink(formatLine(level, new Date(), process.pid, `${file}:${callerLine(file)}`, message));
}

/** Formats one glog line; exported for tests. */
export function formatLine(level: Level, at: Date, pid: number, where: string, message: string): string {
  const p2 = (n: number) => String(n).padStart(2, "0");
  const micros = String(at.getMilliseconds() * 1000 + (Math.floor(performance.now() * 1000) % 1000)).padStart(6, "0");
  const stamp = `${p2(at.getMonth() + 1)}${p2(at.getDate())} ${p2(at.getHours())}:${p2(at.getMinutes())}:${p2(at.getSeconds())}.${micros}`;
  return `${level[0]}${stamp} ${pid} ${where}] ${message.replace(/\n/g, " ")}`;
}

/** The line number in `file` of the frame that called the logger, or 0 when unknown. */
function callerLine(file: string): number {
  const stack = new Error().stack ?? "";
  for (const frame of stack.split("\n")) {
    const at = frame.indexOf(file + ":");
    if (at >= 0 && !frame.includes("logging.ts")) {
      const line = Number.parseInt(frame.slice(at + file.length + 1), 10);
      if (Number.isFinite(line)) return line;
    }
  }
  return 0;
}
