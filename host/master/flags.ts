// Every master flag of Mesos that this product honours (mesos-spec §1), with Mesos's
// defaults, ranges and cross-flag rules. Flags whose behaviour arrives with a later issue
// are already defined and validated here, so an operator's command line never changes
// meaning between releases.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, flag, FlagError, type FlagValues, parseFlags, type ParseResult, withAliases } from "../flags.ts";
import { formatDuration, parseDuration } from "../duration.ts";
import { isIPv4, parseHostPortList, type HostPort } from "../net/address.ts";
import { parseZkUrl, redactZkUrl, type ZkUrl } from "../zk/url.ts";

const SEC = 1000;
const MIN = 60 * SEC;
const DAY = 24 * 60 * MIN;

export interface RemovalRate {
  agents: number;
  per_ms: number;
  text: string;
}

export interface FaultDomain {
  fault_domain: { region: { name: string }; zone: { name: string } };
}

const ipv4 = (v: string) => (isIPv4(v) ? null : "an IPv4 address like 10.0.0.1");
const webuiDirectory = (v: string) => (existsSync(join(v, "index.html")) ? null : "a directory holding index.html");

export const MASTER_FLAGS = {
  advertise_ip: flag.string("IP address advertised to reach this master (MasterInfo, redirects).", undefined, ipv4),
  advertise_port: flag.int("Port advertised to reach this master.", 1, 65535),
  acls: flag.custom<string>("Access control lists for the local authorizer, as JSON or a path (file:///path) holding JSON (default: everything allowed).",
    "JSON|FILE", (raw) => raw, (v) => v),
  agent_ping_timeout: withAliases(flag.duration("Timeout of each master-to-agent ping.", SEC, 15 * MIN, 15 * SEC), "slave_ping_timeout"),
  agent_removal_rate_limit: withAliases(flag.custom<RemovalRate>(
    "Maximum rate at which agents are marked unreachable, e.g. 1/10mins (unlimited when unset).",
    "N/DURATION", parseRate, (r) => r.text), "slave_removal_rate_limit"),
  agent_reregister_timeout: withAliases(flag.duration(
    "Time agents have to re-register after a failover before they are marked unreachable.", 10 * MIN, Infinity, 10 * MIN), "slave_reregister_timeout"),
  allocation_interval: flag.duration("Time between batch allocations of offers.", 1, Infinity, SEC),
  authenticate_agents: withAliases(flag.bool("Only authenticated agents may register (needs --credentials).", false), "authenticate_slaves"),
  authenticate_frameworks: withAliases(flag.bool("Only authenticated frameworks may subscribe (needs --credentials); every framework here speaks HTTP, so this implies --authenticate_http_frameworks.", false), "authenticate"),
  authenticate_http_frameworks: flag.bool("HTTP frameworks must authenticate (needs --credentials and --http_framework_authenticators).", false),
  authenticate_http_readonly: flag.bool("Read-only HTTP endpoints need credentials (HTTP Basic, realm mesos-master-readonly).", false),
  authenticate_http_readwrite: flag.bool("HTTP endpoints that change state need credentials (HTTP Basic, realm mesos-master-readwrite).", false),
  authorizers: flag.oneOf("Authorizer of actions; only the local authorizer (--acls) is built in.", ["local"] as const, "local"),
  cluster: flag.string("Human-readable name of the cluster, shown in /state."),
  credentials: flag.string("Principals and secrets of agents, frameworks and HTTP callers: a path (or file:///path) to JSON {\"credentials\":[{\"principal\":..,\"secret\":..}]} or lines 'principal secret'."),
  domain: flag.custom<FaultDomain>("Fault domain of this master, as JSON or file:///path holding JSON.", "JSON",
    parseDomain, (d) => JSON.stringify(d)),
  hostname: flag.string("Hostname advertised in MasterInfo and used in redirects (default: reverse lookup of the IP)."),
  hostname_lookup: flag.bool("Look up the hostname of the advertised IP when --hostname is not given.", true),
  http_authenticators: flag.oneOf("HTTP authenticator of the readonly/readwrite endpoints.", ["basic"] as const, "basic"),
  http_framework_authenticators: flag.oneOf("HTTP authenticator of the scheduler API (required with --authenticate_http_frameworks).", ["basic"] as const),
  ip: flag.string("IP address to listen on (default: all interfaces).", undefined, ipv4),
  log_auto_initialize: flag.bool("Auto-initialise a brand-new replicated log once all 2*quorum-1 replicas are present.", true),
  log_secret_file: flag.string("File holding the replicated log's shared secret (at least 16 bytes): peers prove membership with it (HMAC challenge-response). Unset: the log is open to anyone who can reach the port."),
  logging_level: flag.oneOf("Lowest level of log lines written to stderr.", ["INFO", "WARNING", "ERROR"] as const, "INFO"),
  masters: flag.custom<HostPort[]>(
    "The only masters allowed in the ensemble, as host:port,... (refuses others; beyond Mesos, see MESOS-1546).",
    "HOST:PORT,...", (raw) => parseHostPortList(raw) ?? expect("a list like m1:5050,m2:5050,m3:5050", raw), (l) => l.map((m) => `${m.host}:${m.port}`).join(",")),
  max_agent_ping_timeouts: withAliases(flag.int("Consecutive missed pings before an agent is marked unreachable.", 1, 1_000_000, 5), "max_slave_ping_timeouts"),
  max_completed_frameworks: flag.int("Completed frameworks kept in memory.", 0, 1_000_000, 50),
  max_completed_tasks_per_framework: flag.int("Completed tasks kept in memory per framework.", 0, 10_000_000, 1000),
  max_operator_event_stream_subscribers: flag.int("Maximum concurrent operator API event stream subscribers.", 0, 1_000_000, 1000),
  max_unreachable_tasks_per_framework: flag.int("Unreachable tasks kept in memory per framework.", 0, 10_000_000, 1000),
  port: flag.int("Port to listen on.", 1, 65535, 5050),
  quorum: flag.int("Replicas needed for a log write: a strict majority of the masters. Required with --zk.", 1, 64),
  recovery_agent_removal_limit: withAliases(flag.percent(
    "After failover, exit instead of marking unreachable more than this share of the registry's agents.", 1), "recovery_slave_removal_limit"),
  registry: flag.oneOf("Where the registry lives: replicated_log, or in_memory (testing only).",
    ["replicated_log", "in_memory"] as const, "replicated_log", { log_storage: "replicated_log" }),
  registry_fetch_timeout: flag.duration("Maximum time to fetch the registry on election before aborting.", 1, Infinity, MIN),
  registry_gc_interval: flag.duration("How often the registry's unreachable and gone lists are pruned.", 1, Infinity, 15 * MIN),
  registry_max_agent_age: flag.duration("Unreachable or gone agents older than this are pruned from the registry.", 1, Infinity, 14 * DAY),
  registry_max_agent_count: flag.int("Entries kept in each of the registry's unreachable and gone lists.", 1, Number.MAX_SAFE_INTEGER, 102400),
  registry_store_timeout: flag.duration("Maximum time of one registry write before the master aborts.", 1, Infinity, 20 * SEC),
  registry_strict: flag.bool("Deprecated; only false is accepted.", false),
  require_agent_domain: flag.bool("Refuse agents that do not declare a fault domain when this master has one (--domain).", false),
  weights: flag.custom<Record<string, number>>("Initial role weights, as role1=weight1,role2=weight2 (used when the registry has none).",
    "ROLE=WEIGHT,...", parseWeights,
    (w) => Object.entries(w).map(([r, v]) => `${r}=${v}`).join(",")),
  webui_dir: flag.string("Directory of a web UI served at / (index.html, app/, assets/), such as a copy of Mesos's src/webui (default: this master's own UI, built in).",
    undefined, webuiDirectory),
  work_dir: flag.string("Directory for the replicated log (<work_dir>/replicated_log). Required with --registry=replicated_log."),
  zk: flag.custom<ZkUrl>("ZooKeeper URL zk://[user:pass@]host:port,.../path, or file:///path holding one; absent: standalone.",
    "URL", (raw) => { const url = parseZkUrl(raw); return typeof url === "string" ? expect(url, raw) : url; },
    (u) => redactZkUrl(u.text)),
  zk_session_timeout: flag.duration("ZooKeeper session timeout.", 1, Infinity, 10 * SEC),
};

