// Command tasks as real processes (Mesos's command executor, without the executor process).
// Each run has a sandbox, <work_dir>/slaves/<agent>/frameworks/<framework>/executors/<task>/runs/<run>/
// (Mesos's layout; the command executor's executor id is the task id), holding the task's
// `stdout` and `stderr`. The command runs with `sh -c value` (shell unset or true) or as
// value + arguments, in its own session and process group (setsid), so signals to the group
// reach its children. It is started through a small sh wrapper in the same group that outlives
// SIGTERM and writes how the command ended to a file (its exit status N, or "signal N" when a
// signal killed it): a restarted agent, no longer the parent, learns how a task it re-adopted
// ended from that file, and a running agent what the wrapper's own exit status cannot say.
import { closeSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { TaskInfo } from "../task_protocol.ts";
import { signalDescription, signalName } from "./signals.ts";

// The wrapper. `trap : TERM INT HUP` keeps it alive through the group's SIGTERM (the command still
// gets it, with the default disposition, since traps are not inherited) so it can record how the
// command ended. sh's $? is 128+N both for a command a signal N killed and for one that exited
// 128+N, which Mesos reports differently ("terminated with signal Killed", "exited with status
// 137"); but the shell itself tells them apart: for a foreground command a signal killed (other
// than SIGINT and SIGPIPE) dash and bash print the signal's name to their own stderr.
// So the wrapper's stderr is the status file while the command runs (the command's is the
// sandbox's, through fd 3, applied inside the subshell it is exec'd from, as dash would otherwise
// hold the redirection in the wrapper while it waits), and a status above 128 with that file no
// longer empty is recorded as "signal N". A command SIGINT or SIGPIPE killed is recorded as
// 128+N, as an exit status.
// The status is written in place (no temporary file and `mv`, which cost a process per task): the
// file is read only once the wrapper is gone (recordedExit), when the write is complete; a wrapper
// killed earlier leaves no status (the file is empty, or holds only the shell's word for the
// signal), read as an unknown one.
const WRAPPER = [
  'trap : TERM INT HUP; f=$1; shift; exec 3>&2 2>"$f"; (exec "$@" 2>&3 3>&-); s=$?; r=$s;',
  'if [ $s -gt 128 ] && [ -s "$f" ]; then r="signal $((s - 128))"; fi; echo "$r" > "$f"; exit $s',
].join(" ");

export function sandboxPath(work_dir: string, agent_id: string, framework_id: string, task_id: string, run_id: string): string {
  return join(work_dir, "slaves", agent_id, "frameworks", framework_id, "executors", task_id, "runs", run_id);
}

/**
 * The argv the command runs as; null when there is nothing to run. With shell false Mesos execs
 * `value` with `arguments` as its whole argv (execlp(value, arguments[0], arguments[1], ...)):
 * arguments[0] is the program's argv[0], not its first argument. The sh wrapper cannot set
 * argv[0], so the program sees `value` there instead.
 */
export function commandArgv(command: TaskInfo["command"] | undefined): string[] | null {
  if (command === undefined || command.value === undefined || command.value === "") return null;
  if (command.shell === false) return [command.value, ...(command.arguments ?? []).slice(1)];
  return ["/bin/sh", "-c", command.value];
}

export interface TaskEnvironment {
  sandbox: string;
  task_id: string;
  framework_id: string;
  agent_id: string;
}

/** The agent's environment, then the command's variables, then Mesos's own (which win). */
export function taskEnvironment(command: TaskInfo["command"] | undefined, e: TaskEnvironment, base: Record<string, string | undefined> = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) if (value !== undefined) env[name] = value;
  for (const v of command?.environment?.variables ?? []) env[v.name] = v.value ?? "";
  Object.assign(env, {
    MESOS_SANDBOX: e.sandbox, MESOS_DIRECTORY: e.sandbox, MESOS_TASK_ID: e.task_id, MESOS_EXECUTOR_ID: e.task_id,
    MESOS_FRAMEWORK_ID: e.framework_id, MESOS_AGENT_ID: e.agent_id, MESOS_SLAVE_ID: e.agent_id,
  });
  return env;
}

