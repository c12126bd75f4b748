// npm run cluster -- --masters 3 --agents 2 — a local HA ensemble to try things with: one
// ZooKeeper (Debian's `zookeeper` package), N masters and M agents of the built binary on
// loopback, each with its own port and work dir; masters get --quorum a strict majority and
// --masters the whitelist, agents find the leader through ZooKeeper. It prints where everything
// is, shows who leads, and stops everything (and removes the data) on Ctrl-C.
// Flags: --masters=N (1, 3 or 5; default 3), --agents=M (default 0), --port=P (first master's
// port; default 5050; agents from 5051 + N), --zk-port=P (default 2181), --keep (keep the data),
// --insecure (none of the below).
// Secured by default, as the README's "Securing a cluster" does it: ZooKeeper digest
// credentials (so /mesos is world-read, creator-all), a log secret, TLS on every port (a CA
// made here with openssl), and credentials that agents, frameworks and HTTP writers must
// present; it prints where the CA and credentials are (never the secrets themselves).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { removeOnExit, type Server, spawnServer, tcpAsk, waitUntil } from "./bench/systems/processes.ts";
import { requireFree, ZK_FOUR_LETTER_WORDS, zooKeeperBindFailure } from "./bench/systems/ports.ts";
import { makeCertificates, randomSecret, writeSecretFile } from "./pki.ts";
import { basicHeader } from "../host/security/basic.ts";

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

  const ports = Array.from({ length: count }, (_, i) => first_port + i);
  const agent_ports = Array.from({ length: agent_count }, (_, i) => first_port + count + 1 + i);
  // Every port is checked before anything starts: a clash names the port, instead of a
  // process that fails to bind (or, worse, a ZooKeeper of someone else's answering for ours).
  await requireFree([
    { port: zk_port, what: "ZooKeeper; choose another with --zk-port" },
    ...ports.map((port, i) => ({ port, what: `master ${i + 1}; choose other ports with --port` })),
    ...agent_ports.map((port, i) => ({ port, what: `agent ${i + 1}; choose other ports with --port` })),
  ]);
  const zk = startZooKeeper(dir, zk_port);
  const zk_data = join(dir, "zookeeper");
  await waitUntil("ZooKeeper", async () => (await tcpAsk(zk_port, "conf").catch(() => "")).includes(`dataDir=${zk_data}`), () => {
    if (!zk.alive()) throw new Error(zooKeeperBindFailure(readFileSync(zk.log_path, "utf8"), zk_port) ?? `ZooKeeper exited; see ${zk.log_path}`);
  }, 30_000);
  const security = process.argv.includes("--insecure") ? null : secureSetup(dir);
  const zk_url = `zk://${security === null ? "" : `${security.zk_user}@`}127.0.0.1:${zk_port}/mesos`;
  const env = { PATH: process.env.PATH ?? "", ...security?.env };
  const quorum = Math.floor(count / 2) + 1;
  const list = ports.map((p) => `127.0.0.1:${p}`).join(",");
  const masters = ports.map((port, i) => {
    const work_dir = join(dir, `master-${i + 1}`);
    return spawnServer([BINARY, "master", `--zk=${zk_url}`, `--quorum=${quorum}`, `--work_dir=${work_dir}`,
      "--ip=127.0.0.1", `--port=${port}`, "--hostname=127.0.0.1", ...(count > 1 ? [`--masters=${list}`] : []), ...security?.master_flags ?? []], {
      cwd: dir, env, log_path: join(dir, `master-${i + 1}.log`),
    });
  });
  const agents = agent_ports.map((port, i) => spawnServer([BINARY, "agent", `--master=${zk_url}`,
    `--work_dir=${join(dir, `agent-${i + 1}`)}`, "--ip=127.0.0.1", `--port=${port}`, `--hostname=agent-${i + 1}`,
    "--resources=cpus:2;mem:2048;disk:10000;ports:[31000-32000]", `--attributes=rack:r${(i % 2) + 1}`, ...security?.agent_flags ?? []], {
    cwd: dir, env, log_path: join(dir, `agent-${i + 1}.log`),
  }));
  const scheme = security === null ? "http" : "https";
  console.log(`ZooKeeper    127.0.0.1:${zk_port}  (zk://${security === null ? "" : "mesos:****@"}127.0.0.1:${zk_port}/mesos)`);
  for (const [i, port] of ports.entries()) console.log(`master ${i + 1}     ${scheme}://127.0.0.1:${port}/  log ${masters[i]!.log_path}`);
  for (const [i, port] of agent_ports.entries()) console.log(`agent ${i + 1}      ${scheme}://127.0.0.1:${port}/  log ${agents[i]!.log_path}`);
  if (security !== null) {
    console.log(`secured: CA ${security.ca}; credentials ${security.credentials} (principals operator, agent, framework); log secret, ZooKeeper digest`);
    console.log(`  e.g. curl --cacert ${security.ca} -u operator:SECRET ${scheme}://127.0.0.1:${ports[0]}/master/state (SECRET from the credentials file)`);
  }
  console.log(`quorum ${quorum}; data in ${dir}${process.argv.includes("--keep") ? " (kept)" : ""}; Ctrl-C stops everything`);
  await watchLeader(ports, masters, security);
}

