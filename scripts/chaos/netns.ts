// Network namespaces the chaos run makes for itself (root only): one per master and one for the
// agent, each with a veth into a bridge that this run creates; ZooKeeper and the run's own
// clients sit on the bridge's address. Faults are traffic control on a member's egress: an htb
// qdisc whose u32 filters send packets for one destination (and port) to a class of 8 bit/s
// with a one-packet queue — a one-way blackhole — or every packet to a 1 Mbit/s class, a slow
// link. (This kernel has htb and u32 but neither netem nor iptables, so this is how one-way
// partitions and delay are made here.) Everything is removed when the run exits.
import { spawnSync } from "node:child_process";

const MEMBERS_MAX = 8;

function run(args: string[], check = true): string {
  const result = spawnSync(args[0]!, args.slice(1), { encoding: "utf8" });
  if (check && result.status !== 0) throw new Error(`${args.join(" ")}: ${(result.stderr || result.stdout || "failed").trim()}`);
  return result.stdout ?? "";
}

/** Namespaces and bridges left by earlier runs whose process is gone (their names carry its pid). */
function removeStale(): void {
  for (const line of run(["ip", "netns", "list"], false).split("\n")) {
    const match = /^(mc(\d+)[a-z][a-z0-9]*)\b/.exec(line.trim());
    if (match !== null && !alive(Number(match[2]))) run(["ip", "netns", "del", match[1]!], false);
  }
  for (const line of run(["ip", "-o", "link", "show", "type", "bridge"], false).split("\n")) {
    const match = /^\d+: (mc(\d+)br)[:@]/.exec(line);
    if (match !== null && !alive(Number(match[2]))) run(["ip", "link", "del", match[1]!], false);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export class Netns {
  private readonly addresses = new Map<string, string>();

  private constructor(private readonly tag: string, readonly bridge_ip: string, members: string[], subnet: string) {
    members.forEach((m, i) => this.addresses.set(m, `${subnet}.${10 + i}`));
  }

  /** The namespaces for `members` ("m1", "m2", "agent"…), or why they cannot be made here. */
  static create(members: string[]): Netns | string {
    if (process.getuid?.() !== 0) return "not root";
    if (members.length > MEMBERS_MAX) throw new Error(`at most ${MEMBERS_MAX} namespaces`);
    if (spawnSync("ip", ["netns", "list"]).status !== 0) return "`ip netns` does not work here";
    removeStale();
    const subnet = freeSubnet();
    const netns = new Netns(`mc${process.pid}`, `${subnet}.1`, members, subnet);
    process.on("exit", () => netns.destroy());
    try {
      netns.build(members, subnet);
    } catch (error) {
      netns.destroy();
      return (error as Error).message;
    }
    return netns;
  }

  private ns(member: string): string {
    return `${this.tag}${member.replace(/[^a-z0-9]/g, "")}`;
  }

  private build(members: string[], subnet: string): void {
    const bridge = `${this.tag}br`;
    run(["ip", "link", "add", bridge, "type", "bridge"]);
    run(["ip", "addr", "add", `${subnet}.1/24`, "dev", bridge]);
    run(["ip", "link", "set", bridge, "up"]);
    for (const member of members) {
      const ns = this.ns(member);
      run(["ip", "netns", "add", ns]);
      run(["ip", "link", "add", ns, "type", "veth", "peer", "name", "eth0", "netns", ns]);
      run(["ip", "link", "set", ns, "master", bridge, "up"]);
      run(["ip", "-n", ns, "addr", "add", `${this.ip(member)}/24`, "dev", "eth0"]);
      run(["ip", "-n", ns, "link", "set", "eth0", "up"]);
      run(["ip", "-n", ns, "link", "set", "lo", "up"]);
    }
  }

  ip(member: string): string {
    const ip = this.addresses.get(member);
    if (ip === undefined) throw new Error(`no namespace for ${member}`);
    return ip;
  }

  /** `command` run inside the member's namespace (ip netns exec execs it: the pid is the command's). */
  exec(member: string, command: string[]): string[] {
    return ["ip", "netns", "exec", this.ns(member), ...command];
  }

  /** Drops every packet `from` sends to each destination (ip, and port when given) until healed. */
  blackhole(from: string, destinations: { ip: string; port?: number }[]): () => void {
    const ns = this.ns(from);
    this.shape(ns, "8bit", "1");
    for (const d of destinations) {
      const port = d.port === undefined ? [] : ["match", "ip", "dport", String(d.port), "0xffff"];
      run(["ip", "netns", "exec", ns, "tc", "filter", "add", "dev", "eth0", "parent", "1:", "protocol", "ip", "prio", "1", "u32",
        "match", "ip", "dst", `${d.ip}/32`, ...port, "flowid", "1:2"]);
    }
    return () => this.heal(ns);
  }

  /** Every packet `from` sends goes through a 1 Mbit/s link until healed (queueing delay, then loss). */
  slow(from: string): () => void {
    const ns = this.ns(from);
    this.shape(ns, "1mbit", "1000");
    run(["ip", "netns", "exec", ns, "tc", "filter", "add", "dev", "eth0", "parent", "1:", "protocol", "ip", "prio", "1", "u32",
      "match", "u32", "0", "0", "flowid", "1:2"]);
    return () => this.heal(ns);
  }

  private shape(ns: string, rate: string, queue_packets: string): void {
    const tc = (...args: string[]) => run(["ip", "netns", "exec", ns, "tc", ...args]);
    tc("qdisc", "add", "dev", "eth0", "root", "handle", "1:", "htb", "default", "1");
    tc("class", "add", "dev", "eth0", "parent", "1:", "classid", "1:1", "htb", "rate", "10gbit");
    tc("class", "add", "dev", "eth0", "parent", "1:", "classid", "1:2", "htb", "rate", rate, "ceil", rate);
    tc("qdisc", "add", "dev", "eth0", "parent", "1:2", "handle", "20:", "pfifo", "limit", queue_packets);
  }

  private heal(ns: string): void {
    run(["ip", "netns", "exec", ns, "tc", "qdisc", "del", "dev", "eth0", "root"], false);
  }

  destroy(): void {
    for (const ns of run(["ip", "netns", "list"], false).split("\n").map((l) => l.split(" ")[0]!)) {
      if (ns.startsWith(this.tag) && /^[a-z]\w*$/.test(ns.slice(this.tag.length))) run(["ip", "netns", "del", ns], false);
    }
    run(["ip", "link", "del", `${this.tag}br`], false);
  }
}

/** A 10.250.N.0/24 no interface of this machine uses yet. */
function freeSubnet(): string {
  const used = run(["ip", "-4", "-o", "addr", "show"], false);
  for (let i = 0; i < 250; i++) {
    const subnet = `10.250.${(process.pid + i) % 250}`;
    if (!used.includes(` ${subnet}.`)) return subnet;
  }
  throw new Error("no free 10.250.N.0/24 subnet");
}
