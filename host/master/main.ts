// The mesos-master personality: parse and validate flags (exit 1 with one line on any error),
// open the local log replica under <work_dir>/replicated_log, bind the HTTP port (exit 1 naming
// the address when taken; peer log links ride on it), elect itself when standalone, recover
// the log and become its writer, and stop cleanly with status 0 on SIGTERM or SIGINT (the
// log's store is checkpointed and closed).
import { join } from "node:path";
import { createApp } from "../../http/app.ts";
import { preflight, withCors } from "../../http/cors.ts";
import { coreModule } from "../core.ts";
import { clusterName } from "../net/cluster.ts";
import { MESSAGE_MAX_BYTES } from "../codec/index.ts";
import { PEER_PATH, type PeerSocketData, peerSocketLimits } from "../net/transport.ts";
import { ReplicatedLog } from "../log/replicated_log.ts";
import { ensureDirectoryOrExit, loadFlagsOrExit, orExit, stopOnSignals } from "../cli.ts";
import { openFilesLimit, openFilesWarning } from "../limits.ts";
import { logger, setLoggingLevel } from "../logging.ts";
import { resolveAdvertised } from "../net/advertise.ts";
import { MASTER_FLAGS, type MasterFlags, parseMasterFlags } from "./flags.ts";
import { startHighAvailability } from "./ha.ts";
import { makeMasterInfo } from "./info.ts";
import { Master } from "./master.ts";
import { AgentChannel, isAgentSocket } from "./agent_channel.ts";
import { LogStorage, MemoryStorage, type RegistryStorage } from "../registry/storage.ts";
import { loadMasterSecurity, type MasterSecurity } from "./security.ts";
import { describeTls, serverTls } from "../security/tls.ts";

const log = logger("main.ts");
/** Largest HTTP request body the master reads (operator and scheduler JSON bodies are small). */
const HTTP_BODY_BYTES_MAX = 8 << 20;
/**
 * Routes whose answer may be a long-lived event stream (SUBSCRIBE of the scheduler and operator APIs). Bun ends a
 * request idle for its idleTimeout (10 s by default), and such a stream is idle between events
 * (HEARTBEAT comes every 15 s): these requests get no idle timeout, as libprocess has none.
 */
const STREAMING_PATHS = new Set(["/api/v1/scheduler", "/master/api/v1/scheduler", "/api/v1", "/master/api/v1"]);

export async function masterMain(argv: readonly string[]): Promise<void> {
  const flags = loadFlags(argv);
  setLoggingLevel(flags.logging_level);
  const security = orExit(() => loadMasterSecurity(flags, process.env)); // one line naming the flag and exit 1
  prepareWorkDir(flags);
  coreModule(); // compiles the embedded WASM core and checks it imports nothing but env.abort
  const address = await resolveAdvertised(flags, "this master");
  const self = `${address.ip}:${address.port}`;
  if (flags.masters !== undefined && !flags.masters.some((m) => `${m.host}:${m.port}` === self)) {
    exitFatal(`This master (${self}) is not in --masters=${flags.masters.map((m) => `${m.host}:${m.port}`).join(",")}; refusing to start`);
  }
  const info = makeMasterInfo(address.ip, address.port, address.hostname, flags.domain);
  // The registry's storage exists once the log does (an ensemble discovers its replicas first).
  const storage = Promise.withResolvers<RegistryStorage>();
  if (flags.registry !== "replicated_log") storage.resolve(new MemoryStorage());
  const master = new Master({ flags, info, storage: storage.promise, security });
  const app = createApp(master);
  const peers = new PeerLinks();
  const server = serve(address.bind_ip, address.bind_port, app, peers, new AgentChannel(master), master);
  log.info(`Master ${info.id} (${info.hostname}) started on ${self}`);
  log.info(describeTls(security.tls));
  for (const warning of security.warnings) log.warning(warning);
  const files_warning = openFilesWarning(openFilesLimit());
  if (files_warning !== null) log.warning(files_warning);
  log.info(`Flags at startup: ${Object.entries(master.flagsJson()).map(([k, v]) => `--${k}="${v}"`).join(" ")}`);
  if (flags.zk !== undefined) {
    const ha = startHighAvailability(flags, flags.zk, master, self, exitFatal);
    let opened: ReplicatedLog | null = null;
    master.replication = { log: () => opened, zookeeper: () => ha.zookeeper(), fresh: () => ha.fresh() };
    void ha.log.then((l) => {
      opened = l;
      peers.attach(l);
      storage.resolve(new LogStorage(l));
    });
    stopOnSignals(log, async () => {
      master.stop();
      await ha.stop();
      await server.stop(true);
    });
    return;
  }
  const replicated = openLog(flags, self, master);
  master.replication = { log: () => replicated, zookeeper: () => null, fresh: () => true };
  if (replicated) {
    peers.attach(replicated);
    storage.resolve(new LogStorage(replicated));
  }
  stopOnSignals(log, async () => {
    master.stop();
    replicated?.close();
    await server.stop(true);
  });
  // Standalone: the contender elects this master at once (Mesos StandaloneMasterContender);
  // the election recovers the registry (and with it the log, as its writer).
  master.detected(master.info);
}

