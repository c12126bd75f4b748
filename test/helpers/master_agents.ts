// In-process agents-service fixtures: a fake clock that fires timers as time is advanced, a
// recording agent connection, a registry storage whose stores can be held (a slow registry
// write), and an agents service on a real registrar over that storage.
import type { AgentMessage, MasterMessage } from "../../host/agent/protocol.ts";
import { Metrics } from "../../host/metrics.ts";
import type { AgentConnection } from "../../host/master/agent_types.ts";
import { Agents, type AgentsOptions } from "../../host/master/agents.ts";
import { parseMasterFlags } from "../../host/master/flags.ts";
import { makeMasterInfo } from "../../host/master/info.ts";
import { Master, type MasterOptions } from "../../host/master/master.ts";
import type { AgentClock } from "../../host/master/rate_limiter.ts";
import { Registrar } from "../../host/master/registrar.ts";
import { MemoryStorage } from "../../host/registry/storage.ts";
import { type Operation, Section, type SlaveInfo } from "../../host/registry/types.ts";

interface FakeTimer {
  id: number;
  at: number;
  fn: () => void;
  every: number | null;
}

/** Time moves only in advance(); due timers fire in time order, and registry work settles between them. */
export class FakeClock implements AgentClock {
  t = Date.UTC(2026, 0, 1);
  private timers: FakeTimer[] = [];
  private next = 1;

  now_ms = () => this.t;
  setTimeout = (fn: () => void, ms: number) => this.add(fn, ms, null);
  setInterval = (fn: () => void, ms: number) => this.add(fn, ms, ms);
  clearTimeout = (id: unknown) => void (this.timers = this.timers.filter((t) => t.id !== id));
  clearInterval = (id: unknown) => this.clearTimeout(id);

  private add(fn: () => void, ms: number, every: number | null): number {
    const id = this.next++;
    this.timers.push({ id, at: this.t + Math.max(0, ms), fn, every });
    return id;
  }

  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (due === undefined) break;
      this.t = due.at;
      if (due.every === null) this.clearTimeout(due.id);
      else due.at += due.every;
      due.fn();
      await settle();
    }
    this.t = end;
    await settle();
  }
}

/** Lets the registrar's batches (setImmediate) and their promise chains run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) await new Promise((resolve) => setImmediate(resolve));
}

export class FakeConnection implements AgentConnection {
  agent_id: string | null = null;
  principal: string | null = null;
  sent: MasterMessage[] = [];
  closed: string | null = null;
  /** The peer IP, from `remote` (default: agent 0's machine, pidOf(0)). */
  readonly ip: string;
  constructor(readonly remote = "10.0.0.0:40000") {
    this.ip = remote.slice(0, remote.lastIndexOf(":"));
  }
  send(message: MasterMessage): void {
    this.sent.push(message);
  }
  close(reason: string): void {
    this.closed = reason;
  }
  last(): MasterMessage | undefined {
    return this.sent[this.sent.length - 1];
  }
  of<T extends MasterMessage["type"]>(type: T): Extract<MasterMessage, { type: T }>[] {
    return this.sent.filter((m) => m.type === type) as Extract<MasterMessage, { type: T }>[];
  }
}

/** Stores wait while `held`; release() lets them through (a slow registry write). */
export class GatedStorage extends MemoryStorage {
  held = false;
  private waiting: (() => void)[] = [];
  override async append(entry: Uint8Array): Promise<number> {
    if (this.held) await new Promise<void>((resolve) => this.waiting.push(resolve));
    return super.append(entry);
  }
  release(): void {
    this.held = false;
    this.waiting.splice(0).forEach((resolve) => resolve());
  }
}

export const slaveInfo = (n: number, extra: Partial<SlaveInfo> = {}) => ({
  hostname: `agent${n}`, port: 5051,
  resources: [{ name: "cpus", type: "SCALAR", scalar: { value: 4 } }, { name: "mem", type: "SCALAR", scalar: { value: 1024 } },
    { name: "ports", type: "RANGES", ranges: { range: [{ begin: 31000, end: 32000 }] } }],
  attributes: [{ name: "rack", type: "TEXT", text: { value: `r${n}` } }],
  ...extra,
});

