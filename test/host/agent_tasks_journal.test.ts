// Proves the agent's group-committed checkpoint journal (host/agent/tasks/journal.ts) and AgentTasks on it: writes of one turn are
// committed together and only then do whenDurable callbacks run; replay keeps the last value per key, drops removed keys and a torn
// last line; the log is rewritten when it grows; every update is in the journal before it is sent; an agent restart recovers tasks
// from the journal (re-adopting a running one, failing one whose process is gone) and resends unacknowledged updates; a task group's
// tasks start in one turn even within a burst, and its membership survives a restart (a task dead while the agent was down kills its sibling).
import { afterAll, describe, expect, test } from "bun:test";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Journal } from "../../host/agent/tasks/journal.ts";
import { groupAlive, signalGroup } from "../../host/agent/tasks/runner.ts";
import { AgentTasks } from "../../host/agent/tasks/tasks.ts";
import type { StatusUpdate, TaskInfo } from "../../host/agent/task_protocol.ts";
import { acknowledger, expectRestartRecovers, until } from "../helpers/agent_tasks.ts";

const scratch = mkdtempSync(join(tmpdir(), "agent-journal-"));
const groups: number[] = [];
afterAll(() => {
  for (const pgid of groups) signalGroup(pgid, "SIGKILL");
  rmSync(scratch, { recursive: true, force: true });
});

describe("Journal", () => {
  test("coalesces a turn's writes into one commit; callbacks run after it, in order", () => {
    const path = join(mkdtempSync(join(scratch, "j-")), "tasks.journal");
    const armed: (() => void)[] = [];
    const journal = new Journal(path, (fn) => void armed.push(fn));
    const order: string[] = [];
    journal.whenDurable(() => order.push("nothing pending: at once"));
    journal.write("a", { n: 1 });
    journal.write("a", { n: 2 });
    journal.write("b", { n: 1 });
    journal.whenDurable(() => order.push(`after commit: ${readFileSync(path, "utf8").includes('"n":2')}`));
    expect(order).toEqual(["nothing pending: at once"]);
    expect(armed.length).toBe(1);
    armed.shift()!();
    expect(order).toEqual(["nothing pending: at once", "after commit: true"]);
    expect(journal.counters.commits).toBe(1);
    expect(readFileSync(path, "utf8").trim().split("\n")).toEqual(['["a",{"n":2}]', '["b",{"n":1}]']);
    journal.write("a", null);
    journal.write("never", null); // never committed: no record
    journal.flush();
    journal.close();
    const again = new Journal(path);
    expect([...again.entries()]).toEqual([["b", { n: 1 }]]);
    again.close();
  });

  test("replay ignores a torn last line and the journal is rewritten clean; it is compacted when it grows", () => {
    const path = join(mkdtempSync(join(scratch, "j-")), "tasks.journal");
    const journal = new Journal(path, () => {});
    journal.write("k", { v: 1 });
    journal.flush();
    journal.close();
    appendFileSync(path, '["k",{"v":2}]\n["k",{"v"');
    const reopened = new Journal(path, () => {});
    expect(reopened.entries().get("k")).toEqual({ v: 2 });
    expect(readFileSync(path, "utf8")).toBe('["k",{"v":2}]\n');
    for (let i = 0; i < 30_000; i++) {
      reopened.write(`k${i % 1000}`, { v: i });
      if (i % 1000 === 999) reopened.flush();
    }
    reopened.flush();
    expect(reopened.counters.compactions).toBeGreaterThanOrEqual(2); // at open, and once the log outgrew its live keys
    expect(readFileSync(path, "utf8").split("\n").length).toBeLessThan(20_001);
    reopened.close();
    const entries = new Journal(path).entries();
    expect([entries.size, entries.get("k"), entries.get("k999")]).toEqual([1001, { v: 2 }, { v: 29_999 }]);
  });
});