/**
 * Peer log links ride on the master's HTTP port, but in an ensemble the log exists only once
 * its replicas are discovered: the server starts with these forwarding hooks and the log's
 * transport is attached when ready (until then, peer upgrades are refused with 503).
 */
class PeerLinks {
  private hooks: ReturnType<ReplicatedLog["serverHooks"]> | null = null;

  attach(replicated: ReplicatedLog): void {
    this.hooks = replicated.serverHooks();
  }

  upgrade(request: Request, server: Bun.Server<PeerSocketData>): boolean | "not-ready" {
    if (new URL(request.url).pathname !== PEER_PATH) return false;
    return this.hooks === null ? "not-ready" : this.hooks.upgrade(request, server);
  }

  readonly websocket = {
    ...peerSocketLimits(MESSAGE_MAX_BYTES),
    open: (ws: Bun.ServerWebSocket<PeerSocketData>) => this.hooks?.websocket.open?.(ws),
    message: (ws: Bun.ServerWebSocket<PeerSocketData>, message: string | Buffer<ArrayBuffer>) => this.hooks?.websocket.message?.(ws, message),
    close: (ws: Bun.ServerWebSocket<PeerSocketData>, code: number, reason: string) => this.hooks?.websocket.close?.(ws, code, reason),
    drain: (ws: Bun.ServerWebSocket<PeerSocketData>) => this.hooks?.websocket.drain?.(ws),
  };
}

/**
 * One server for HTTP, peer log sockets and agent sockets. Bun has one websocket handler per
 * server, so sockets are told apart by their data: agent sockets carry `kind: "agent"`.
 */
function serve(hostname: string, port: number, app: ReturnType<typeof createApp>, peers: PeerLinks, agents: AgentChannel, master: Master) {
  const security = master.security;
  type Socket = Bun.ServerWebSocket<PeerSocketData>;
  const websocket = {
    ...peers.websocket,
    open: (ws: Socket) => (isAgentSocket(ws) ? agents.open(ws) : peers.websocket.open(ws)),
    message: (ws: Socket, message: string | Buffer<ArrayBuffer>) => (isAgentSocket(ws) ? agents.message(ws, message) : peers.websocket.message(ws, message)),
    close: (ws: Socket, code: number, reason: string) => (isAgentSocket(ws) ? agents.close(ws) : peers.websocket.close(ws, code, reason)),
    drain: (ws: Socket) => (isAgentSocket(ws) ? undefined : peers.websocket.drain(ws)),
  };
  try {
    return Bun.serve<PeerSocketData>({
      hostname,
      port,
      maxRequestBodySize: HTTP_BODY_BYTES_MAX,
      ...(security.tls === null ? {} : { tls: serverTls(security.tls) }),
      fetch: (request, srv) => {
        const agent = agents.upgrade(request, srv as Bun.Server<unknown>);
        if (agent === true) return undefined;
        if (agent !== false) return agent;
        const upgraded = peers.upgrade(request, srv);
        if (upgraded === true) return undefined;
        if (upgraded === "not-ready") return new Response("The replicated log is not started yet", { status: 503 });
        if (STREAMING_PATHS.has(new URL(request.url).pathname)) srv.timeout(request, 0);
        return preflight(master, request) ?? app.handle(request).then((response) => withCors(master, request, response));
      },
      websocket: websocket as never,
    });
  } catch (error) {
    exitFatal(`Failed to bind on ${hostname}:${port}: ${(error as Error).message}`);
  }
}

/** The local replica (standalone: quorum 1, this replica alone), or none for in_memory. */
function openLog(flags: MasterFlags, self: string, master: Master): ReplicatedLog | null {
  if (flags.registry !== "replicated_log" || flags.work_dir === undefined) return null;
  const replicated = new ReplicatedLog({
    path: join(flags.work_dir, "replicated_log"), self, replicas: [self], quorum: 1,
    auto_initialize: flags.log_auto_initialize, cluster: clusterName({ masters: [self] }), metrics: master.metrics, fatal: exitFatal,
    secret: master.security.log_secret, tls: master.security.tls,
    onLearned: (entry) => master.registrar.learned(entry),
  });
  replicated.start();
  return replicated;
}

function exitFatal(message: string): never {
  log.error(`EXIT with status 1: ${message}`);
  process.exit(1);
}

function loadFlags(argv: readonly string[]): MasterFlags {
  return loadFlagsOrExit("mesos-master", MASTER_FLAGS, () => parseMasterFlags(argv, process.env)) as MasterFlags;
}

function prepareWorkDir(flags: MasterFlags): void {
  if (flags.registry !== "replicated_log" || flags.work_dir === undefined) return;
  ensureDirectoryOrExit(join(flags.work_dir, "replicated_log"), "work_dir", flags.work_dir);
}
