// Proves the agent's task side in process: the status update manager (order, one update on the wire per task, retry on the doubling schedule with an injected clock, ack by uuid only, pause/resume, checkpoint and reload, bounds), the command runner (sandbox, stdout/stderr, environment, process group, recorded exit status or killing signal) and AgentTasks (launch, exit statuses, death by signal, kill with escalation, unknown task, RECONCILE_TASKS of unknown tasks, invalid tasks, task groups failing together, recovery after an agent restart).
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseMasterMessage, ProtocolError } from "../../host/agent/protocol.ts";
import { commandArgv, describeExit, groupAlive, launch, recordedExit, signalGroup, taskEnvironment } from "../../host/agent/tasks/runner.ts";
import { type Clock, StatusUpdateManager } from "../../host/agent/tasks/status_updates.ts";
import { AgentTasks } from "../../host/agent/tasks/tasks.ts";
import type { StatusUpdate, TaskInfo } from "../../host/agent/task_protocol.ts";
import { acknowledger, expectRestartRecovers, until } from "../helpers/agent_tasks.ts";

const scratch = mkdtempSync(join(tmpdir(), "agent-tasks-"));
const groups: number[] = [];
afterAll(() => {
  for (const pgid of groups) signalGroup(pgid, "SIGKILL");
  rmSync(scratch, { recursive: true, force: true });
});

class FakeClock implements Clock {
  t = 1_000_000;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private next = 0;
  now() {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number) {
    const id = this.next++;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  }
  clearTimeout(handle: unknown) {
    this.timers = this.timers.filter((x) => x.id !== handle);
  }
  advance(ms: number) {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const due = this.timers[0];
      if (due === undefined || due.at > end) break;
      this.timers.shift();
      this.t = due.at;
      due.fn();
    }
    this.t = end;
  }
}

const tid = (value: string) => ({ value });

