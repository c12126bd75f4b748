// Masters and mesos-agent processes of the built binary on loopback for the agent life-cycle
// tests (mesos-spec §5, §8.4): short health-check flags, agents that may reach their master
// through a TcpProxy (cut links), and readers for what an operator checks: /state, /slaves,
// /metrics/snapshot and /registrar(1)/registry. Everything a Cluster starts it kills in destroy().
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TcpProxy } from "../../host/net/proxy.ts";
import { until } from "./log_cluster.ts";
import { BINARY, freePort, requireBinary, type Running, start, waitForHealth } from "./process.ts";
import { tlsFetch } from "./security.ts";

export { until };

/** Health checks that give up after 2 s: agents re-detect after 2 s without pings, masters mark after 2 missed pongs. */
export const FAST_HEALTH = ["--agent_ping_timeout=1secs", "--max_agent_ping_timeouts=2", "--registry_gc_interval=1secs"];

export const getJson = async (url: string): Promise<any> => await (await tlsFetch(url)).json();

export async function metricsOf(base: string): Promise<Record<string, number>> {
  return (await getJson(`${base}/metrics/snapshot`)) as Record<string, number>;
}

/** The agent ids in each list of a master's /registrar(1)/registry. */
export async function registryOf(base: string): Promise<{ admitted: string[]; unreachable: string[]; gone: string[] }> {
  const r = await getJson(`${base}/registrar(1)/registry`);
  return {
    admitted: (r.slaves?.slaves ?? []).map((s: any) => s.info.id.value),
    unreachable: (r.unreachable?.slaves ?? []).map((s: any) => s.id.value),
    gone: (r.gone?.slaves ?? []).map((s: any) => s.id.value),
  };
}

export interface MasterProcess {
  port: number;
  base: string;
  running: Running;
  metric(name: string): Promise<number>;
  state(): Promise<any>;
  /** Ids of /state's `slaves`. */
  agentIds(): Promise<string[]>;
}

export interface AgentProcess {
  port: number;
  base: string;
  running: Running;
  workDir: string;
  hostname: string;
  state(): Promise<any>;
  metric(name: string): Promise<number>;
  /** Waits until /state says registered; resolves its agent id. */
  registered(what?: string): Promise<string>;
}

export function masterAt(port: number, running: Running): MasterProcess {
  const base = `http://127.0.0.1:${port}`;
  return {
    port, base, running,
    metric: async (name) => (await metricsOf(base))[name]!,
    state: () => getJson(`${base}/state`),
    agentIds: async () => ((await getJson(`${base}/state`)).slaves as { id: string }[]).map((s) => s.id).sort(),
  };
}

export class Cluster {
  readonly dir = mkdtempSync(join(tmpdir(), "agents-"));
  private readonly processes: Running[] = [];
  private readonly proxies: TcpProxy[] = [];
  private agents = 0;

  constructor() {
    requireBinary();
  }

  /** Processes started elsewhere (an Ensemble's masters) that destroy() must kill too. */
  track(running: Running): Running {
    this.processes.push(running);
    return running;
  }

  /** A standalone master (replicated log of one) that has recovered its registry. */
  async master(extra: string[] = []): Promise<MasterProcess> {
    const port = await freePort();
    const running = this.track(start([BINARY, "master", `--work_dir=${join(this.dir, `master-${port}`)}`, "--ip=127.0.0.1", `--port=${port}`,
      "--hostname=127.0.0.1", ...FAST_HEALTH, ...extra]));
    await waitForHealth(port, running);
    await until(() => running.stderr().includes("agents from the registry"), "the master's registry recovery");
    return masterAt(port, running);
  }

  /** A TcpProxy to a local port, closed by destroy(). */
  async proxy(target_port: number): Promise<TcpProxy> {
    const proxy = await TcpProxy.start({ target_port });
    this.proxies.push(proxy);
    return proxy;
  }

  /** An agent following `master` (host:port or zk://...), with hostname agent<n>.test. */
  async agent(master: string, extra: string[] = []): Promise<AgentProcess> {
    const port = await freePort();
    const hostname = `agent${++this.agents}.test`;
    const workDir = join(this.dir, `agent-${port}`);
    const running = this.track(start([BINARY, "agent", `--master=${master}`, `--work_dir=${workDir}`, "--ip=127.0.0.1", `--port=${port}`,
      `--hostname=${hostname}`, "--registration_backoff_factor=10ms", "--resources=cpus:1;mem:256;disk:512", ...extra]));
    await waitForHealth(port, running);
    const base = `http://127.0.0.1:${port}`;
    const state = () => getJson(`${base}/state`);
    return {
      port, base, running, workDir, hostname, state,
      metric: async (name) => (await metricsOf(base))[name]!,
      registered: async (what = `${hostname} registered`) => {
        const s = await until(async () => {
          const s = await state();
          return s.registered === true ? s : null;
        }, what);
        return s.id as string;
      },
    };
  }

  async destroy(): Promise<void> {
    for (const running of this.processes.splice(0)) {
      running.kill("SIGCONT"); // a stopped process still dies on SIGKILL; SIGCONT lets its watcher see it go
      running.kill("SIGKILL");
    }
    await Promise.all(this.proxies.splice(0).map((p) => p.close()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