interface Security {
  ca: string;
  credentials: string;
  zk_user: string;
  env: Record<string, string>;
  master_flags: string[];
  agent_flags: string[];
  operator: string;
}

/** Certificates, secrets and credentials under <dir>/security, and what each process gets of them. */
function secureSetup(dir: string): Security {
  const home = join(dir, "security");
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const pki = makeCertificates(home);
  const secrets = { operator: randomSecret(16), agent: randomSecret(16), framework: randomSecret(16) };
  const credentials = writeSecretFile(home, "credentials.json", JSON.stringify({
    credentials: Object.entries(secrets).map(([principal, secret]) => ({ principal, secret })),
  }));
  const log_secret = writeSecretFile(home, "log.secret", `${randomSecret(32)}\n`);
  const agent_credential = writeSecretFile(home, "agent.credential", JSON.stringify({ principal: "agent", secret: secrets.agent }));
  writeSecretFile(home, "framework.secret", `${secrets.framework}\n`);
  return {
    ca: pki.ca, credentials, zk_user: `mesos:${randomSecret(12)}`,
    env: { LIBPROCESS_SSL_ENABLED: "true", LIBPROCESS_SSL_CERT_FILE: pki.cert, LIBPROCESS_SSL_KEY_FILE: pki.key, LIBPROCESS_SSL_CA_FILE: pki.ca },
    master_flags: [`--log_secret_file=${log_secret}`, `--credentials=${credentials}`, "--authenticate_agents", "--authenticate_http_frameworks",
      "--http_framework_authenticators=basic", "--authenticate_http_readwrite"],
    agent_flags: [`--credential=${agent_credential}`],
    operator: basicHeader("operator", secrets.operator),
  };
}

function startZooKeeper(dir: string, port: number): Server {
  const data = join(dir, "zookeeper");
  mkdirSync(data, { recursive: true });
  writeFileSync(join(dir, "zoo.cfg"), `tickTime=500\ndataDir=${data}\nclientPort=${port}\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n${ZK_FOUR_LETTER_WORDS}\n`);
  return spawnServer([ZK_SERVER, "start-foreground", join(dir, "zoo.cfg")], {
    cwd: dir, env: { PATH: process.env.PATH ?? "", ZOO_LOG_DIR: dir }, log_path: join(dir, "zookeeper.log"),
  });
}

/** Prints the leader whenever it changes, until Ctrl-C (bounded: one look every second). */
async function watchLeader(ports: number[], masters: Server[], security: Security | null): Promise<void> {
  const scheme = security === null ? "http" : "https";
  const init = security === null ? {} : { tls: { ca: readFileSync(security.ca, "utf8") }, headers: { authorization: security.operator } };
  let shown = "";
  for (;;) {
    const elected = await Promise.all(ports.map(async (port, i) => {
      if (!masters[i]!.alive()) return "down";
      try {
        const snapshot = (await (await fetch(`${scheme}://127.0.0.1:${port}/metrics/snapshot`, init as RequestInit)).json()) as Record<string, number>;
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