describe("StatusUpdateManager", () => {
  function setup(dir = mkdtempSync(join(scratch, "sum-"))) {
    const clock = new FakeClock();
    const sent: StatusUpdate[] = [];
    const ended: string[] = [];
    const sum = new StatusUpdateManager({ send: (u) => sent.push(u) > 0, ended: (_f, t) => void ended.push(t), clock, retry_ms: 10_000, retry_max_ms: 40_000, max_per_task: 3 });
    return { clock, sent, ended, sum, path: join(dir, "t1.updates"), dir };
  }

  test("sends only the oldest unacknowledged update per task, the next after the ack naming its uuid", () => {
    const { sum, sent, ended, path } = setup();
    sum.resume();
    const a = sum.add("F", { task_id: tid("t1"), state: "TASK_STARTING" }, path)!;
    const b = sum.add("F", { task_id: tid("t1"), state: "TASK_RUNNING" }, path)!;
    const c = sum.add("F", { task_id: tid("t1"), state: "TASK_FINISHED" }, path)!;
    expect(a.uuid).not.toBe(b.uuid);
    expect(Buffer.from(a.uuid, "base64").length).toBe(16);
    expect(a.status.uuid).toBe(a.uuid);
    expect(sent.map((u) => u.status.state)).toEqual(["TASK_STARTING"]);
    expect(sum.acknowledge("F", "t1", b.uuid)).toBe("unexpected_uuid");
    expect(sent.length).toBe(1);
    expect(sum.acknowledge("F", "t1", a.uuid)).toBe("acknowledged");
    expect(sent.map((u) => u.status.state)).toEqual(["TASK_STARTING", "TASK_RUNNING"]);
    expect(sent[1]!.latest_state).toBe("TASK_FINISHED"); // the task's latest state rides on the older update
    expect(sum.acknowledge("F", "t1", b.uuid)).toBe("acknowledged");
    expect(sent.at(-1)!.uuid).toBe(c.uuid);
    expect(sum.add("F", { task_id: tid("t1"), state: "TASK_RUNNING" }, path)).toBeNull(); // after a terminal one
    expect(sum.acknowledge("F", "t1", c.uuid)).toBe("acknowledged");
    expect(ended).toEqual(["t1"]);
    expect(sum.acknowledge("F", "t1", c.uuid)).toBe("unknown_stream");
  });

  test("retries on the doubling schedule up to the cap; paused sends nothing; resume resends at once", () => {
    const { sum, sent, clock, path } = setup();
    sum.resume();
    sum.add("F", { task_id: tid("t1"), state: "TASK_RUNNING" }, path);
    const times = () => sent.map(() => 0).length;
    const at: number[] = [];
    const start = clock.t;
    const record = () => {
      while (at.length < sent.length) at.push(clock.t - start);
    };
    record();
    for (let i = 0; i < 200; i++) {
      clock.advance(1000);
      record();
    }
    expect(times()).toBeGreaterThan(4);
    expect(at.slice(0, 6)).toEqual([0, 10_000, 30_000, 70_000, 110_000, 150_000]); // 10 s, 20 s, 40 s, then capped at 40 s
    sum.pause();
    const n = sent.length;
    clock.advance(500_000);
    expect(sent.length).toBe(n);
    sum.resume();
    expect(sent.length).toBe(n + 1);
    clock.advance(9_999);
    expect(sent.length).toBe(n + 1);
    clock.advance(1);
    expect(sent.length).toBe(n + 2);
  });

  test("checkpoints every change and reloads the unacknowledged updates in order", async () => {
    const first = setup();
    first.sum.resume();
    const a = first.sum.add("F", { task_id: tid("t1"), state: "TASK_STARTING" }, first.path)!;
    const b = first.sum.add("F", { task_id: tid("t1"), state: "TASK_RUNNING" }, first.path)!;
    first.sum.acknowledge("F", "t1", a.uuid);
    const c = first.sum.add("F", { task_id: tid("t1"), state: "TASK_FAILED", message: "Command exited with status 3" }, first.path)!;
    const { parseStreamCheckpoint } = await import("../../host/agent/tasks/status_updates.ts");
    const checkpoint = parseStreamCheckpoint(JSON.parse(readFileSync(first.path, "utf8")))!;
    expect(checkpoint.updates.map((u) => u.uuid)).toEqual([b.uuid, c.uuid]);
    expect(checkpoint.terminated).toBe(true);
    const second = setup(first.dir);
    second.sum.recover(checkpoint, second.path);
    expect(second.sent).toEqual([]); // paused until registered
    second.sum.resume();
    expect(second.sent.map((u) => u.uuid)).toEqual([b.uuid]);
    second.sum.acknowledge("F", "t1", b.uuid);
    expect(second.sent.map((u) => u.uuid)).toEqual([b.uuid, c.uuid]);
    second.sum.acknowledge("F", "t1", c.uuid);
    expect(second.ended).toEqual(["t1"]);
  });

  test("bounds unacknowledged non-terminal updates per task, but always takes the terminal one", () => {
    const { sum, path } = setup();
    for (let i = 0; i < 3; i++) expect(sum.add("F", { task_id: tid("t1"), state: "TASK_RUNNING" }, path)).not.toBeNull();
    expect(sum.add("F", { task_id: tid("t1"), state: "TASK_RUNNING" }, path)).toBeNull();
    expect(sum.add("F", { task_id: tid("t1"), state: "TASK_KILLED" }, path)).not.toBeNull();
    expect(sum.counters.refused).toBe(1);
  });
});

