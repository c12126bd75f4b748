// A real ZooKeeper server (Debian's `zookeeper` package) on a loopback port, with its own
// data directory, for cluster tests. Fails loudly when the package is missing: the README's
// test command installs it. The server is started detached (setsid -f, through the process
// helper's wrapper, which kills it when the test process is gone) and managed by pid: bun test
// 1.4.5 SIGTERMs every process a file spawned when a stale timeout timer fires
// (oven-sh/bun#38774), which killed servers started in beforeAll mid-file.
import { afterAll, beforeAll } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tcpConnect } from "node:net";
import { freePort, WRAPPER } from "./process.ts";
import { ZK_FOUR_LETTER_WORDS, zooKeeperBindFailure } from "../../scripts/bench/systems/ports.ts";

export const ZK_SERVER = "/usr/share/zookeeper/bin/zkServer.sh";

export interface ZooKeeperServer {
  port: number;
  connect: string;
  pid: number;
  /** SIGSTOP / SIGCONT: clients see the server go silent, as in a partition. */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

/** A free port can be taken by another process before ZooKeeper binds it: then another is tried. */
const START_ATTEMPTS = 3;

export async function startZooKeeper(): Promise<ZooKeeperServer> {
  if (!existsSync(ZK_SERVER)) throw new Error(`${ZK_SERVER} is missing: install it with \`apt-get install -y zookeeper\` (npm test does it as root)`);
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce();
    } catch (error) {
      if (!(error instanceof PortClash) || attempt === START_ATTEMPTS) throw error;
    }
  }
}

class PortClash extends Error {}

async function startOnce(): Promise<ZooKeeperServer> {
  const dir = mkdtempSync(join(tmpdir(), "zk-"));
  mkdirSync(join(dir, "data"));
  const port = await freePort();
  writeFileSync(join(dir, "zoo.cfg"), [
    "tickTime=200", `dataDir=${join(dir, "data")}`, `clientPort=${port}`, "clientPortAddress=127.0.0.1",
    "admin.enableServer=false", "minSessionTimeout=400", "maxSessionTimeout=60000", ZK_FOUR_LETTER_WORDS, "",
  ].join("\n"));
  const pidFile = join(dir, "zk.pid");
  const files = { OUT: join(dir, "zk.out"), ERR: join(dir, "zk.err"), PIDFILE: pidFile, STATUS: join(dir, "zk.status") };
  Bun.spawnSync(["setsid", "-f", "sh", "-c", WRAPPER, "sh", ZK_SERVER, "start-foreground", join(dir, "zoo.cfg")], {
    cwd: dir, env: { PATH: process.env.PATH ?? "", ZOO_LOG_DIR: dir, ...files, OWNER: String(process.pid) },
    stdin: "ignore", stdout: "ignore", stderr: "ignore",
  });
  const pid = await readPid(pidFile);
  servers.add(pid);
  const connect = `127.0.0.1:${port}`;
  const signal = (name: NodeJS.Signals) => { try { process.kill(pid, name); } catch { /* already gone */ } };
  await waitForZooKeeper(port, join(dir, "data"), pid, join(dir, "zk.out"));
  return {
    port, connect, pid,
    pause: () => signal("SIGSTOP"),
    resume: () => signal("SIGCONT"),
    async stop() {
      signal("SIGCONT");
      signal("SIGKILL");
      servers.delete(pid);
      for (let i = 0; i < 100 && alive(pid); i++) await Bun.sleep(20);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Call at the top of a test file: one server started before the file's tests and stopped after
 * them. The returned object reads through to it, so `zk.connect` works inside tests and hooks.
 */
export function useZooKeeper(): ZooKeeperServer {
  let server: ZooKeeperServer | undefined;
  beforeAll(async () => {
    server = await startZooKeeper();
  });
  afterAll(async () => {
    await server?.stop();
  });
  const started = (): ZooKeeperServer => {
    if (server === undefined) throw new Error("ZooKeeper is not started: use it inside tests and hooks");
    return server;
  };
  return {
    get port() { return started().port; },
    get connect() { return started().connect; },
    get pid() { return started().pid; },
    pause: () => started().pause(),
    resume: () => started().resume(),
    stop: () => started().stop(),
  };
}

const servers = new Set<number>();
process.on("exit", () => {
  for (const pid of servers) try { process.kill(pid, "SIGKILL"); } catch { /* gone */ }
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function readPid(file: string): Promise<number> {
  for (let i = 0; i < 250; i++) {
    if (existsSync(file)) {
      const pid = Number(readFileSync(file, "utf8").trim());
      if (pid > 0) return pid;
    }
    await Bun.sleep(20);
  }
  throw new Error(`ZooKeeper did not start: no pid in ${file}`);
}

async function waitForZooKeeper(port: number, data_dir: string, pid: number, out: string, deadline_ms = 30_000): Promise<void> {
  const until = Date.now() + deadline_ms;
  while (Date.now() < until) {
    if (!alive(pid)) {
      const log = existsSync(out) ? readFileSync(out, "utf8") : "";
      const clash = zooKeeperBindFailure(log, port);
      if (clash !== null) throw new PortClash(clash);
      throw new Error(`ZooKeeper exited: ${log.slice(-2000)}`);
    }
    if (await isOurs(port, data_dir)) return;
    await Bun.sleep(200);
  }
  throw new Error(`ZooKeeper on 127.0.0.1:${port} did not answer within ${deadline_ms} ms${await isOurs(port, "") ? " (another ZooKeeper answers on that port)" : ""}`);
}

/**
 * True once the server on `port` answers `conf` with our dataDir: a ZooKeeper of another
 * process that answers on the same port is not taken for ours.
 */
function isOurs(port: number, data_dir: string): Promise<boolean> {
  return new Promise((resolve) => {
    let answer = "";
    const socket = tcpConnect(port, "127.0.0.1", () => socket.write("conf"));
    const done = (ok: boolean) => { socket.destroy(); resolve(ok); };
    socket.setTimeout(1000, () => done(false));
    socket.on("data", (chunk) => (answer += chunk.toString()));
    socket.on("end", () => done(answer.includes(`dataDir=${data_dir}`)));
    socket.on("error", () => done(false));
  });
}
