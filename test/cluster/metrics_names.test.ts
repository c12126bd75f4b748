// Proves the metric names a master and an agent of the built binary serve, with a framework's tasks finished, failed and running: every name is one Apache Mesos documents (test/fixtures/mesos_metrics.txt) or one of this project's own listed in the README, names for what is not done here are absent, system/* reads the machine, per-framework and allocator metrics move with the work, and /metrics is Prometheus's text format with a HELP and TYPE line per sample and the snapshot's values.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { until } from "../helpers/agents.ts";
import { BINARY, freePort, ownedTempDir, requireBinary, run, type Running, start, waitForHealth } from "../helpers/process.ts";
import { exampleFrameworkSecurity, tlsFetch } from "../helpers/security.ts";

setDefaultTimeout(90_000);
requireBinary();

const ROOT = join(import.meta.dir, "..", "..");
const dir = ownedTempDir("metrics-names-");
const processes: Running[] = [];
let master = "";
let agent = "";

/** A name pattern: <PART> is one path segment, <a|b> one of the words. */
function pattern(name: string): RegExp {
  const escaped = name.replace(/[.*+?^${}()[\]\\]/g, "\\$&").replace(/<([^>]+)>/g, (_m, inner: string) => (inner.includes("|") ? `(${inner})` : "[^/]+"));
  return new RegExp(`^${escaped}$`);
}

const mesosNames = readFileSync(join(ROOT, "test", "fixtures", "mesos_metrics.txt"), "utf8").split("\n").filter((l) => l !== "" && !l.startsWith("#"));
const readme = readFileSync(join(ROOT, "README.md"), "utf8");
const ownSection = readme.slice(readme.indexOf("<!-- own-metrics:start -->"), readme.indexOf("<!-- own-metrics:end -->"));
const ownNames = [...ownSection.matchAll(/`([^`]+)`/g)].map((m) => m[1]!).filter((n) => n.includes("/"));
const known = [...mesosNames, ...ownNames].map(pattern);

const snapshot = async (base: string): Promise<Record<string, number>> => (await (await tlsFetch(`${base}/metrics/snapshot`)).json()) as Record<string, number>;

beforeAll(async () => {
  const master_port = await freePort();
  const m = start([BINARY, "master", `--work_dir=${join(dir, "master")}`, "--ip=127.0.0.1", `--port=${master_port}`, "--hostname=127.0.0.1", "--allocation_interval=100ms"]);
  processes.push(m);
  await waitForHealth(master_port, m);
  master = `http://127.0.0.1:${master_port}`;
  const agent_port = await freePort();
  const a = start([BINARY, "agent", `--master=127.0.0.1:${master_port}`, `--work_dir=${join(dir, "agent")}`, "--ip=127.0.0.1", `--port=${agent_port}`,
    "--hostname=127.0.0.1", "--registration_backoff_factor=10ms", "--resources=cpus:4;mem:2048;disk:4096"]);
  processes.push(a);
  await waitForHealth(agent_port, a);
  agent = `http://127.0.0.1:${agent_port}`;
  await until(async () => (await snapshot(master))["master/slaves_active"] === 1, "the agent registered");
  const secured = exampleFrameworkSecurity();
  const env = { HOME: process.env.HOME ?? "/root", ...secured.env };
  const framework = (name: string, cmd: string, tasks: number) => run(["npm", "run", "--silent", "example:framework", "--", `--master=127.0.0.1:${master_port}`,
    `--tasks=${tasks}`, `--cmd=${cmd}`, `--name=${name}`, "--timeout-s=30", ...secured.args], { cwd: ROOT, env });
  // Finished and failed tasks; the run ends its framework with TEARDOWN.
  await Promise.all([framework("metrics ok", "true", 3), framework("metrics-fail", "exit 3", 2)]);
  // A framework that stays, with a running task, while the names are read.
  const long = start(["node_modules/.bin/bun", "scripts/example_framework.ts", `--master=127.0.0.1:${master_port}`, "--tasks=1", "--cmd=sleep 60", "--name=metrics long",
    "--timeout-s=60", ...secured.args], { cwd: ROOT, env, insecure: true });
  processes.push(long);
  await until(async () => (await snapshot(master))["master/tasks_running"] === 1, "the long task running");
});

afterAll(() => {
  for (const match of processes[1]?.stderr().matchAll(/\(process group (\d+)\)/g) ?? []) {
    try {
      process.kill(-Number(match[1]), "SIGKILL");
    } catch {
      // gone already
    }
  }
  for (const p of processes) p.kill("SIGKILL");
});

