// A three-server ZooKeeper ensemble (Debian's `zookeeper` package, 3.8) on 127.0.0.1, for
// `npm run bench:compare`. Each server has its own dataDir, myid, client port and
// quorum/election ports; `forceSync=yes` (the default, spelled out): the leader and each
// follower fsync the transaction log before acknowledging a proposal, and a create is
// answered only once a quorum (2 of 3) has logged it. Everything else is ZooKeeper's default.
//
// The operation: `create` of a PERSISTENT_SEQUENTIAL znode holding the payload under one
// parent — ZooKeeper's own "append one entry, get back its position" (the sequence number).
// Load is spread over one client session per server (so followers forward writes to the
// leader, as in a real deployment), each with many requests pipelined on its connection.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import zookeeper, { type Client } from "../../../host/zk/client.ts";
import { type BenchSystem, type Load, type RunResult, type SystemOptions, driveLoad } from "./types.ts";
import { type Server, freePorts, spawnServer, tail, tcpAsk, waitUntil } from "./processes.ts";

export const ZK_SERVER = "/usr/share/zookeeper/bin/zkServer.sh";
const MEMBERS = 3;
const PARENT = "/bench";
const START_DEADLINE_MS = 90_000;
const CONNECT_DEADLINE_MS = 30_000;

export interface Member {
  id: number;
  client_port: number;
  quorum_port: number;
  election_port: number;
  dir: string;
}

export function create(options: SystemOptions): BenchSystem {
  const servers: Server[] = [];
  let clients: Client[] = [];
  let members: Member[] = [];
  let run_number = 0;

  return {
    name: "zookeeper",
    describe: () => `ZooKeeper ${version()}: ${MEMBERS} servers, forceSync=yes, create PERSISTENT_SEQUENTIAL via node-zookeeper-client (1 session per server)`,
    async start() {
      const ensemble = await startEnsemble(options.base_dir);
      members = ensemble.members;
      servers.push(...ensemble.servers);
      clients = await Promise.all(members.map((m) => connectClient(m.client_port)));
      await createParent(clients[0]!);
    },
    async run(load: Load): Promise<RunResult> {
      // One parent per run keeps each run's sequence numbers and children count independent.
      const parent = `${PARENT}/run${++run_number}`;
      await createNode(clients[0]!, parent, Buffer.alloc(0), zookeeper.CreateMode.PERSISTENT);
      const prefix = `${parent}/e-`;
      // Round-robin by op, as etcd.ts does: even at concurrency 1 each member (leader and
      // followers) serves a third of the ops, so neither system's c1 hangs on who leads.
      return await driveLoad(load, (index, payload) => {
        const client = clients[index % clients.length]!;
        return createNode(client, prefix, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), zookeeper.CreateMode.PERSISTENT_SEQUENTIAL);
      });
    },
    async stop() {
      for (const client of clients) try { client.close(); } catch { /* closing anyway */ }
      clients = [];
      await Promise.all(servers.splice(0).map((s) => s.stop()));
    },
  };
}

/**
 * A three-server ensemble on loopback, serving once every server is leader or follower.
 * `tick_ms` is ZooKeeper's tickTime (package default 2000): sessions can be no shorter than two
 * ticks and expire on a tick boundary, so fast failover needs a short tick.
 */
export async function startEnsemble(base_dir: string, tick_ms = 2000): Promise<{ members: Member[]; servers: Server[]; connect: string }> {
  if (!existsSync(ZK_SERVER)) throw new Error(`${ZK_SERVER} is missing: apt-get install -y zookeeper`);
  const members = await plan(base_dir);
  const servers = members.map((member) => startServer(member, members, tick_ms));
  await waitUntil("ZooKeeper ensemble", async () => {
    const modes = await Promise.all(members.map((m) => serverMode(m.client_port)));
    return modes.every((mode) => mode === "leader" || mode === "follower");
  }, () => {
    for (const s of servers) if (!s.alive()) throw new Error(`ZooKeeper server ${s.pid} exited:\n${tail(s.log_path)}`);
  }, START_DEADLINE_MS);
  return { members, servers, connect: members.map((m) => `127.0.0.1:${m.client_port}`).join(",") };
}

async function plan(base_dir: string): Promise<Member[]> {
  const ports = await freePorts(MEMBERS * 3);
  return Array.from({ length: MEMBERS }, (_, i) => ({
    id: i + 1,
    client_port: ports[i * 3]!,
    quorum_port: ports[i * 3 + 1]!,
    election_port: ports[i * 3 + 2]!,
    dir: join(base_dir, `zk${i + 1}`),
  }));
}

function startServer(member: Member, members: Member[], tick_ms: number): Server {
  const data = join(member.dir, "data");
  mkdirSync(data, { recursive: true });
  writeFileSync(join(data, "myid"), `${member.id}\n`);
  const cfg = join(member.dir, "zoo.cfg");
  writeFileSync(cfg, [
    `tickTime=${tick_ms}`, "initLimit=10", "syncLimit=5", // the package's defaults (tickTime 2000)
    `dataDir=${data}`,
    `clientPort=${member.client_port}`, "clientPortAddress=127.0.0.1",
    "forceSync=yes", // durable: fsync the txn log before acknowledging (ZooKeeper's default)
    "admin.enableServer=false", // the AdminServer would bind 8080 three times
    ...members.map((m) => `server.${m.id}=127.0.0.1:${m.quorum_port}:${m.election_port}`),
    "",
  ].join("\n"));
  return spawnServer([ZK_SERVER, "start-foreground", cfg], {
    cwd: member.dir,
    // JMXDISABLE: no JMX agent; it adds nothing to a benchmark. Java picks its default heap.
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", JMXDISABLE: "true" },
    log_path: join(member.dir, "server.out"),
  });
}

/** "leader", "follower", "standalone", or "" while not serving (the `srvr` four-letter command). */
async function serverMode(port: number): Promise<string> {
  const answer = await tcpAsk(port, "srvr");
  return /^Mode: (\w+)/m.exec(answer)?.[1] ?? "";
}

function connectClient(port: number): Promise<Client> {
  const client = zookeeper.createClient(`127.0.0.1:${port}`, { sessionTimeout: 30_000, retries: 0 });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { client.close(); reject(new Error(`ZooKeeper client to ${port}: no session within ${CONNECT_DEADLINE_MS} ms`)); }, CONNECT_DEADLINE_MS);
    client.once("connected", () => { clearTimeout(timer); resolve(client); });
    client.connect();
  });
}

function createNode(client: Client, path: string, data: Buffer, mode: number): Promise<void> {
  return new Promise((resolve, reject) => {
    client.create(path, data, mode, (error) => (error ? reject(error) : resolve()));
  });
}

async function createParent(client: Client): Promise<void> {
  try {
    await createNode(client, PARENT, Buffer.alloc(0), zookeeper.CreateMode.PERSISTENT);
  } catch (error) {
    if (!String(error).includes("NODE_EXISTS")) throw error;
  }
}

function version(): string {
  const result = Bun.spawnSync(["dpkg-query", "-W", "-f=${Version}", "zookeeper"], { stdout: "pipe", stderr: "ignore" });
  return result.stdout.toString().trim() || "(version unknown)";
}
