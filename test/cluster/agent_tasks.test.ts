// Proves the built mesos-agent runs command tasks for a fake master: echo -> STARTING, RUNNING, FINISHED each only after the previous ack with "hi" in the sandbox's stdout; exit 3 -> FAILED with the status; KILL_TASK -> KILLING then KILLED within the grace period with the process group gone; a task group one of whose tasks fails has its other task killed, and a command killed by SIGKILL is FAILED naming the signal; an unacked update is resent on re-registration; after SIGKILL and restart the agent re-registers carrying its running task and resends its unacknowledged update.
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getJson, until } from "../helpers/agents.ts";
import { FakeMaster } from "../helpers/fake_master.ts";
import { DIST, freePort, requireBinary, type Running, start, waitForHealth } from "../helpers/process.ts";
import { groupAlive, signalGroup } from "../../host/agent/tasks/runner.ts";
import type { StatusUpdate } from "../../host/agent/task_protocol.ts";

setDefaultTimeout(30_000);

requireBinary();
const AGENT = join(DIST, "mesos-agent");
const scratch = mkdtempSync(join(tmpdir(), "mesos-agent-tasks-"));
const running: Running[] = [];
const cleanup: (() => void)[] = [];
const groups: number[] = [];

afterAll(() => {
  for (const r of running) r.kill("SIGKILL");
  for (const pgid of groups) signalGroup(pgid, "SIGKILL");
  for (const stop of cleanup) stop();
  rmSync(scratch, { recursive: true, force: true });
});

const FRAMEWORK = { id: { value: "F1" }, name: "test", capabilities: [{ type: "TASK_KILLING_STATE" }] };

async function startAgent(master: string, workDir = mkdtempSync(join(scratch, "work-")), port?: number) {
  port ??= await freePort();
  const agent = start([AGENT, `--master=${master}`, `--work_dir=${workDir}`, "--ip=127.0.0.1", `--port=${port}`, "--hostname=agent1.test",
    "--registration_backoff_factor=10ms", "--resources=cpus:2;mem:1024;disk:2048"]);
  running.push(agent);
  await waitForHealth(port, agent);
  return { agent, port, workDir, base: `http://127.0.0.1:${port}` };
}

function updates(fake: FakeMaster, task_id: string, after = 0): StatusUpdate[] {
  return fake.received.slice(after).flatMap((r) => (r.message.type === "STATUS_UPDATE" && r.message.update.status.task_id.value === task_id ? [r.message.update] : []));
}

const taskInfo = (fake: FakeMaster, task_id: string, value: string, extra: object = {}) => ({
  name: task_id, task_id: { value: task_id }, agent_id: { value: `${fake.id}-S0` }, command: { value }, resources: [{ name: "cpus", type: "SCALAR", scalar: { value: 0.1 } }, { name: "mem", type: "SCALAR", scalar: { value: 16 } }], ...extra,
});
const run = (fake: FakeMaster, task_id: string, value: string, extra: object = {}) => fake.send({ type: "RUN_TASK", framework: FRAMEWORK, task: taskInfo(fake, task_id, value, extra) });
const ack = (fake: FakeMaster, u: StatusUpdate) => fake.send({ type: "STATUS_UPDATE_ACKNOWLEDGEMENT", framework_id: u.framework_id, task_id: u.status.task_id, uuid: u.uuid });

/** Waits for update n (0-based) of the task; checks that it came only after update n-1 was acknowledged, then acknowledges it unless told not to. */
async function step(fake: FakeMaster, task_id: string, n: number, state: string, acknowledge = true): Promise<StatusUpdate> {
  const u = await until(() => updates(fake, task_id)[n], `update ${n} (${state}) of ${task_id}`);
  expect(u.status.state as string).toBe(state);
  await Bun.sleep(150);
  expect(updates(fake, task_id).length).toBe(n + 1); // nothing newer before this one is acknowledged
  if (acknowledge) ack(fake, u);
  return u;
}

