// npm run cluster -- --masters 3 --agents 2 — a local HA ensemble to try things with: one
// ZooKeeper (Debian's `zookeeper` package), N masters and M agents of the built binary on
// loopback, each with its own port and work dir; masters get --quorum a strict majority and
// --masters the whitelist, agents find the leader through ZooKeeper. It prints where everything
// is, shows who leads, and stops everything (and removes the data) on Ctrl-C.
// Flags: --masters=N (1, 3 or 5; default 3), --agents=M (default 0), --port=P (first master's
// port; default 5050; agents from 5051 + N), --zk-port=P (default 2181), --keep (keep the data).
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { removeOnExit, type Server, spawnServer, tcpAsk, waitUntil } from "./bench/systems/processes.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const BINARY = join(ROOT, "dist", "mesos");
const ZK_SERVER = "/usr/share/zookeeper/bin/zkServer.sh";

function option(name: string, fallback: number): number {
  const arg = process.argv.find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (arg === undefined) return fallback;
  const index = process.argv.indexOf(arg);
  const text = arg.includes("=") ? arg.split("=")[1] : process.argv[index + 1];
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name}: expected a whole number, got '${text}'`);
  return value;
}

async function main(): Promise<void> {
  const count = option("masters", 3);
  const first_port = option("port", 5050);
  const zk_port = option("zk-port", 2181);
  if (![1, 3, 5].includes(count)) throw new Error(`--masters: expected 1, 3 or 5, got ${count}`);
  const agent_count = option("agents", 0);
  if (agent_count > 100) throw new Error(`--agents: expected at most 100, got ${agent_count}`);
  if (!existsSync(ZK_SERVER)) throw new Error(`ZooKeeper is missing: install it with \`sudo apt-get install -y zookeeper\``);
  if (!existsSync(BINARY)) await Bun.$`bun ${join(ROOT, "scripts/build.ts")}`;
  const dir = mkdtempSync(join(tmpdir(), "mesos-cluster-"));
  if (!process.argv.includes("--keep")) removeOnExit(dir);

  const zk = startZooKeeper(dir, zk_port);
  await waitUntil("ZooKeeper", async () => (await tcpAsk(zk_port, "srvr").catch(() => "")).includes("Mode:"), () => {
    if (!zk.alive()) throw new Error(`ZooKeeper exited; see ${zk.log_path}`);
  }, 30_000);
  const quorum = Math.floor(count / 2) + 1;
  const ports = Array.from({ length: count }, (_, i) => first_port + i);
  const list = ports.map((p) => `127.0.0.1:${p}`).join(",");
  const masters = ports.map((port, i) => {
    const work_dir = join(dir, `master-${i + 1}`);
    return spawnServer([BINARY, "master", `--zk=zk://127.0.0.1:${zk_port}/mesos`, `--quorum=${quorum}`, `--work_dir=${work_dir}`,
      "--ip=127.0.0.1", `--port=${port}`, "--hostname=127.0.0.1", ...(count > 1 ? [`--masters=${list}`] : [])], {
      cwd: dir, env: { PATH: process.env.PATH ?? "" }, log_path: join(dir, `master-${i + 1}.log`),
    });
  });
  const agent_ports = Array.from({ length: agent_count }, (_, i) => first_port + count + 1 + i);
  const agents = agent_ports.map((port, i) => spawnServer([BINARY, "agent", `--master=zk://127.0.0.1:${zk_port}/mesos`,
    `--work_dir=${join(dir, `agent-${i + 1}`)}`, "--ip=127.0.0.1", `--port=${port}`, `--hostname=agent-${i + 1}`,
    "--resources=cpus:2;mem:2048;disk:10000;ports:[31000-32000]", `--attributes=rack:r${(i % 2) + 1}`], {
    cwd: dir, env: { PATH: process.env.PATH ?? "" }, log_path: join(dir, `agent-${i + 1}.log`),
  }));
  console.log(`ZooKeeper    127.0.0.1:${zk_port}  (zk://127.0.0.1:${zk_port}/mesos)`);
  for (const [i, port] of ports.entries()) console.log(`master ${i + 1}     http://127.0.0.1:${port}/  log ${masters[i]!.log_path}`);
  for (const [i, port] of agent_ports.entries()) console.log(`agent ${i + 1}      http://127.0.0.1:${port}/  log ${agents[i]!.log_path}`);
  console.log(`quorum ${quorum}; data in ${dir}${process.argv.includes("--keep") ? " (kept)" : ""}; Ctrl-C stops everything`);
  await watchLeader(ports, masters);
}

function startZooKeeper(dir: string, port: number): Server {
  const data = join(dir, "zookeeper");
  mkdirSync(data, { recursive: true });
  writeFileSync(join(dir, "zoo.cfg"), `tickTime=500\ndataDir=${data}\nclientPort=${port}\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n`);
  return spawnServer([ZK_SERVER, "start-foreground", join(dir, "zoo.cfg")], {
    cwd: dir, env: { PATH: process.env.PATH ?? "", ZOO_LOG_DIR: dir }, log_path: join(dir, "zookeeper.log"),
  });
}

/** Prints the leader whenever it changes, until Ctrl-C (bounded: one look every second). */
async function watchLeader(ports: number[], masters: Server[]): Promise<void> {
  let shown = "";
  for (;;) {
    const elected = await Promise.all(ports.map(async (port, i) => {
      if (!masters[i]!.alive()) return "down";
      try {
        const snapshot = (await (await fetch(`http://127.0.0.1:${port}/metrics/snapshot`)).json()) as Record<string, number>;
        return snapshot["master/elected"] === 1 ? "LEADER" : "standby";
      } catch {
        return "starting";
      }
    }));
    const line = ports.map((port, i) => `${port}:${elected[i]}`).join("  ");
    if (line !== shown) console.log(`${new Date().toISOString().slice(11, 19)}  ${line}`);
    shown = line;
    await Bun.sleep(1000);
  }
}

await main().catch((error) => {
  console.error(`cluster: ${(error as Error).message}`);
  process.exit(1);
});
