// The chaos suite's cluster: one ZooKeeper, three masters of the built binary (quorum 2) and
// one agent, on loopback or each in a network namespace of its own (netns.ts), secured as the
// README's "Securing a cluster" does it (mutual TLS, the log secret, credentials for operators,
// agents and frameworks, ZooKeeper digest ACLs). A supervisor restarts any master that exits,
// as systemd's Restart=always would, unless the nemesis holds it down; every start is a new
// incarnation ("m2#3"), which leads at most once.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePorts, requireFree, ZK_FOUR_LETTER_WORDS, zooKeeperBindFailure } from "../bench/systems/ports.ts";
import { type Server, spawnServer, tcpAsk, waitUntil } from "../bench/systems/processes.ts";
import { type Security, secureSetup } from "../bench/systems/security.ts";
import { ZK_SERVER } from "../bench/systems/zookeeper.ts";
import { randomSecret } from "../pki.ts";
import type { Clocks } from "./clock.ts";
import type { Netns } from "./netns.ts";

export const ROOT = new URL("../..", import.meta.url).pathname;
const MASTERS = 3;
const RESTART_DELAY_MS = 500;

export interface Member {
  index: number;
  port: number;
  /** Its address: 127.0.0.1, or its namespace's. */
  host: string;
  work_dir: string;
  server: Server | null;
  starts: number;
  /** While true the supervisor leaves it down (the nemesis restarts it). */
  held: boolean;
  paused: boolean;
}

export class ChaosCluster {
  readonly masters: Member[];
  zk: Server | null = null;
  zk_paused = false;
  agent: Server | null = null;
  /** Each master's own wall clock, when libfaketime is here. */
  clocks: Clocks | null = null;
  private supervising = true;

  private constructor(readonly dir: string, readonly binary: string, readonly zk_port: number, readonly agent_port: number,
    ports: number[], readonly security: Security, readonly zk_url: string, readonly netns: Netns | null) {
    this.masters = ports.map((port, index) => ({ index, port, host: netns?.ip(`m${index + 1}`) ?? "127.0.0.1",
      work_dir: join(dir, `master-${index + 1}`), server: null, starts: 0, held: false, paused: false }));
  }

  static async create(dir: string, binary: string, netns: Netns | null): Promise<ChaosCluster> {
    if (!existsSync(ZK_SERVER)) throw new Error(`ZooKeeper is missing: install it with \`sudo apt-get install -y zookeeper\``);
    if (!existsSync(binary)) throw new Error(`${binary} is missing: run \`npm run build\``);
    const ports = await freePorts(MASTERS + 2);
    await requireFree(ports.map((port, i) => ({ port, what: i === 0 ? "ZooKeeper" : i === 1 ? "agent" : `master ${i - 1}` })));
    const ips = netns === null ? ["127.0.0.1"] : [netns.bridge_ip, netns.ip("agent"), ...Array.from({ length: MASTERS }, (_, i) => netns.ip(`m${i + 1}`))];
    const security = secureSetup(join(dir, "security"), ips);
    const zk_url = `zk://chaos:${randomSecret(12)}@${netns?.bridge_ip ?? "127.0.0.1"}:${ports[0]}/mesos`;
    return new ChaosCluster(dir, binary, ports[0]!, ports[1]!, ports.slice(2), security, zk_url, netns);
  }

  /** Where ZooKeeper listens (the bridge's address when in namespaces). */
  get zk_host(): string {
    return this.netns?.bridge_ip ?? "127.0.0.1";
  }

  get agent_host(): string {
    return this.netns?.ip("agent") ?? "127.0.0.1";
  }

  private command(member: string, command: string[]): string[] {
    return this.netns === null ? command : this.netns.exec(member, command);
  }