async function registered(fake: FakeMaster) {
  const started = await startAgent(`127.0.0.1:${fake.port}`);
  await fake.next("REGISTER_SLAVE");
  await until(async () => (await getJson(`${started.base}/state`)).registered, "registered");
  return started;
}

const pidOf = async (base: string, task_id: string): Promise<number> => {
  const state = await getJson(`${base}/state`);
  const executor = state.frameworks.flatMap((f: any) => f.executors).find((e: any) => e.id === task_id);
  return executor.tasks[0].pid;
};

describe("mesos-agent command tasks", () => {
  test("echo hi: STARTING, RUNNING, FINISHED in order, each after the previous ack; stdout in the sandbox; /state and metrics", async () => {
    const fake = new FakeMaster(cleanup);
    const { base } = await registered(fake);
    run(fake, "t1", "echo hi");
    await step(fake, "t1", 0, "TASK_STARTING");
    await step(fake, "t1", 1, "TASK_RUNNING");
    const finished = await step(fake, "t1", 2, "TASK_FINISHED", false);
    expect(finished.status).toMatchObject({ source: "SOURCE_EXECUTOR", agent_id: { value: `${fake.id}-S0` }, message: "Command exited with status 0" });
    const state = await getJson(`${base}/state`);
    const executor = state.frameworks[0].executors[0];
    expect(executor.directory).toContain(`/slaves/${fake.id}-S0/frameworks/F1/executors/t1/runs/`);
    expect(readFileSync(join(executor.directory, "stdout"), "utf8")).toBe("hi\n");
    expect(executor.completed_tasks[0]).toMatchObject({ id: "t1", state: "TASK_FINISHED", resources: { cpus: 0.1, mem: 16 } });
    ack(fake, finished);
    await until(async () => (await getJson(`${base}/state`)).completed_frameworks.length === 1, "t1 completed");
    expect((await getJson(`${base}/metrics/snapshot`))["slave/tasks_finished"]).toBe(1);
  });

  test("exit 3: TASK_FAILED naming the status", async () => {
    const fake = new FakeMaster(cleanup);
    await registered(fake);
    run(fake, "t2", "exit 3");
    await step(fake, "t2", 0, "TASK_STARTING");
    await step(fake, "t2", 1, "TASK_RUNNING");
    const failed = await step(fake, "t2", 2, "TASK_FAILED");
    expect(failed.status.message).toBe("Command exited with status 3");
  });

  test("sleep 60 + KILL_TASK: KILLING then KILLED within the grace period; the process group is gone", async () => {
    const fake = new FakeMaster(cleanup);
    const { base } = await registered(fake);
    run(fake, "t3", "sleep 60 & sleep 60; wait", { kill_policy: { grace_period: { nanoseconds: 1e9 } } });
    await step(fake, "t3", 0, "TASK_STARTING");
    await step(fake, "t3", 1, "TASK_RUNNING");
    const pid = await pidOf(base, "t3");
    groups.push(pid);
    expect(groupAlive(pid)).toBe(true);
    const killed_at = Date.now();
    fake.send({ type: "KILL_TASK", framework_id: { value: "F1" }, task_id: { value: "t3" } });
    await step(fake, "t3", 2, "TASK_KILLING");
    await step(fake, "t3", 3, "TASK_KILLED");
    expect(Date.now() - killed_at).toBeLessThan(1000 + 1000);
    await until(() => !groupAlive(pid), "the task's process group gone", 2000);
    expect((await getJson(`${base}/metrics/snapshot`))["slave/tasks_killed"]).toBe(1);
  });

  test("a task group: the task that exits 3 is FAILED and kills its sibling (KILLING, KILLED); a command killed by SIGKILL is FAILED naming the signal", async () => {
    const fake = new FakeMaster(cleanup);
    const { base } = await registered(fake);
    fake.send({ type: "RUN_TASK_GROUP", framework: FRAMEWORK, task_group: { tasks: [taskInfo(fake, "g1", "sleep 60"), taskInfo(fake, "g2", "sleep 0.5; exit 3")] } });
    await step(fake, "g1", 0, "TASK_STARTING");
    await step(fake, "g1", 1, "TASK_RUNNING");
    const pid = await pidOf(base, "g1");
    groups.push(pid);
    await step(fake, "g2", 0, "TASK_STARTING");
    await step(fake, "g2", 1, "TASK_RUNNING");
    expect((await step(fake, "g2", 2, "TASK_FAILED")).status.message).toBe("Command exited with status 3");
    await step(fake, "g1", 2, "TASK_KILLING");
    await step(fake, "g1", 3, "TASK_KILLED");
    await until(() => !groupAlive(pid), "g1's process group gone", 2000);
    run(fake, "s1", "kill -9 $$");
    await step(fake, "s1", 0, "TASK_STARTING");
    await step(fake, "s1", 1, "TASK_RUNNING");
    expect((await step(fake, "s1", 2, "TASK_FAILED")).status.message).toBe("Command terminated with signal Killed");
  });

  test("a KILL_TASK for a task the agent does not know is answered TASK_LOST", async () => {
    const fake = new FakeMaster(cleanup);
    await registered(fake);
    fake.send({ type: "KILL_TASK", framework_id: { value: "F1" }, task_id: { value: "ghost" } });
    const lost = await step(fake, "ghost", 0, "TASK_LOST");
    expect(lost.status.source).toBe("SOURCE_AGENT");
  });

  test("an unacknowledged update is sent again when the agent re-registers (a ping with connected=false)", async () => {
    const fake = new FakeMaster(cleanup);
    await registered(fake);
    run(fake, "t4", "true");
    const starting = await step(fake, "t4", 0, "TASK_STARTING", false);
    const before = fake.received.length;
    fake.send({ type: "PING_SLAVE", connected: false });
    const { message } = await fake.next("REREGISTER_SLAVE", before);
    expect((message as any).tasks.map((t: any) => [t.task_id.value, t.state])).toEqual([["t4", "TASK_FINISHED"]]);
    expect((message as any).frameworks.map((f: any) => f.id.value)).toEqual(["F1"]);
    const again = await until(() => updates(fake, "t4", before)[0], "t4's update resent");
    expect(again.uuid).toBe(starting.uuid);
    expect(again.latest_state).toBe("TASK_FINISHED");
  });

  test("after SIGKILL and restart the agent re-registers carrying its running task and resends its unacknowledged update", async () => {
    const fake = new FakeMaster(cleanup);
    const first = await registered(fake);
    run(fake, "t5", "sleep 60");
    await step(fake, "t5", 0, "TASK_STARTING");
    const running_update = await step(fake, "t5", 1, "TASK_RUNNING", false);
    const pid = await pidOf(first.base, "t5");
    groups.push(pid);
    first.agent.kill("SIGKILL");
    await first.agent.exited;
    expect(groupAlive(pid)).toBe(true); // the task outlives its agent
    const before = fake.received.length;
    const again = await startAgent(`127.0.0.1:${fake.port}`, first.workDir, first.port);
    const { message } = await fake.next("REREGISTER_SLAVE", before);
    const reported = (message as any).tasks;
    expect(reported).toHaveLength(1);
    expect(reported[0]).toMatchObject({ task_id: { value: "t5" }, framework_id: { value: "F1" }, state: "TASK_RUNNING", resources: [{ name: "cpus" }, { name: "mem" }] });
    const resent = await until(() => updates(fake, "t5", before)[0], "t5's RUNNING resent");
    expect(resent.uuid).toBe(running_update.uuid);
    ack(fake, resent);
    expect(await pidOf(again.base, "t5")).toBe(pid);
    fake.send({ type: "KILL_TASK", framework_id: { value: "F1" }, task_id: { value: "t5" } });
    const killing = await until(() => updates(fake, "t5", before)[1], "t5's KILLING");
    expect(killing.status.state).toBe("TASK_KILLING");
    ack(fake, killing);
    const killed = await until(() => updates(fake, "t5", before)[2], "t5's KILLED");
    expect(killed.status.state).toBe("TASK_KILLED");
    await until(() => !groupAlive(pid), "t5's process group gone");
  });
});