export const pidOf = (n: number) => `slave(1)@10.0.0.${n}:5051`;

export function registerMessage(n: number, version = "1.12.0"): AgentMessage {
  return { type: "REGISTER_SLAVE", pid: pidOf(n), slave: slaveInfo(n) as SlaveInfo, version, agent_capabilities: [{ type: "MULTI_ROLE" }] };
}

export function reregisterMessage(n: number, id: string, extra: Partial<SlaveInfo> = {}, pid = pidOf(n)): AgentMessage {
  return { type: "REREGISTER_SLAVE", pid, slave: { ...slaveInfo(n, extra), id: { value: id } } as SlaveInfo, version: "1.12.0", agent_capabilities: [] };
}

export interface Fixture {
  agents: Agents;
  registrar: Registrar;
  storage: GatedStorage;
  clock: FakeClock;
  metrics: Metrics;
  exits: number[];
  metric(name: string): number;
  registry(): Promise<{ admitted: string[]; unreachable: string[]; gone: string[] }>;
}

/** Registers agent `n` over a new FakeConnection at 10.0.0.n; its connection and the id the master gave it. */
export async function registerAgent(f: Pick<Fixture, "agents">, n: number): Promise<{ conn: FakeConnection; id: string }> {
  const conn = new FakeConnection(`10.0.0.${n}:40000`);
  f.agents.receive(conn, registerMessage(n));
  await settle();
  const registered = conn.of("SLAVE_REGISTERED")[0];
  if (registered === undefined) throw new Error(`agent ${n} was not registered`);
  return { conn, id: registered.slave_id.value };
}

/** An agents service after leader recovery of a registry holding `before` (applied first). */
export async function agentsFixture(argv: string[] = [], before: Operation[] = [], authentication?: AgentsOptions["authentication"]): Promise<Fixture> {
  const result = parseMasterFlags(["--registry=in_memory", ...argv], {});
  if (result.kind !== "flags") throw new Error("flags expected");
  const clock = new FakeClock();
  const metrics = new Metrics();
  const storage = new GatedStorage();
  const registrar = new Registrar({ storage, metrics, fetch_timeout_ms: 1000, store_timeout_ms: 60_000, onAbort: () => {} });
  await registrar.recover({ id: "M1" });
  for (const op of before) await registrar.apply(op);
  const exits: number[] = [];
  const agents = new Agents({
    master_id: "M1", master_has_domain: false, flags: result.values, metrics, registrar, exit: (s) => void exits.push(s), clock,
    ...(authentication ? { authentication } : {}),
  });
  agents.recover(await registrar.read(Section.SLAVES | Section.UNREACHABLE | Section.GONE));
  return {
    agents, registrar, storage, clock, metrics, exits,
    metric: (name) => metrics.snapshot()[name]!,
    registry: async () => {
      const r = await registrar.full();
      return {
        admitted: (r.slaves?.slaves ?? []).map((s) => s.info.id.value),
        unreachable: (r.unreachable?.slaves ?? []).map((s) => s.id.value),
        gone: (r.gone?.slaves ?? []).map((s) => s.id.value),
      };
    },
  };
}

/**
 * An in-process Master on the in-memory registry (or `options.storage`), elected and
 * recovered, with agent 0 registered over a FakeConnection; `track` collects it for stop().
 */
export async function leaderWithAgent(argv: string[], options: Partial<MasterOptions>, track: Master[]) {
  const result = parseMasterFlags(["--registry=in_memory", "--ip=127.0.0.1", ...argv], {});
  if (result.kind !== "flags") throw new Error("flags expected");
  const master = new Master({ flags: result.values, info: makeMasterInfo("127.0.0.1", 5050, "m1.example.com"), ...options });
  track.push(master);
  master.detected(master.info);
  for (let i = 0; i < 400 && !master.agents.ready(); i++) await Bun.sleep(5);
  const conn = new FakeConnection();
  master.agents.receive(conn, registerMessage(0));
  await settle();
  return { master, conn, agent_id: `${master.info.id}-S0` };
}