describe("AgentTasks on the journal", () => {
  const framework = { id: { value: "F1" }, name: "fw" };
  const task = (id: string, value: string): TaskInfo => ({
    name: id, task_id: { value: id }, agent_id: { value: "A1" }, command: { value },
    resources: [{ name: "cpus", type: "SCALAR", scalar: { value: 0.1 } }],
  });
  function setup(work_dir = mkdtempSync(join(scratch, "work-")), onSend: (u: StatusUpdate) => void = () => {}) {
    const journal_path = join(work_dir, "meta", "slaves", "A1", "tasks.journal");
    const sent: StatusUpdate[] = [];
    /** Every update is in the journal when it is sent. */
    const durable_when_sent: boolean[] = [];
    const tasks = new AgentTasks({
      work_dir, agent_id: () => "A1", poll_ms: 20, checkpoints: "journal",
      send: (u) => {
        durable_when_sent.push(readFileSync(journal_path, "utf8").includes(u.uuid));
        onSend(u);
        return sent.push(u) > 0;
      },
    });
    return { tasks, sent, ...acknowledger(tasks, sent), work_dir, journal_path, durable_when_sent };
  }

  test("a burst of launches: every update is committed before it is sent; acknowledged tasks leave no checkpoint", async () => {
    const { tasks, sent, states, ackUntil, journal_path, durable_when_sent, work_dir } = setup();
    tasks.registered();
    for (let i = 0; i < 20; i++) tasks.handle({ type: "RUN_TASK", master_id: "M", framework, task: task(`b${i}`, "true") });
    expect(sent).toEqual([]); // nothing is on the wire before the turn's commit
    for (let i = 0; i < 20; i++) await ackUntil(`b${i}`, "TASK_FINISHED");
    for (let i = 0; i < 20; i++) expect(states(`b${i}`)).toEqual(["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"]);
    expect(durable_when_sent.every(Boolean)).toBe(true);
    for (let i = 0; i < 20; i++) {
      const last = sent.filter((u) => u.status.task_id.value === `b${i}`).at(-1)!;
      tasks.handle({ type: "STATUS_UPDATE_ACKNOWLEDGEMENT", master_id: "M", framework_id: { value: "F1" }, task_id: { value: `b${i}` }, uuid: last.uuid });
    }
    await Bun.sleep(20);
    tasks.stop();
    expect(readFileSync(journal_path, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l)[0])).toContain('["framework","F1"]');
    expect([...new Journal(journal_path).entries().keys()]).toEqual([]);
    expect(existsSync(join(work_dir, "meta", "slaves", "A1", "frameworks", "F1"))).toBe(false);
  });

  const pidOf = (tasks: AgentTasks, id: string): number | null =>
    (tasks.state().frameworks[0] as any).executors.find((e: any) => e.id === id)?.tasks[0]?.pid ?? null;

  test("a task group launched behind a burst of tasks starts in one turn: its tasks all have processes when the first one's STARTING is sent", async () => {
    const members = Array.from({ length: 40 }, (_, i) => task(`g${i}`, "sleep 30"));
    let pids_at_first_send: (number | null)[] | null = null;
    const { tasks, states, ackUntil } = setup(undefined, (u) => {
      if (pids_at_first_send === null && u.status.task_id.value.startsWith("g")) pids_at_first_send = members.map((m) => pidOf(tasks, m.task_id.value));
    });
    tasks.registered();
    for (let i = 0; i < 20; i++) tasks.handle({ type: "RUN_TASK", master_id: "M", framework, task: task(`b${i}`, "true") });
    tasks.handle({ type: "RUN_TASK_GROUP", master_id: "M", framework, task_group: { tasks: members } });
    await until(() => pids_at_first_send !== null, "a group task's first update");
    groups.push(...pids_at_first_send!.filter((p): p is number => p !== null));
    expect(pids_at_first_send!.every((p) => p !== null)).toBe(true);
    tasks.handle({ type: "KILL_TASK", master_id: "M", framework_id: { value: "F1" }, task_id: { value: "g0" }, kill_policy: { grace_period: { nanoseconds: 0 } } });
    for (const m of members) await ackUntil(m.task_id.value, "TASK_KILLED"); // one kill ends the group
    expect(states("g1").at(-1)).toBe("TASK_KILLED");
    tasks.stop();
  });

  test("a kill before the commit: the command never starts", async () => {
    const { tasks, states, ackUntil } = setup();
    tasks.registered();
    tasks.handle({ type: "RUN_TASK", master_id: "M", framework, task: task("k0", "sleep 60") });
    tasks.handle({ type: "KILL_TASK", master_id: "M", framework_id: { value: "F1" }, task_id: { value: "k0" } });
    await ackUntil("k0", "TASK_KILLED");
    expect(states("k0")).toEqual(["TASK_KILLED"]);
    expect((tasks.state().frameworks[0] as any).executors[0].completed_tasks[0].pid).toBeNull();
    tasks.stop();
  });

  test("an agent restart recovers from the journal: re-adopts a running task, fails one whose process is gone, resends unacknowledged updates", async () => {
    const second = await expectRestartRecovers((dir) => setup(dir), framework, task, groups) as ReturnType<typeof setup>;
    expect(second.durable_when_sent.every(Boolean)).toBe(true);
    second.tasks.stop();
  });

  test("a task group's membership survives a restart from the journal: a task dead while the agent was down kills its sibling", async () => {
    const first = setup();
    first.tasks.registered();
    first.tasks.handle({ type: "RUN_TASK_GROUP", master_id: "M", framework, task_group: { tasks: [task("a1", "sleep 60"), task("a2", "sleep 60")] } });
    await first.ackUntil("a1", "TASK_RUNNING");
    await first.ackUntil("a2", "TASK_RUNNING");
    const [p1, p2] = [pidOf(first.tasks, "a1")!, pidOf(first.tasks, "a2")!];
    groups.push(p1, p2);
    first.tasks.stop();
    signalGroup(p1, "SIGKILL");
    await until(() => !groupAlive(p1), "a1 gone");
    const second = setup(first.work_dir);
    second.tasks.recover("A1");
    second.tasks.registered();
    await second.ackUntil("a1", "TASK_FAILED");
    await second.ackUntil("a2", "TASK_KILLED");
    await until(() => !groupAlive(p2), "a2's process group gone");
    expect(second.durable_when_sent.every(Boolean)).toBe(true);
    second.tasks.stop();
  });
});