describe("runner", () => {
  test("runs in a sandbox with stdout/stderr files, Mesos's environment, its own process group, and records the exit status", async () => {
    const sandbox = join(scratch, "sandbox1");
    const status = join(scratch, "exit1");
    const command = { value: 'echo "hi $MESOS_TASK_ID $GREETING"; echo err >&2; test "$(ps -o pgid= -p $$ | tr -d " ")" != "" ; exit 3', environment: { variables: [{ name: "GREETING", value: "hello" }] } };
    const env = taskEnvironment(command, { sandbox, task_id: "t1", framework_id: "F", agent_id: "A" });
    expect(env.MESOS_SANDBOX).toBe(sandbox);
    expect(env.MESOS_AGENT_ID).toBe("A");
    const p = launch(commandArgv(command)!, sandbox, env, status);
    groups.push(p.pid);
    expect(await p.exited).toEqual({ code: 3, signal: null });
    expect(readFileSync(join(sandbox, "stdout"), "utf8")).toBe("hi t1 hello\n");
    expect(readFileSync(join(sandbox, "stderr"), "utf8")).toBe("err\n");
    expect(recordedExit(status)).toEqual({ code: 3, signal: null });
    // shell false: arguments are the whole argv, arguments[0] being argv[0] (Mesos's execlp semantics).
    const direct = join(scratch, "sandbox-direct");
    const echo = launch(commandArgv({ value: "/bin/echo", shell: false, arguments: ["echo", "x", "y"] })!, direct, env, join(scratch, "exit-direct"));
    groups.push(echo.pid);
    expect(await echo.exited).toEqual({ code: 0, signal: null });
    expect(readFileSync(join(direct, "stdout"), "utf8")).toBe("x y\n");
    expect(commandArgv({})).toBeNull();
  });

  test("a signal to the group reaches the command's children", async () => {
    const sandbox = join(scratch, "sandbox2");
    const p = launch(["/bin/sh", "-c", "sleep 60 & sleep 60; wait"], sandbox, { PATH: process.env.PATH ?? "/bin:/usr/bin" }, join(scratch, "exit2"));
    groups.push(p.pid);
    await Bun.sleep(100);
    expect(groupAlive(p.pid)).toBe(true);
    signalGroup(p.pid, "SIGKILL");
    expect((await p.exited).signal).toBe("SIGKILL");
    await until(() => !groupAlive(p.pid), "the group to be gone");
  });

  test("a command a signal killed is recorded as that signal, not as exit 128+N; its stderr stays its own; old status files still read", async () => {
    const env = { PATH: process.env.PATH ?? "/bin:/usr/bin" };
    const killed = launch(["/bin/sh", "-c", "echo dying >&2; kill -KILL $$"], join(scratch, "sandbox3"), env, join(scratch, "exit3"));
    groups.push(killed.pid);
    expect(await killed.exited).toEqual({ code: null, signal: "SIGKILL" });
    expect(describeExit(await killed.exited)).toBe("Command terminated with signal Killed");
    expect(recordedExit(join(scratch, "exit3"))).toEqual({ code: null, signal: "SIGKILL" });
    expect(readFileSync(join(scratch, "sandbox3", "stderr"), "utf8")).toBe("dying\n"); // no word from the wrapper's shell
    const exited = launch(["/bin/sh", "-c", "exit 137"], join(scratch, "sandbox4"), env, join(scratch, "exit4"));
    groups.push(exited.pid);
    expect(await exited.exited).toEqual({ code: 137, signal: null });
    expect(describeExit({ code: 137, signal: null })).toBe("Command exited with status 137");
    const child_killed = launch(["/bin/sh", "-c", "sleep 30 & kill -KILL $!; wait $!"], join(scratch, "sandbox5"), env, join(scratch, "exit5"));
    groups.push(child_killed.pid);
    expect(await child_killed.exited).toEqual({ code: 137, signal: null }); // the command's shell exited; only its child was killed
    writeFileSync(join(scratch, "exit6"), "143\n"); // written by an agent of before
    expect(recordedExit(join(scratch, "exit6"))).toEqual({ code: 143, signal: null });
    expect(describeExit({ code: null, signal: "SIGTERM" })).toBe("Command terminated with signal Terminated");
  });
});

