// The agent flags of Mesos that this product honours (mesos-spec §2.6, §5), with Mesos's
// defaults. --master names the leader's whereabouts as Mesos's MasterDetector::create reads
// it: zk://… (a ZooKeeper detector), file:///path holding any of these forms, or a static
// master as host:port or master@host:port. --master and --work_dir are required.
import { readFileSync } from "node:fs";
import { expect, flag, FlagError, type FlagValues, parseFlags, type ParseResult } from "../flags.ts";
import { isIPv4, parseHostPort } from "../net/address.ts";
import { parseZkUrl, redactZkUrl, type ZkUrl } from "../zk/url.ts";
import { type Attribute, parseAttributes, parseResources, type Resource } from "./resources.ts";

const SEC = 1000;
const MIN = 60 * SEC;

/** Where the agent looks for its master: a ZooKeeper group, or one fixed master. */
export type MasterSpec =
  | { kind: "zk"; url: ZkUrl; text: string }
  | { kind: "static"; host: string; port: number; text: string };

const ipv4 = (v: string) => (isIPv4(v) ? null : "an IPv4 address like 10.0.0.1");

export const AGENT_FLAGS = {
  advertise_ip: flag.string("IP address advertised to reach this agent (its pid slave(1)@ip:port).", undefined, ipv4),
  attributes: flag.custom<Attribute[]>("Attributes of the machine, as name:value;name:value (e.g. rack:a;zone:1).",
    "NAME:VALUE;...", (raw) => reportAs(() => parseAttributes(raw), raw), (a) => a.map(formatAttribute).join(";")),
  authenticate_http_readonly: flag.bool("Read-only HTTP endpoints of the agent need credentials (HTTP Basic, realm mesos-agent-readonly; needs --http_credentials).", false),
  authenticate_http_readwrite: flag.bool("HTTP endpoints of the agent that change state need credentials (HTTP Basic, realm mesos-agent-readwrite; needs --http_credentials).", false),
  credential: flag.string("This agent's principal and secret for authenticating with the master: a path (or file:///path) to JSON {\"principal\":..,\"secret\":..} or one line 'principal secret'."),
  hostname: flag.string("Hostname advertised in SlaveInfo (default: reverse lookup of the IP)."),
  hostname_lookup: flag.bool("Look up the hostname of the advertised IP when --hostname is not given.", true),
  http_credentials: flag.string("Principals and secrets accepted by the agent's HTTP endpoints (same formats as the master's --credentials)."),
  ip: flag.string("IP address to listen on (default: all interfaces).", undefined, ipv4),
  logging_level: flag.oneOf("Lowest level of log lines written to stderr.", ["INFO", "WARNING", "ERROR"] as const, "INFO"),
  master: flag.custom<MasterSpec>(
    "The master: zk://host:port,.../path, file:///path holding the value, host:port or master@host:port. Required.",
    "VALUE", parseMasterSpec, (m) => (m.kind === "zk" ? redactZkUrl(m.text) : m.text)),
  port: flag.int("Port to listen on.", 1, 65535, 5051),
  registration_backoff_factor: flag.duration(
    "Registration waits a random time in [0, factor] after a new master is detected, then backs off exponentially up to 1mins.",
    0, 24 * 60 * MIN, SEC),
  resources: flag.custom<Resource[]>(
    "Total resources, as name(role):value;... e.g. cpus:4;mem:8192;ports:[31000-32000], or a JSON array of Resource (default: detected).",
    "RESOURCES", (raw) => reportAs(() => parseResources(raw), raw), (r) => JSON.stringify(r)),
  work_dir: flag.string("Directory for the agent's state (<work_dir>/meta/slave.json holds its id). Required."),
  zk_session_timeout: flag.duration("ZooKeeper session timeout.", 1, Infinity, 10 * SEC),
};

export type AgentFlags = FlagValues<typeof AGENT_FLAGS> & { master: MasterSpec; work_dir: string };

/** Parses and validates the agent's flags; throws FlagError with the one line to print. */
export function parseAgentFlags(argv: readonly string[], env: Record<string, string | undefined>): ParseResult<typeof AGENT_FLAGS> {
  if (env.LIBPROCESS_IP !== undefined && !argv.some((a) => a.startsWith("--ip=")) && env.MESOS_IP === undefined) {
    env = { ...env, MESOS_IP: env.LIBPROCESS_IP }; // libprocess honours LIBPROCESS_IP when --ip is absent
  }
  const result = parseFlags(AGENT_FLAGS, argv, env);
  if (result.kind !== "flags") return result;
  if (result.values.master === undefined) {
    throw new FlagError("Flag 'master' is required: expected --master=zk://host:port/path, file:///path or host:port");
  }
  if (result.values.work_dir === undefined || result.values.work_dir === "") {
    throw new FlagError("Flag 'work_dir' is required: expected --work_dir=DIR for the agent's state");
  }
  for (const name of ["authenticate_http_readonly", "authenticate_http_readwrite"] as const) {
    if (result.values[name] && result.values.http_credentials === undefined) {
      throw new FlagError(`Flag 'http_credentials' is required with --${name}: expected --http_credentials=FILE`);
    }
  }
  return result;
}

/** Reads --master as Mesos's MasterDetector::create does (file:// recurses once on its content). */
export function parseMasterSpec(raw: string, depth = 0): MasterSpec {
  const text = raw.trim();
  if (text.startsWith("file://") && depth === 0) {
    let content: string;
    try {
      content = readFileSync(text.slice("file://".length), "utf8").trim();
    } catch (error) {
      return expect(`a readable file (${(error as Error).message})`, raw);
    }
    return { ...parseMasterSpec(content, depth + 1), text: raw };
  }
  if (text.startsWith("zk://")) {
    const url = parseZkUrl(text);
    return typeof url === "string" ? expect(url, raw) : { kind: "zk", url, text: raw };
  }
  const hostPort = parseHostPort(text.startsWith("master@") ? text.slice("master@".length) : text);
  if (hostPort === null) return expect("zk://host:port,.../path, file:///path, host:port or master@host:port", raw);
  return { kind: "static", host: hostPort.host, port: hostPort.port, text: raw };
}

/** Turns a parser's Error into the flag error text "expected ..., got '<raw>'". */
function reportAs<T>(parse: () => T, raw: string): T {
  try {
    return parse();
  } catch (error) {
    return expect((error as Error).message, raw);
  }
}

function formatAttribute(a: Attribute): string {
  if (a.type === "SCALAR") return `${a.name}:${a.scalar.value}`;
  if (a.type === "RANGES") return `${a.name}:[${a.ranges.range.map((r) => `${r.begin}-${r.end}`).join(",")}]`;
  return `${a.name}:${a.text.value}`;
}