export type MasterFlags = FlagValues<typeof MASTER_FLAGS>;

/** Parses and validates the master's flags; throws FlagError with the one line to print. */
export function parseMasterFlags(argv: readonly string[], env: Record<string, string | undefined>): ParseResult<typeof MASTER_FLAGS> {
  if (env.LIBPROCESS_IP !== undefined && !argv.some((a) => a.startsWith("--ip=")) && env.MESOS_IP === undefined) {
    env = { ...env, MESOS_IP: env.LIBPROCESS_IP }; // libprocess honours LIBPROCESS_IP when --ip is absent
  }
  const result = parseFlags(MASTER_FLAGS, argv, env);
  if (result.kind === "flags") validateMasterFlags(result.values);
  return result;
}

/** Mesos's cross-flag rules (master/main.cpp), each as one line naming the flag. */
export function validateMasterFlags(flags: MasterFlags): void {
  if (flags.registry_strict) throw new FlagError("Flag 'registry_strict': --registry_strict=true is no longer supported; expected false");
  if (flags.registry === "replicated_log" && flags.work_dir === undefined) {
    throw new FlagError("Flag 'work_dir' is required: --work_dir=DIR is needed for the replicated log based registry (or use --registry=in_memory)");
  }
  if (flags.registry === "replicated_log" && flags.zk !== undefined && flags.quorum === undefined) {
    throw new FlagError("Flag 'quorum' is required with --zk: expected --quorum=N, a strict majority of the masters");
  }
  if (flags.masters !== undefined && flags.quorum !== undefined && flags.masters.length !== 2 * flags.quorum - 1) {
    throw new FlagError(`Flag 'masters': expected exactly 2*quorum-1 = ${2 * flags.quorum - 1} masters for --quorum=${flags.quorum}, got ${flags.masters.length}`);
  }
  const authenticating = ["authenticate_agents", "authenticate_frameworks", "authenticate_http_frameworks", "authenticate_http_readonly", "authenticate_http_readwrite"] as const;
  for (const name of authenticating) {
    if (flags[name] && flags.credentials === undefined) throw new FlagError(`Flag 'credentials' is required with --${name}: expected --credentials=FILE`);
  }
  if (flags.authenticate_http_frameworks && flags.http_framework_authenticators === undefined) {
    throw new FlagError("Flag 'http_framework_authenticators' is required with --authenticate_http_frameworks: expected --http_framework_authenticators=basic");
  }
  if (flags.masters !== undefined && flags.zk === undefined) {
    throw new FlagError("Flag 'masters': expected --zk as well; the whitelist applies to a ZooKeeper ensemble");
  }
}