describe("AgentTasks", () => {
  const framework = { id: tid("F1"), name: "fw", capabilities: [{ type: "TASK_KILLING_STATE" }] };
  const task = (id: string, value: string, extra: Partial<TaskInfo> = {}): TaskInfo => ({
    name: id, task_id: tid(id), agent_id: tid("A1"), command: { value },
    resources: [{ name: "cpus", type: "SCALAR", scalar: { value: 0.5 } }, { name: "mem", type: "SCALAR", scalar: { value: 32 } }], ...extra,
  });
  function setup(work_dir = mkdtempSync(join(scratch, "work-"))) {
    const sent: StatusUpdate[] = [];
    const tasks = new AgentTasks({ work_dir, agent_id: () => "A1", send: (u) => sent.push(u) > 0, poll_ms: 20 });
    return { tasks, sent, ...acknowledger(tasks, sent), work_dir };
  }

  test("echo: STARTING, RUNNING, FINISHED, each after the previous ack; the sandbox holds its stdout; /state and metrics", async () => {
    const { tasks, sent, states, ackUntil, work_dir } = setup();
    tasks.registered();
    tasks.handle({ type: "RUN_TASK", master_id: "M", framework, task: task("t1", "echo hi") });
    expect(states("t1")).toEqual(["TASK_STARTING"]);
    await ackUntil("t1", "TASK_FINISHED");
    expect(states("t1")).toEqual(["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"]);
    expect(sent.at(-1)!.status.message).toBe("Command exited with status 0");
    const executor = (tasks.state().frameworks[0] as any).executors[0];
    expect(readFileSync(join(executor.directory, "stdout"), "utf8")).toBe("hi\n");
    expect(executor.directory).toStartWith(join(work_dir, "slaves", "A1", "frameworks", "F1", "executors", "t1", "runs"));
    expect(executor.completed_tasks[0]).toMatchObject({ id: "t1", state: "TASK_FINISHED", resources: { cpus: 0.5, mem: 32 } });
    tasks.handle({ type: "STATUS_UPDATE_ACKNOWLEDGEMENT", master_id: "M", framework_id: tid("F1"), task_id: tid("t1"), uuid: sent.at(-1)!.uuid });
    expect(tasks.reported().tasks).toEqual([]);
    expect(existsSync(join(work_dir, "meta", "slaves", "A1", "frameworks", "F1"))).toBe(false);
    expect((tasks.state().completed_frameworks[0] as any).completed_executors[0].completed_tasks[0].state).toBe("TASK_FINISHED");
    expect(tasks.metrics()["slave/tasks_finished"]).toBe(1);
  });

  test("a non-zero exit is TASK_FAILED with the status; invalid tasks are TASK_ERROR; an unknown task's kill is TASK_LOST; a duplicate is dropped", async () => {
    const { tasks, sent, states, ackUntil } = setup();
    tasks.registered();
    tasks.handle({ type: "RUN_TASK", master_id: "M", framework, task: task("t2", "exit 3") });
    await ackUntil("t2", "TASK_FAILED");
    expect(sent.at(-1)!.status).toMatchObject({ state: "TASK_FAILED", message: "Command exited with status 3", source: "SOURCE_EXECUTOR" });
    tasks.handle({ type: "RUN_TASK", master_id: "M", framework, task: task("t2", "echo again") });
    expect(tasks.counters.invalid_task_launches).toBe(1); // t2's terminal update is not acknowledged yet
    tasks.handle({ type: "RUN_TASK", master_id: "M", framework, task: task("t3", "") });
    expect(states("t3")).toEqual(["TASK_ERROR"]);
    tasks.handle({ type: "RUN_TASK", master_id: "M", framework, task: task("../x", "true") });
    expect(states("../x")).toEqual(["TASK_ERROR"]);
    tasks.handle({ type: "RUN_TASK", master_id: "M", framework, task: { ...task("t4", "true"), agent_id: tid("other") } });
    expect(sent.at(-1)!.status).toMatchObject({ state: "TASK_ERROR", reason: "REASON_TASK_INVALID" });
    tasks.handle({ type: "KILL_TASK", master_id: "M", framework_id: tid("F1"), task_id: tid("nope") });
    expect(states("nope")).toEqual(["TASK_LOST"]);
    expect(tasks.reported().tasks.map((t) => [t.task_id.value, t.state]).sort()).toEqual([["nope", "TASK_LOST"], ["t2", "TASK_FAILED"], ["t3", "TASK_ERROR"], ["t4", "TASK_ERROR"]]);
  });

  test("a command killed by a signal is TASK_FAILED naming the signal", async () => {
    const { tasks, sent, ackUntil } = setup();
    tasks.registered();
    tasks.handle({ type: "RUN_TASK", master_id: "M", framework, task: task("s1", "kill -9 $$") });
    await ackUntil("s1", "TASK_FAILED");
    expect(sent.at(-1)!.status).toMatchObject({ message: "Command terminated with signal Killed", reason: "REASON_COMMAND_EXECUTOR_FAILED", source: "SOURCE_EXECUTOR" });
  });

  test("RECONCILE_TASKS: a task the agent does not know is TASK_LOST (TASK_DROPPED when partition-aware), REASON_RECONCILIATION, retried until acknowledged; a known one sends nothing", async () => {
    const { tasks, sent, states } = setup();
    tasks.registered();
    tasks.handle({ type: "RUN_TASK", master_id: "M", framework, task: task("t1", "sleep 30") });
    const before = sent.length;
    tasks.handle({ type: "RECONCILE_TASKS", master_id: "M", framework, statuses: [{ task_id: tid("t1"), state: "TASK_RUNNING" }, { task_id: tid("gone"), state: "TASK_STAGING" }] });
    expect(sent.slice(before).map((u) => [u.status.task_id.value, u.status.state])).toEqual([["gone", "TASK_LOST"]]);
    expect(sent.at(-1)!.status).toMatchObject({ reason: "REASON_RECONCILIATION", message: "Reconciliation: task unknown to the agent", source: "SOURCE_AGENT" });
    expect(tasks.updates.pending("F1", "gone").map((u) => u.status.state)).toEqual(["TASK_LOST"]); // held until acknowledged
    const aware = { ...framework, id: tid("F2"), capabilities: [{ type: "PARTITION_AWARE" }] };
    tasks.handle({ type: "RECONCILE_TASKS", master_id: "M", framework: aware, statuses: [{ task_id: tid("gone2"), state: "TASK_STAGING" }] });
    expect(states("gone2")).toEqual(["TASK_DROPPED"]);
    tasks.handle({ type: "KILL_TASK", master_id: "M", framework_id: tid("F1"), task_id: tid("t1"), kill_policy: { grace_period: { nanoseconds: 0 } } });
  });

  test("KILL_TASK: KILLING, SIGTERM, SIGKILL after the grace period, KILLED; SHUTDOWN_FRAMEWORK kills the rest", async () => {
    const { tasks, sent, states, ackUntil } = setup();
    tasks.registered();
    tasks.handle({ type: "RUN_TASK", master_id: "M", framework, task: task("k1", "trap '' TERM; sleep 60 & wait; sleep 60", { kill_policy: { grace_period: { nanoseconds: 300e6 } } }) });
    tasks.handle({ type: "RUN_TASK", master_id: "M", framework, task: task("k2", "sleep 60") });
    await ackUntil("k1", "TASK_RUNNING");
    await ackUntil("k2", "TASK_RUNNING");
    const pids = tasks.reported().tasks.map((t) => (tasks.state().frameworks[0] as any).executors.find((e: any) => e.id === t.task_id.value).tasks[0].pid);
    groups.push(...pids);
    await Bun.sleep(100);
    const started = Date.now();
    tasks.handle({ type: "KILL_TASK", master_id: "M", framework_id: tid("F1"), task_id: tid("k1") });
    await ackUntil("k1", "TASK_KILLED");
    expect(Date.now() - started).toBeGreaterThanOrEqual(280); // SIGTERM was ignored: SIGKILL after 300 ms
    expect(states("k1")).toEqual(["TASK_STARTING", "TASK_RUNNING", "TASK_KILLING", "TASK_KILLED"]);
    await until(() => !groupAlive(pids[0]), "k1's process group gone");
    tasks.handle({ type: "SHUTDOWN_FRAMEWORK", master_id: "M", framework_id: tid("F1") });
    tasks.handle({ type: "RUN_TASK", master_id: "M", framework, task: task("k3", "true") });
    expect(states("k3")).toEqual(["TASK_LOST"]); // launched while its framework shuts down (not PARTITION_AWARE)
    await ackUntil("k2", "TASK_KILLED");
    expect(tasks.metrics()["slave/tasks_killed"]).toBe(2);
    const message = (id: string) => sent.filter((u) => u.status.task_id.value === id).at(-1)!.status.message;
    expect([message("k1"), message("k2")]).toEqual(["Command terminated with signal Killed", "Command terminated with signal Terminated"]);
  });

  const runGroup = (tasks: AgentTasks, ...members: TaskInfo[]) => tasks.handle({ type: "RUN_TASK_GROUP", master_id: "M", framework, task_group: { tasks: members } });
  const pidOf = (tasks: AgentTasks, id: string): number =>
    (tasks.state().frameworks[0] as any).executors.find((e: any) => e.id === id).tasks[0].pid;

  test("a task group: one task failing kills the others (KILLING, then KILLED by SIGTERM); its processes are gone", async () => {
    const { tasks, sent, states, ackUntil } = setup();
    tasks.registered();
    runGroup(tasks, task("g-sleep", "sleep 30"), task("g-fail", "sleep 0.3; exit 3"));
    expect(states("g-sleep")).toEqual(["TASK_STARTING"]); // started together
    expect(states("g-fail")).toEqual(["TASK_STARTING"]);
    await ackUntil("g-sleep", "TASK_RUNNING");
    const pid = pidOf(tasks, "g-sleep");
    groups.push(pid);
    await ackUntil("g-fail", "TASK_FAILED");
    expect(sent.filter((u) => u.status.task_id.value === "g-fail").at(-1)!.status.message).toBe("Command exited with status 3");
    await ackUntil("g-sleep", "TASK_KILLED");
    expect(states("g-sleep")).toEqual(["TASK_STARTING", "TASK_RUNNING", "TASK_KILLING", "TASK_KILLED"]);
    expect(sent.filter((u) => u.status.task_id.value === "g-sleep").at(-1)!.status.message).toBe("Command terminated with signal Terminated");
    await until(() => !groupAlive(pid), "g-sleep's process group gone");
  });

  test("a task group whose tasks all finish: each TASK_FINISHED, none killed", async () => {
    const { tasks, states, ackUntil } = setup();
    tasks.registered();
    runGroup(tasks, task("f-true", "true"), task("f-sleep", "sleep 0.5"));
    await ackUntil("f-true", "TASK_FINISHED");
    await ackUntil("f-sleep", "TASK_FINISHED");
    expect(states("f-true")).toEqual(["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"]);
    expect(states("f-sleep")).toEqual(["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"]);
    expect(tasks.metrics()["slave/tasks_killed"]).toBe(0);
  });

  test("KILL_TASK of one task of a group kills the whole group; a plain task beside it runs on", async () => {
    const { tasks, states, ackUntil } = setup();
    tasks.registered();
    runGroup(tasks, task("x1", "sleep 30"), task("x2", "sleep 30"), task("x3", "sleep 30"));
    tasks.handle({ type: "RUN_TASK", master_id: "M", framework, task: task("alone", "sleep 30") });
    for (const id of ["x1", "x2", "x3", "alone"]) await ackUntil(id, "TASK_RUNNING");
    groups.push(...["x1", "x2", "x3", "alone"].map((id) => pidOf(tasks, id)));
    tasks.handle({ type: "KILL_TASK", master_id: "M", framework_id: tid("F1"), task_id: tid("x2") });
    for (const id of ["x2", "x1", "x3"]) await ackUntil(id, "TASK_KILLED");
    expect(states("alone")).toEqual(["TASK_STARTING", "TASK_RUNNING"]);
    tasks.handle({ type: "KILL_TASK", master_id: "M", framework_id: tid("F1"), task_id: tid("alone"), kill_policy: { grace_period: { nanoseconds: 0 } } });
  });

  test("a task group one of whose tasks is invalid does not run: that one is TASK_ERROR, the others TASK_KILLED unstarted", async () => {
    const { tasks, sent, states } = setup();
    tasks.registered();
    runGroup(tasks, task("v-ok", "sleep 30"), task("v-bad", ""));
    expect(states("v-bad")).toEqual(["TASK_ERROR"]);
    expect(states("v-ok")).toEqual(["TASK_KILLED"]);
    expect(sent.find((u) => u.status.task_id.value === "v-ok")!.status.message).toBe("Another task of its task group could not be launched");
  });

  test("an agent restart re-adopts a running task, fails one whose process is gone, and resends unacknowledged updates once registered", async () => {
    await expectRestartRecovers(setup, framework, task, groups);
  });

  test("a task group survives an agent restart: a task that died while the agent was down kills its sibling once recovered", async () => {
    const first = setup();
    first.tasks.registered();
    runGroup(first.tasks, task("a1", "sleep 60"), task("a2", "sleep 60"));
    await first.ackUntil("a1", "TASK_RUNNING");
    await first.ackUntil("a2", "TASK_RUNNING");
    const [p1, p2] = [pidOf(first.tasks, "a1"), pidOf(first.tasks, "a2")];
    groups.push(p1, p2);
    first.tasks.stop();
    signalGroup(p2, "SIGKILL");
    await until(() => !groupAlive(p2), "a2 gone");
    const second = setup(first.work_dir);
    second.tasks.recover("A1");
    second.tasks.registered();
    await second.ackUntil("a2", "TASK_FAILED");
    await second.ackUntil("a1", "TASK_KILLED");
    expect(second.states("a1")).toEqual(["TASK_RUNNING", "TASK_KILLING", "TASK_KILLED"]); // its RUNNING was never acknowledged
    await until(() => !groupAlive(p1), "a1's process group gone");
  });
});

