// Proves `npm run cluster` starts a ZooKeeper, three masters that elect one leader and two agents
// that register with it, secured (TLS, credentials, ZooKeeper digest ACLs on /mesos), says where
// they are, and on Ctrl-C stops every process it started.
import { expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import zookeeper from "node-zookeeper-client";
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
    for (const port of [...ports, ...agentPorts]) expect(script.stdout()).toContain(`https://127.0.0.1:${port}/`);
    expect(line).toMatch(new RegExp(`${ports.map((p) => `${p}:(LEADER|standby)`).join("  ")}`));
    const leader = Number(/(\d+):LEADER/.exec(line)![1]);
    const [, ca, credentials] = /secured: CA (\S+); credentials (\S+)/.exec(script.stdout())!;
    const operator = (JSON.parse(readFileSync(credentials!, "utf8")) as { credentials: { principal: string; secret: string }[] }).credentials
      .find((c) => c.principal === "operator")!;
    expect(script.stdout()).not.toContain(operator.secret);
    const tls = { ca: readFileSync(ca!, "utf8") };
    await until(async () => {
      const metrics = (await (await fetch(`https://127.0.0.1:${leader}/metrics/snapshot`, { tls } as RequestInit)).json()) as Record<string, number>;
      return metrics["master/slaves_active"] === 2;
    }, "both agents registered with the leader", 30_000);
    // Writes need the operator's credentials; plain HTTP gets no answer at all.
    const put = (headers: Record<string, string>) => fetch(`https://127.0.0.1:${leader}/weights`, { method: "PUT", body: '[{"role":"r","weight":2}]', headers, tls } as RequestInit);
    expect((await put({})).status).toBe(401);
    expect((await put({ authorization: `Basic ${Buffer.from(`operator:${operator.secret}`).toString("base64")}` })).status).toBe(200);
    expect(await fetch(`http://127.0.0.1:${leader}/health`).then(() => "answered", () => "refused")).toBe("refused");
    expect(await zkAcls(zkPort, "/mesos")).toEqual(["auth/digest:cdrwa", "world:anyone:r"]);
  } finally {
    script.kill("SIGINT"); // Ctrl-C: the script stops what it started (a SIGKILL could not)
    await script.exited;
  }
  const data = /data in (\S+);/.exec(script.stdout())?.[1];
  expect(data).toBeDefined();
  await until(() => alive(new RegExp(`--port=(${[...ports, ...agentPorts].join("|")})\\b`)) === 0 && alive(new RegExp(`${data}/zoo\\.cfg`)) === 0, "every started process to stop", 15_000);
});

/** The ACL of a znode as "scheme:id:perms" (digest ids shortened to their scheme), sorted. */
async function zkAcls(port: number, path: string): Promise<string[]> {
  const client = zookeeper.createClient(`127.0.0.1:${port}`, { sessionTimeout: 4000 });
  await new Promise<void>((resolve) => { client.once("connected", () => resolve()); client.connect(); });
  try {
    const acls = await new Promise<zookeeper.ACL[]>((resolve, reject) => client.getACL(path, (e, a) => (e ? reject(e) : resolve(a))));
    const perms = (p: number) => [[1, "r"], [2, "w"], [4, "c"], [8, "d"], [16, "a"]].filter(([bit]) => (p & (bit as number)) !== 0).map(([, c]) => c)
      .sort((a, b) => "cdrwa".indexOf(a as string) - "cdrwa".indexOf(b as string)).join("");
    // node-zookeeper-client's ACL objects carry `permission` (its type declarations say `perms`).
    const bits = (a: zookeeper.ACL) => (a as unknown as { permission: number }).permission;
    return acls.map((a) => a.id.scheme === "digest" ? `auth/digest:${perms(bits(a))}` : `${a.id.scheme}:${a.id.id}:${perms(bits(a))}`).sort();
  } finally {
    client.close();
  }
}

test("npm run cluster with a port in use exits 1 naming the port, and starts nothing", async () => {
  const taken = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  try {
    const first = await freePortBlock(4);
    const script = start([process.execPath, join(import.meta.dir, "..", "..", "scripts", "cluster.ts"), "--masters=3", `--port=${first}`, `--zk-port=${taken.port}`]);
    expect(await script.exited).toBe(1);
    expect(script.stderr()).toContain(`cluster: port ${taken.port} (ZooKeeper; choose another with --zk-port) on 127.0.0.1 already in use by another process`);
    expect(alive(new RegExp(`--port=${first}\\b`))).toBe(0);
  } finally {
    taken.stop(true);
  }
});
