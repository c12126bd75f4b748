// Proves `npm run cluster` starts a ZooKeeper, three masters that elect one leader and two agents
// that register with it, says where they are, and on Ctrl-C stops every process it started.
import { expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { until } from "../helpers/log_cluster.ts";
import { freePort, freePortBlock, requireBinary, start } from "../helpers/process.ts";

setDefaultTimeout(90_000);

function alive(pattern: RegExp): number {
  const out = Bun.spawnSync(["ps", "-eo", "args"]).stdout.toString();
  return out.split("\n").filter((line) => pattern.test(line)).length;
}

test("npm run cluster: three masters, two agents and ZooKeeper, one leader, everything stopped on Ctrl-C", async () => {
  requireBinary();
  // The script numbers masters and agents from --port: that whole block must be free.
  const first = await freePortBlock(6);
  const ports = [first, first + 1, first + 2];
  const agentPorts = [first + 4, first + 5];
  let zkPort = await freePort();
  while (zkPort >= first && zkPort < first + 6) zkPort = await freePort();
  const script = start([process.execPath, join(import.meta.dir, "..", "..", "scripts", "cluster.ts"), "--masters=3", "--agents=2", `--port=${first}`, `--zk-port=${zkPort}`]);
  try {
    const line = await until(() => script.stdout().split("\n").find((l) => l.split(":LEADER").length === 2 && l.split(":standby").length === 3), "one leader and two standbys", 60_000)
      .catch((error: Error) => {
        throw new Error(`${error.message}; the script printed:\n${script.stdout().slice(-2000)}\n${script.stderr().slice(-2000)}`);
      });
    for (const port of [...ports, ...agentPorts]) expect(script.stdout()).toContain(`http://127.0.0.1:${port}/`);
    expect(line).toMatch(new RegExp(`${ports.map((p) => `${p}:(LEADER|standby)`).join("  ")}`));
    const leader = Number(/(\d+):LEADER/.exec(line)![1]);
    await until(async () => {
      const metrics = (await (await fetch(`http://127.0.0.1:${leader}/metrics/snapshot`)).json()) as Record<string, number>;
      return metrics["master/slaves_active"] === 2;
    }, "both agents registered with the leader", 30_000);
  } finally {
    script.kill("SIGINT"); // Ctrl-C: the script stops what it started (a SIGKILL could not)
    await script.exited;
  }
  const data = /data in (\S+);/.exec(script.stdout())?.[1];
  expect(data).toBeDefined();
  await until(() => alive(new RegExp(`--port=(${[...ports, ...agentPorts].join("|")})\\b`)) === 0 && alive(new RegExp(`${data}/zoo\\.cfg`)) === 0, "every started process to stop", 15_000);
});