function parseRate(raw: string): RemovalRate {
  const match = /^(\d+)\/(.+)$/.exec(raw.trim());
  const agents = Number(match?.[1]);
  const per_ms = match ? parseDuration(match[2]!) : null;
  if (!(agents >= 1) || per_ms === null || per_ms <= 0) return expect("a rate like 1/10mins (agents per duration)", raw);
  return { agents, per_ms, text: `${agents}/${formatDuration(per_ms)}` };
}

function parseWeights(raw: string): Record<string, number> {
  const weights: Record<string, number> = {};
  for (const entry of raw.split(",")) {
    const match = /^([^=,\s]+)=(\d+(?:\.\d+)?)$/.exec(entry.trim());
    if (!match || Number(match[2]) <= 0 || match[1]! in weights) return expect("a list like role1=2,role2=0.5 with positive weights, each role once", raw);
    weights[match[1]!] = Number(match[2]);
  }
  return weights;
}

function parseDomain(raw: string): FaultDomain {
  const what = 'JSON like {"fault_domain":{"region":{"name":"r1"},"zone":{"name":"z1"}}} or file:///path holding it';
  let value: FaultDomain | undefined;
  try {
    const text = raw.startsWith("file://") ? readFileSync(raw.slice("file://".length), "utf8") : raw;
    value = JSON.parse(text) as FaultDomain;
  } catch {
    return expect(what, raw);
  }
  const fd = value?.fault_domain;
  return typeof fd?.region?.name === "string" && typeof fd?.zone?.name === "string" ? value : expect(what, raw);
}
