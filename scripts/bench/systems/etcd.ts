// A three-member etcd cluster (Debian's `etcd-server` package, 3.4) on 127.0.0.1, for
// `npm run bench:compare`. Each member has its own data dir and client/peer ports. Durability
// is etcd's default: a put is acknowledged once a quorum (2 of 3) has appended it to its Raft
// WAL and fsynced it (there is no flag to make it weaker short of --unsafe-no-fsync, unset).
// Everything else is etcd's default except quieter logging.
//
// The operation: a put of a fresh key (`bench/run<r>/<n>`) with the payload as value —
// etcd's nearest equivalent of "append one entry durably" (each put is one Raft log entry).
// Client (BENCH_ETCD_CLIENT): "grpc" (default), etcd's native protocol — one HTTP/2 connection
// per member, calls multiplexed on it (etcd_grpc.ts) — or "http", the v3 HTTP/JSON gateway
// (`POST /v3/kv/put`) over keep-alive connections. Either way requests go round-robin over
// the three members (followers forward to the leader, as in a real deployment).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type BenchSystem, type Load, type RunResult, type SystemOptions, driveLoad } from "./types.ts";
import { type Server, freePorts, spawnServer, tail, waitUntil } from "./processes.ts";
import { type EtcdChannel, openChannel } from "./etcd_grpc.ts";

export const ETCD = "/usr/bin/etcd";
const MEMBERS = 3;
const START_DEADLINE_MS = 60_000;
const REQUEST_TIMEOUT_MS = 30_000;
const CLIENT = process.env.BENCH_ETCD_CLIENT ?? "grpc";

interface Member {
  name: string;
  client_url: string;
  peer_url: string;
  dir: string;
}

export function create(options: SystemOptions): BenchSystem {
  const servers: Server[] = [];
  let members: Member[] = [];
  let channels: EtcdChannel[] = [];
  let run_number = 0;

  return {
    name: "etcd",
    describe: () => `etcd ${version()}: ${MEMBERS} members, WAL fsync (default), v3 put of a new key via ${CLIENT === "http" ? "HTTP/JSON gateway (keep-alive" : "gRPC (1 HTTP/2 connection per member"}, round-robin)`,
    async start() {
      if (CLIENT !== "grpc" && CLIENT !== "http") throw new Error(`BENCH_ETCD_CLIENT must be grpc or http, not ${CLIENT}`);
      members = await plan(options.base_dir);
      const token = `bench-${process.pid}-${Date.now()}`;
      for (const member of members) servers.push(startMember(member, members, token));
      await waitUntil("etcd cluster", async () => {
        const healthy = await Promise.all(members.map((m) => isHealthy(m.client_url)));
        return healthy.every(Boolean);
      }, () => {
        for (const s of servers) if (!s.alive()) throw new Error(`etcd member ${s.pid} exited:\n${tail(s.log_path)}`);
      }, START_DEADLINE_MS);
      if (CLIENT === "grpc") channels = members.map((m) => openChannel(m.client_url));
    },
    async run(load: Load): Promise<RunResult> {
      const prefix = `bench/run${++run_number}/`;
      if (CLIENT === "grpc") {
        return await driveLoad(load, (index, payload) => channels[index % channels.length]!.put(Buffer.from(prefix + index), payload));
      }
      let value_b64 = "";
      return await driveLoad(load, (index, payload) => {
        // The payload is the same bytes for every op: encode it once per run.
        if (value_b64 === "") value_b64 = Buffer.from(payload).toString("base64");
        const member = members[index % members.length]!;
        return put(member.client_url, Buffer.from(prefix + index).toString("base64"), value_b64);
      });
    },
    async stop() {
      for (const channel of channels.splice(0)) channel.close();
      await Promise.all(servers.splice(0).map((s) => s.stop()));
    },
  };
}

async function plan(base_dir: string): Promise<Member[]> {
  const ports = await freePorts(MEMBERS * 2);
  return Array.from({ length: MEMBERS }, (_, i) => ({
    name: `m${i + 1}`,
    client_url: `http://127.0.0.1:${ports[i * 2]!}`,
    peer_url: `http://127.0.0.1:${ports[i * 2 + 1]!}`,
    dir: join(base_dir, `etcd${i + 1}`),
  }));
}

function startMember(member: Member, members: Member[], token: string): Server {
  mkdirSync(member.dir, { recursive: true });
  return spawnServer([
    ETCD,
    `--name=${member.name}`,
    `--data-dir=${join(member.dir, "data")}`,
    `--listen-client-urls=${member.client_url}`,
    `--advertise-client-urls=${member.client_url}`,
    `--listen-peer-urls=${member.peer_url}`,
    `--initial-advertise-peer-urls=${member.peer_url}`,
    `--initial-cluster=${members.map((m) => `${m.name}=${m.peer_url}`).join(",")}`,
    `--initial-cluster-token=${token}`,
    "--initial-cluster-state=new",
    "--logger=zap", "--log-outputs=stderr", "--log-level=warn", // per-request noise off; the WAL is unaffected
  ], {
    cwd: member.dir,
    // Only PATH: ETCD_* variables in our environment would silently change etcd's flags.
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    log_path: join(member.dir, "etcd.out"),
  });
}

async function isHealthy(client_url: string): Promise<boolean> {
  try {
    const response = await fetch(`${client_url}/health`, { signal: AbortSignal.timeout(2_000) });
    const body = (await response.json()) as { health?: string };
    return response.ok && body.health === "true";
  } catch {
    return false;
  }
}

async function put(client_url: string, key_b64: string, value_b64: string): Promise<void> {
  const response = await fetch(`${client_url}/v3/kv/put`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: `{"key":"${key_b64}","value":"${value_b64}"}`,
    keepalive: true,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  // Read the body whole: that both checks the answer and frees the connection for reuse.
  const body = await response.text();
  if (!response.ok || !body.includes('"header"')) throw new Error(`etcd put at ${client_url}: HTTP ${response.status} ${body.slice(0, 300)}`);
}

function version(): string {
  const result = Bun.spawnSync([ETCD, "--version"], { stdout: "pipe", stderr: "ignore", env: { PATH: process.env.PATH ?? "" } });
  return /etcd Version: (\S+)/.exec(result.stdout.toString())?.[1] ?? "(version unknown)";
}
