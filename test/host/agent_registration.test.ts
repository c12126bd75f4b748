// Proves the agent's registration logic in process: back-off that doubles up to its cap, trust only in the detected leader's id on the current socket, nothing while master-less, id learning from a static master, and exits on a wrong id or a failed checkpoint.
import { describe, expect, test } from "bun:test";
import { Agent, type AgentOptions } from "../../host/agent/agent.ts";
import type { AgentChannel, ChannelHandlers } from "../../host/agent/channel.ts";
import type { Leader } from "../../host/agent/leader.ts";
import type { AgentMessage } from "../../host/agent/protocol.ts";
import type { SlaveMeta } from "../../host/agent/state_dir.ts";

class FakeChannel implements AgentChannel {
  readonly url = "ws://fake/agent/channel";
  readonly opened_at_ms = Date.now();
  readonly sent: AgentMessage[] = [];
  open = false;
  closed = false;
  constructor(readonly handlers: ChannelHandlers) {}
  isOpen(): boolean {
    return this.open && !this.closed;
  }
  send(message: AgentMessage): boolean {
    this.sent.push(message);
    return true;
  }
  close(): void {
    this.closed = true;
  }
  accept(): void {
    this.open = true;
    this.handlers.open();
  }
  deliver(message: object): void {
    if (!this.closed) this.handlers.frame(JSON.stringify(message));
  }
}

function setup(overrides: Partial<AgentOptions> = {}) {
  const channels: FakeChannel[] = [];
  const exits: number[] = [];
  const persisted: SlaveMeta[] = [];
  const agent = new Agent({
    info: { hostname: "a1", port: 5051, resources: [], attributes: [], checkpoint: true },
    pid: "slave(1)@10.0.0.5:5051", recovered: null, registration_backoff_factor_ms: 0,
    channel: (_host, _port, handlers) => {
      const channel = new FakeChannel(handlers);
      channels.push(channel);
      return channel;
    },
    persist: (meta) => void persisted.push(meta),
    exit: (status) => void exits.push(status),
    random: () => 1,
    ...overrides,
  });
  return { agent, channels, exits, persisted };
}

const leader = (id: string | null): Leader => ({ id, host: "10.0.0.1", port: 5050, hostname: "m1", pid: "master@10.0.0.1:5050" });
const connection = { total_ping_timeout_seconds: 75 };
const until = async (ok: () => boolean) => {
  for (let i = 0; i < 500 && !ok(); i++) await Bun.sleep(5);
  expect(ok()).toBe(true);
};

describe("Agent", () => {
  test("registers on open and trusts only the detected leader's id", async () => {
    const { agent, channels, persisted } = setup();
    agent.detected(leader("M"));
    await until(() => channels.length === 1);
    channels[0]!.accept();
    expect(channels[0]!.sent[0]!.type).toBe("REGISTER_SLAVE");
    channels[0]!.deliver({ type: "SLAVE_REGISTERED", master_id: "OTHER", slave_id: { value: "X-S0" }, connection });
    expect(agent.phase).toBe("registering");
    expect(agent.counters.ignored_messages).toBe(1);
    channels[0]!.deliver({ type: "SLAVE_REGISTERED", master_id: "M", slave_id: { value: "M-S0" }, connection });
    expect(agent.phase).toBe("registered");
    expect(persisted).toEqual([{ id: "M-S0", info: { hostname: "a1", port: 5051, resources: [], attributes: [], checkpoint: true, id: { value: "M-S0" } } }]);
    channels[0]!.deliver({ type: "PING_SLAVE", master_id: "M", connected: true });
    expect(channels[0]!.sent.at(-1)).toEqual({ type: "PONG_SLAVE" });
    agent.stop();
  });

  test("master-less: the socket is closed and nothing is acted on until a leader is detected", async () => {
    const { agent, channels, exits } = setup();
    agent.detected(leader("M"));
    await until(() => channels.length === 1);
    channels[0]!.accept();
    agent.detected(null);
    expect(channels[0]!.closed).toBe(true);
    channels[0]!.handlers.frame(JSON.stringify({ type: "SHUTDOWN", master_id: "M", message: "late" }));
    expect(exits).toEqual([]);
    expect(agent.phase).toBe("master_less");
    await Bun.sleep(30);
    expect(channels.length).toBe(1);
    agent.stop();
  });

  test("a static master's id is learned from its first message, anew on each socket", async () => {
    const { agent, channels } = setup({ recovered: { id: "OLD-S3", info: { id: { value: "OLD-S3" }, hostname: "a1" } } });
    agent.detected(leader(null));
    await until(() => channels.length === 1);
    channels[0]!.accept();
    expect(channels[0]!.sent[0]).toMatchObject({ type: "REREGISTER_SLAVE", slave: { id: { value: "OLD-S3" } } });
    channels[0]!.deliver({ type: "SLAVE_REREGISTERED", master_id: "S1", slave_id: { value: "OLD-S3" }, connection });
    expect(agent.master?.id).toBe("S1");
    channels[0]!.handlers.closed("master restarted");
    await until(() => channels.length === 2);
    channels[1]!.accept();
    channels[1]!.deliver({ type: "SLAVE_REREGISTERED", master_id: "S2", slave_id: { value: "OLD-S3" }, connection });
    expect(agent.phase).toBe("registered");
    expect(agent.master?.id).toBe("S2");
    agent.stop();
  });

  test("retries on failed sockets with a doubling back-off", async () => {
    const { agent, channels } = setup({ registration_backoff_factor_ms: 25 });
    const times: number[] = [];
    const started = Date.now();
    agent.detected(leader("M"));
    while (times.length < 4) {
      await until(() => channels.length > times.length);
      times.push(Date.now() - started);
      channels.at(-1)!.handlers.closed("refused");
    }
    agent.stop();
    // random() = 1: first 25 ms, then 50, 100, 200 ms apart.
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(times[0]!).toBeGreaterThanOrEqual(20);
    expect(gaps[0]!).toBeGreaterThanOrEqual(45);
    expect(gaps[1]!).toBeGreaterThanOrEqual(95);
    expect(gaps[2]!).toBeGreaterThanOrEqual(195);
  });

  test("a wrong agent id or a failed checkpoint exits 1", async () => {
    const wrong = setup({ recovered: { id: "A-S0", info: { id: { value: "A-S0" }, hostname: "a1" } } });
    wrong.agent.detected(leader("M"));
    await until(() => wrong.channels.length === 1);
    wrong.channels[0]!.deliver({ type: "SLAVE_REREGISTERED", master_id: "M", slave_id: { value: "B-S0" }, connection });
    expect(wrong.exits).toEqual([1]);
    wrong.agent.stop();
    const failing = setup({ persist: () => { throw new Error("disk full"); } });
    failing.agent.detected(leader("M"));
    await until(() => failing.channels.length === 1);
    failing.channels[0]!.deliver({ type: "SLAVE_REGISTERED", master_id: "M", slave_id: { value: "M-S0" }, connection });
    expect(failing.exits).toEqual([1]);
    expect(failing.agent.id).toBeNull();
    failing.agent.stop();
  });
});