/** How a task's process ended: an exit status, a signal, or unknown (re-adopted, no status file). */
export type Exit = { code: number; signal: null } | { code: null; signal: string } | { code: null; signal: null };

export interface TaskProcess {
  /** The wrapper's pid, which is also the process group id. */
  pid: number;
  /** The process's start time (/proc/<pid>/stat field 22), to tell it from a reused pid; null where unknown. */
  start_time: string | null;
  exited: Promise<Exit>;
}

/** Creates the sandbox with its stdout and stderr and starts the command; throws when it cannot. */
export function launch(argv: string[], sandbox: string, env: Record<string, string>, status_file: string): TaskProcess {
  mkdirSync(sandbox, { recursive: true });
  const stdout = openSync(join(sandbox, "stdout"), "a", 0o644);
  const stderr = openSync(join(sandbox, "stderr"), "a", 0o644);
  try {
    const child = Bun.spawn(["/bin/sh", "-c", WRAPPER, "mesos-task", status_file, ...argv], {
      cwd: sandbox, env, stdin: "ignore", stdout, stderr, detached: true,
    });
    const exited = child.exited.then((): Exit => {
      const recorded = recordedExit(status_file); // the command's own end, which the wrapper's status cannot tell from exit 128+N
      if (recorded.code !== null || recorded.signal !== null) return recorded;
      return child.signalCode ? { code: null, signal: String(child.signalCode) } : { code: child.exitCode ?? 0, signal: null };
    });
    return { pid: child.pid, start_time: processStartTime(child.pid), exited };
  } finally {
    closeSync(stdout);
    closeSync(stderr);
  }
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot), or null. */
export function processStartTime(pid: number): string | null {
  const fields = procStatFields(pid);
  if (fields === null) return null;
  const state = fields[0];
  if (state === "Z" || state === "X") return null; // a zombie is not running
  return fields[19] ?? null;
}

/** Linux's USER_HZ (clock ticks of /proc/<pid>/stat) on every architecture this binary is built for. */
export const CLOCK_TICKS_PER_S = 100;

/** A process's own CPU time (utime + stime, fields 14 and 15), in seconds; null once it ended. */
export function cpuSeconds(pid: number): number | null {
  const fields = procStatFields(pid);
  return fields === null ? null : (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
}

/** /proc/<pid>/stat from field 3 (state) on, so field N is [N - 3] (the command name may hold spaces and parentheses); null once it ended. */
export function procStatFields(pid: number | string): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}

/** Whether the process `pid` that started at `start_time` is still running. */
export function isRunning(pid: number, start_time: string | null): boolean {
  const now = processStartTime(pid);
  if (now !== null) return start_time === null || now === start_time;
  if (process.platform === "linux") return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether any process of the group is left. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Signals the whole process group; false when no process of it is left. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  if (!(pgid > 1)) return false;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** How the wrapper recorded the command ended ("N", or "signal N"); unknown when it recorded nothing. */
export function recordedExit(status_file: string): Exit {
  let text: string;
  try {
    text = readFileSync(status_file, "utf8").trim();
  } catch {
    return { code: null, signal: null };
  }
  const signal = /^signal (\d+)$/.exec(text);
  if (signal !== null) return { code: null, signal: signalName(Number(signal[1])) };
  return /^\d+$/.test(text) ? { code: Number(text), signal: null } : { code: null, signal: null };
}

/**
 * A process this agent did not start (re-adopted after an agent restart): polled until it is
 * gone, then ended as its wrapper recorded (unknown when the wrapper itself was killed).
 */
export function adopt(pid: number, start_time: string | null, status_file: string, poll_ms = 250): TaskProcess {
  const exited = new Promise<Exit>((resolve) => {
    const timer = setInterval(() => {
      if (isRunning(pid, start_time)) return;
      clearInterval(timer);
      resolve(recordedExit(status_file));
    }, poll_ms);
  });
  return { pid, start_time, exited };
}

/** Mesos's wording for how a command ended. */
export function describeExit(exit: Exit): string {
  if (exit.code !== null) return `Command exited with status ${exit.code}`;
  if (exit.signal !== null) return `Command terminated with signal ${signalDescription(exit.signal)}`;
  return "Command terminated (its exit status is unknown)";
}
