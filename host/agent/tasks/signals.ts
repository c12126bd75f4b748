// Signal names and the words Mesos's executors use for them: "Command terminated with signal
// Killed" is WSTRINGIFY of a wait status, which prints strsignal(3) of the signal; this is glibc's
// table, so an agent reports what a Mesos agent on Linux would.
import { constants } from "node:os";

const DESCRIPTIONS: Record<string, string> = {
  SIGHUP: "Hangup", SIGINT: "Interrupt", SIGQUIT: "Quit", SIGILL: "Illegal instruction", SIGTRAP: "Trace/breakpoint trap",
  SIGABRT: "Aborted", SIGBUS: "Bus error", SIGFPE: "Floating point exception", SIGKILL: "Killed", SIGUSR1: "User defined signal 1",
  SIGSEGV: "Segmentation fault", SIGUSR2: "User defined signal 2", SIGPIPE: "Broken pipe", SIGALRM: "Alarm clock", SIGTERM: "Terminated",
  SIGSTKFLT: "Stack fault", SIGCHLD: "Child exited", SIGCONT: "Continued", SIGSTOP: "Stopped (signal)", SIGTSTP: "Stopped",
  SIGTTIN: "Stopped (tty input)", SIGTTOU: "Stopped (tty output)", SIGURG: "Urgent I/O condition", SIGXCPU: "CPU time limit exceeded",
  SIGXFSZ: "File size limit exceeded", SIGVTALRM: "Virtual timer expired", SIGPROF: "Profiling timer expired", SIGWINCH: "Window changed",
  SIGIO: "I/O possible", SIGPWR: "Power failure", SIGSYS: "Bad system call",
};

/** glibc's first real-time signal as programs see it (the two below it are its own). */
const SIGRTMIN = 34;
const SIGRTMAX = 64;

/** The signal's name ("SIGKILL" for 9); "SIG<n>" for a number the platform does not name (the real-time ones). */
export function signalName(signo: number): string {
  for (const [name, n] of Object.entries(constants.signals)) if (n === signo && name in DESCRIPTIONS) return name;
  return `SIG${signo}`;
}

/** strsignal(3)'s words for a signal named as signalName() or Bun's signalCode names it. */
export function signalDescription(name: string): string {
  const known = DESCRIPTIONS[name];
  if (known !== undefined) return known;
  const signo = Number(/^SIG(\d+)$/.exec(name)?.[1] ?? Number.NaN);
  if (signo >= SIGRTMIN && signo <= SIGRTMAX) return `Real-time signal ${signo - SIGRTMIN}`;
  return Number.isInteger(signo) ? `Unknown signal ${signo}` : name;
}