describe("task messages", () => {
  test("parse, or are dropped as malformed", () => {
    const ok = parseMasterMessage(JSON.stringify({ type: "KILL_TASK", master_id: "M", framework_id: { value: "F" }, task_id: { value: "t" }, kill_policy: { grace_period: { nanoseconds: "5000000000" } } }));
    expect(ok.type).toBe("KILL_TASK");
    for (const bad of [
      { type: "RUN_TASK", master_id: "M", framework: { name: "x" }, task: {} },
      { type: "RUN_TASK_GROUP", master_id: "M", framework: { id: { value: "F" } }, task_group: { tasks: [] } },
      { type: "STATUS_UPDATE_ACKNOWLEDGEMENT", master_id: "M", framework_id: { value: "F" }, task_id: { value: "t" } },
      { type: "KILL_TASK", master_id: "M", framework_id: { value: "F" }, task_id: { value: "t" }, kill_policy: { grace_period: { nanoseconds: "x" } } },
      { type: "RECONCILE_TASKS", master_id: "M", framework: { id: { value: "F" } }, statuses: [{ task_id: { value: "t" }, state: "RUNNING" }] },
      { type: "RECONCILE_TASKS", master_id: "M", framework: { id: { value: "F" } }, statuses: Array.from({ length: 1025 }, () => ({ task_id: { value: "t" }, state: "TASK_RUNNING" })) },
    ]) expect(() => parseMasterMessage(JSON.stringify(bad))).toThrow(ProtocolError);
  });
});