describe("metric names", () => {
  test("every name the master and the agent serve is Mesos's or listed as ours in the README", async () => {
    expect(ownNames.length).toBeGreaterThan(20);
    for (const base of [master, agent]) {
      const unknown = Object.keys(await snapshot(base)).filter((name) => !known.some((p) => p.test(name)));
      expect(unknown).toEqual([]);
    }
  });

  test("the names Mesos documents for what this master does are there; those for what it does not do are absent", async () => {
    const m = await snapshot(master);
    for (const name of ["system/cpus_total", "system/load_1min", "system/mem_total_bytes", "system/mem_free_bytes", "allocator/mesos/allocation_runs",
      "allocator/mesos/allocation_run_ms/p99", "allocator/mesos/allocation_run_latency_ms/count", "allocator/mesos/resources/cpus/total",
      "master/tasks_running", "master/valid_status_updates"]) expect(m[name]).toBeNumber();
    for (const name of ["master/event_queue_messages", "master/operations/total", "allocator/mesos/event_queue_dispatches"]) expect(m[name]).toBeUndefined();
    expect(m["system/cpus_total"]).toBe(cpus().length);
    expect(m["system/mem_total_bytes"]).toBe(totalmem());
    await Bun.sleep(500);
    expect((await snapshot(master))["allocator/mesos/allocation_runs"]! - m["allocator/mesos/allocation_runs"]!).toBeGreaterThanOrEqual(2); // a round every 100 ms
    expect(m["allocator/mesos/resources/cpus/total"]).toBe(4);
    expect(m["allocator/mesos/resources/cpus/offered_or_allocated"]).toBeGreaterThanOrEqual(0.1); // the running task at least

    const a = await snapshot(agent);
    expect(a["slave/cpus_total"]).toBe(4);
    expect(a["slave/cpus_used"]).toBeCloseTo(0.1, 5);
    expect(a["slave/cpus_percent"]).toBeCloseTo(0.025, 5);
    expect(a["slave/tasks_finished"]).toBe(3);
    expect(a["slave/tasks_failed"]).toBe(2);
    expect(a["slave/executors_running"]).toBe(1);
    expect(a["slave/frameworks_active"]).toBe(1);
    expect(a["slave/valid_status_updates"]).toBeGreaterThanOrEqual(3 * 3 + 2 * 3 + 2); // STARTING, RUNNING, terminal each
    for (const name of ["slave/cpus_revocable_total", "gc/path_removals_pending", "slave/executors_registering"]) expect(a[name]).toBeUndefined();
  });

  test("per-framework metrics follow the framework that stays: calls, events, offers, active tasks, roles", async () => {
    const m = await snapshot(master);
    const prefix = Object.keys(m).find((k) => k.startsWith("master/frameworks/metrics%20long/"))?.split("/").slice(0, 4).join("/");
    expect(prefix).toBeDefined();
    expect(m[`${prefix}/subscribed`]).toBe(1);
    expect(m[`${prefix}/calls/subscribe`]).toBe(1);
    expect(m[`${prefix}/calls/accept`]).toBeGreaterThanOrEqual(1);
    expect(m[`${prefix}/calls`]).toBeGreaterThanOrEqual(m[`${prefix}/calls/accept`]! + 1);
    expect(m[`${prefix}/events/subscribed`]).toBe(1);
    expect(m[`${prefix}/events/offers`]).toBeGreaterThanOrEqual(1);
    expect(m[`${prefix}/offers/sent`]).toBeGreaterThanOrEqual(m[`${prefix}/offers/accepted`]!);
    expect(m[`${prefix}/tasks/active/task_running`]).toBe(1);
    expect(m[`${prefix}/roles/*/suppressed`]).toBe(0);
    // The frameworks that ended (TEARDOWN) took their metrics with them.
    expect(Object.keys(m).some((k) => k.startsWith("master/frameworks/metrics%20ok/"))).toBe(false);
  });

  test("/metrics is Prometheus's text format: HELP and TYPE for each sample, sanitised names, the snapshot's values", async () => {
    for (const base of [master, agent]) {
      const response = await tlsFetch(`${base}/metrics`);
      expect(response.headers.get("content-type")).toStartWith("text/plain; version=0.0.4");
      const lines = (await response.text()).trimEnd().split("\n");
      const samples = new Map<string, number>();
      const types = new Map<string, string>();
      for (let i = 0; i < lines.length; i += 3) {
        const [help, type, sample] = [lines[i]!, lines[i + 1]!, lines[i + 2]!];
        const name = sample.split(" ")[0]!;
        expect(name).toMatch(/^[a-zA-Z_][a-zA-Z0-9_]*$/);
        expect(help).toStartWith(`# HELP ${name} Mesos metric `);
        expect(type).toMatch(new RegExp(`^# TYPE ${name} (gauge|counter)$`));
        types.set(name, type.split(" ")[3]!);
        samples.set(name, Number(sample.split(" ")[1]));
      }
      const snap = await snapshot(base);
      const running = base === master ? "master_tasks_running" : "slave_tasks_running";
      expect(samples.get(running)).toBe(1);
      expect(types.get(running)).toBe("gauge");
      expect(types.get(base === master ? "master_tasks_finished" : "slave_tasks_finished")).toBe("counter");
      expect(samples.get("system_cpus_total")).toBe(snap["system/cpus_total"]);
    }
  });
});
