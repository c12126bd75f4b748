// A real ZooKeeper server (Debian's `zookeeper` package) on a loopback port, with its own
// data directory, for cluster tests. Fails loudly when the package is missing: the README's
// test command installs it.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tcpConnect } from "node:net";
import { freePort, start, type Running } from "./process.ts";

export const ZK_SERVER = "/usr/share/zookeeper/bin/zkServer.sh";

export interface ZooKeeperServer {
  port: number;
  connect: string;
  process: Running;
  stop(): Promise<void>;
}

export async function startZooKeeper(): Promise<ZooKeeperServer> {
  if (!existsSync(ZK_SERVER)) throw new Error(`${ZK_SERVER} is missing: install it with \`apt-get install -y zookeeper\` (npm test does it as root)`);
  const dir = mkdtempSync(join(tmpdir(), "zk-"));
  mkdirSync(join(dir, "data"));
  const port = await freePort();
  writeFileSync(join(dir, "zoo.cfg"), [
    "tickTime=200", `dataDir=${join(dir, "data")}`, `clientPort=${port}`, "clientPortAddress=127.0.0.1",
    "admin.enableServer=false", "minSessionTimeout=400", "maxSessionTimeout=60000", "",
  ].join("\n"));
  const server = start([ZK_SERVER, "start-foreground", join(dir, "zoo.cfg")], { cwd: dir, env: { ZOO_LOG_DIR: dir } });
  const connect = `127.0.0.1:${port}`;
  await waitForZooKeeper(connect, server);
  return {
    port, connect, process: server,
    async stop() {
      server.process.kill("SIGKILL");
      await server.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitForZooKeeper(connect: string, server: Running, deadline_ms = 30_000): Promise<void> {
  const until = Date.now() + deadline_ms;
  while (Date.now() < until) {
    if (server.process.exitCode !== null) throw new Error(`ZooKeeper exited ${server.process.exitCode}: ${server.stderr()}`);
    if (await canConnect(connect)) return;
    await Bun.sleep(200);
  }
  throw new Error(`ZooKeeper at ${connect} did not answer within ${deadline_ms} ms`);
}

/** True once the server answers the `srvr` four-letter command (enabled by default). */
function canConnect(connect: string): Promise<boolean> {
  const [host, port] = connect.split(":") as [string, string];
  return new Promise((resolve) => {
    let answer = "";
    const socket = tcpConnect(Number(port), host, () => socket.write("srvr"));
    const done = (ok: boolean) => { socket.destroy(); resolve(ok); };
    socket.setTimeout(1000, () => done(false));
    socket.on("data", (chunk) => (answer += chunk.toString()));
    socket.on("end", () => done(answer.includes("Mode: standalone")));
    socket.on("error", () => done(false));
  });
}
