// Flags of the mesos-log tool (mesos-spec §7), one set per command, parsed like every other
// flag here. LIBPROCESS_IP / LIBPROCESS_PORT give the replica's own address, as in Mesos.
import { expect, flag, type FlagSpecs, type FlagValues } from "../flags.ts";
import { isIPv4, parseHostPortList, type HostPort } from "../net/address.ts";

const peersFlag = flag.custom<HostPort[]>("The other replicas as ip:port,... (a static replica set instead of ZooKeeper).", "IP:PORT,...",
  (raw) => parseHostPortList(raw) ?? expect("a list like 10.0.0.1:5050,10.0.0.2:5050", raw), (l) => l.map((p) => `${p.host}:${p.port}`).join(","));

const network = {
  quorum: flag.int("Replicas needed for a write: a strict majority of the replicas.", 1, 64),
  servers: flag.string("ZooKeeper servers host:port,... used to find the other replicas."),
  znode: flag.string("ZooKeeper znode of the replica group, e.g. /log."),
  peers: peersFlag,
  ip: flag.string("IP address this replica listens on and advertises.", undefined, (v) => (isIPv4(v) ? null : "an IPv4 address")),
  port: flag.int("Port this replica listens on.", 1, 65535, 5050),
  initialize: flag.bool("Initialise the local replica (EMPTY to VOTING) before starting.", false),
  auto_initialize: flag.bool("Auto-initialise a brand-new log once all 2*quorum-1 replicas are present.", true),
  timeout: flag.duration("How long to wait for the log to recover and elect.", 1, Infinity, 15_000),
  path: flag.string("Directory of the local replica's log."),
  log_secret_file: flag.string("File holding the log's shared secret (at least 16 bytes), as the masters' --log_secret_file; peers must prove they hold it."),
};

export const LOG_COMMANDS = {
  initialize: { summary: "Initialises an EMPTY local replica so it can vote (mesos-log initialize --path=DIR).", flags: { path: network.path } },
  read: {
    summary: "Prints the learned actions of the local replica (mesos-log read --path=DIR [--from=N] [--to=N]).",
    flags: { path: network.path, from: flag.int("First position to print (default: the log's beginning).", 0, Number.MAX_SAFE_INTEGER), to: flag.int("Last position to print (default: the log's end).", 0, Number.MAX_SAFE_INTEGER) },
  },
  replica: { summary: "Runs a replica of a replicated log until stopped.", flags: network },
  benchmark: {
    summary: "Runs a replica plus a writer and measures append throughput and latency.",
    flags: {
      ...network,
      input: flag.string("Trace file: one entry size per line (e.g. 100B, 2KB, 1MB)."),
      output: flag.string("File to write one line per append: <time> Appended <bytes> bytes in <ms> ms."),
      type: flag.oneOf("Payload bytes: zero (0x00), one (0xFF), random (random bytes).", ["zero", "one", "random"] as const, "random"),
      concurrency: flag.int("Appends in flight at once.", 1, 65_536, 1),
      entries: flag.int("Number of appends (instead of --input).", 1, 100_000_000),
      size: flag.int("Bytes per entry with --entries.", 0, 1 << 20, 100),
    },
  },
} satisfies Record<string, { summary: string; flags: FlagSpecs }>;

export type NetworkFlags = FlagValues<typeof network>;
export type BenchmarkFlags = FlagValues<typeof LOG_COMMANDS.benchmark.flags>;
export type ReadFlags = FlagValues<typeof LOG_COMMANDS.read.flags>;