  async start(): Promise<void> {
    await this.startZooKeeper();
    for (const m of this.masters) this.startMaster(m);
    void this.supervise();
    this.agent = spawnServer(this.command("agent", [this.binary, "agent", `--master=${this.zk_url}`, `--work_dir=${join(this.dir, "agent")}`,
      `--ip=${this.agent_host}`, `--port=${this.agent_port}`, `--hostname=${this.agent_host}`, "--resources=cpus:8;mem:8192;disk:10000;ports:[31000-32000]",
      `--credential=${this.security.agent_credential}`]), { cwd: this.dir, env: this.env(), log_path: join(this.dir, "agent.log") });
  }

  env(): Record<string, string> {
    return { PATH: process.env.PATH ?? "", ...this.security.env };
  }

  startMaster(m: Member): void {
    m.starts++;
    m.paused = false;
    m.server = spawnServer(this.command(`m${m.index + 1}`, [this.binary, "master", `--zk=${this.zk_url}`, "--quorum=2", `--work_dir=${m.work_dir}`,
      `--ip=${m.host}`, `--port=${m.port}`, `--hostname=${m.host}`, `--masters=${this.masters.map((x) => `${x.host}:${x.port}`).join(",")}`,
      "--zk_session_timeout=2secs", ...this.security.master_flags]), { cwd: this.dir, env: { ...this.env(), ...this.clocks?.env(`m${m.index + 1}`) }, log_path: join(this.dir, `master-${m.index + 1}.log`) });
  }

  /** "m2#3": master 2's third process; null while it is down. */
  incarnation(index: number): string | null {
    const m = this.masters[index]!;
    return m.server?.alive() ? `m${index + 1}#${m.starts}` : null;
  }

  alive(index: number): boolean {
    return this.masters[index]!.server?.alive() ?? false;
  }

  /** Restarts exited masters (bounded: one look every 100 ms) until stop(). */
  private async supervise(): Promise<void> {
    const down_since = new Map<number, number>();
    while (this.supervising) {
      for (const m of this.masters) {
        if (m.held || m.server === null || m.server.alive()) {
          down_since.delete(m.index);
          continue;
        }
        const since = down_since.get(m.index) ?? Date.now();
        down_since.set(m.index, since);
        if (Date.now() - since >= RESTART_DELAY_MS) this.startMaster(m);
      }
      await Bun.sleep(100);
    }
  }

  private zooKeeperConfig(): string {
    const data = join(this.dir, "zookeeper");
    mkdirSync(data, { recursive: true });
    const config = join(this.dir, "zoo.cfg");
    writeFileSync(config, ["tickTime=200", `dataDir=${data}`, `clientPort=${this.zk_port}`, `clientPortAddress=${this.zk_host}`,
      "admin.enableServer=false", "minSessionTimeout=400", "maxSessionTimeout=60000", ZK_FOUR_LETTER_WORDS, ""].join("\n"));
    return config;
  }

  async startZooKeeper(): Promise<void> {
    const config = this.zooKeeperConfig();
    const zk = spawnServer([ZK_SERVER, "start-foreground", config], {
      cwd: this.dir, env: { PATH: process.env.PATH ?? "", ZOO_LOG_DIR: this.dir }, log_path: join(this.dir, "zookeeper.log"),
    });
    this.zk = zk;
    this.zk_paused = false;
    const data = join(this.dir, "zookeeper");
    await waitUntil("ZooKeeper", async () => (await tcpAsk(this.zk_port, "conf", 2_000, this.zk_host).catch(() => "")).includes(`dataDir=${data}`), () => {
      if (!zk.alive()) throw new Error(zooKeeperBindFailure(readFileSync(zk.log_path, "utf8"), this.zk_port) ?? `ZooKeeper exited; see ${zk.log_path}`);
    }, 30_000);
  }

  signal(server: Server | null, signal: NodeJS.Signals): void {
    if (server === null || !server.alive()) return;
    try { process.kill(server.pid, signal); } catch { /* already gone */ }
  }

  async stop(): Promise<void> {
    this.supervising = false;
    const all = [...this.masters.map((m) => m.server), this.agent, this.zk];
    for (const s of all) this.signal(s, "SIGCONT");
    await Promise.all(all.map((s) => s?.stop(3_000)));
  }
}
