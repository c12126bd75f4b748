// The mesos-master personality: parse and validate flags (exit 1 with one line on any error),
// open the local log replica under <work_dir>/replicated_log, bind the HTTP port (exit 1 naming
// the address when taken; peer log links ride on it), elect itself when standalone, recover
// the log and become its writer, and stop cleanly with status 0 on SIGTERM or SIGINT (the
// log's store is checkpointed and closed).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { createApp } from "../../http/app.ts";
import { coreModule } from "../core.ts";
import { clusterName } from "../net/cluster.ts";
import { ReplicatedLog } from "../log/replicated_log.ts";
import { FlagError, helpText } from "../flags.ts";
import { logger, setLoggingLevel } from "../logging.ts";
import { MESOS_VERSION } from "../version.ts";
import { resolveMasterAddress } from "./address.ts";
import { MASTER_FLAGS, type MasterFlags, parseMasterFlags } from "./flags.ts";
import { makeMasterInfo } from "./info.ts";
import { Master } from "./master.ts";

const log = logger("main.ts");

export async function masterMain(argv: readonly string[]): Promise<void> {
  const flags = loadFlags(argv);
  setLoggingLevel(flags.logging_level);
  if (flags.zk !== undefined) {
    log.error("EXIT with status 1: --zk (high availability through ZooKeeper) is not available in this build yet; run without --zk for a standalone master");
    process.exit(1);
  }
  prepareWorkDir(flags);
  coreModule(); // compiles the embedded WASM core and checks it imports nothing but env.abort
  const address = await resolveMasterAddress(flags);
  const info = makeMasterInfo(address.ip, address.port, address.hostname, flags.domain);
  const master = new Master({ flags, info });
  const app = createApp(master);
  const replicated = openLog(flags, `${address.ip}:${address.port}`, master);
  const hooks = replicated?.serverHooks();
  let server: ReturnType<typeof Bun.serve>;
  try {
    server = Bun.serve({
      hostname: address.bind_ip,
      port: address.bind_port,
      fetch: (request, srv) => (hooks?.upgrade(request, srv as never) ? undefined : app.handle(request)),
      websocket: hooks?.websocket as never,
    });
  } catch (error) {
    log.error(`EXIT with status 1: Failed to bind on ${address.bind_ip}:${address.bind_port}: ${(error as Error).message}`);
    process.exit(1);
  }
  log.info(`Master ${info.id} (${info.hostname}) started on ${address.ip}:${address.port}`);
  log.info(`Flags at startup: ${Object.entries(master.flagsJson()).map(([k, v]) => `--${k}="${v}"`).join(" ")}`);
  stopOnSignals(async () => {
    replicated?.close();
    await server.stop(true);
  });
  // Standalone: the contender elects this master at once (Mesos StandaloneMasterContender).
  master.detected(master.info);
  if (replicated) await becomeWriter(replicated, flags);
}

/** The local replica (standalone: quorum 1, this replica alone), or none for in_memory. */
function openLog(flags: MasterFlags, self: string, master: Master): ReplicatedLog | null {
  if (flags.registry !== "replicated_log" || flags.work_dir === undefined) return null;
  const replicated = new ReplicatedLog({
    path: join(flags.work_dir, "replicated_log"), self, replicas: [self], quorum: 1,
    auto_initialize: flags.log_auto_initialize, cluster: clusterName({ masters: [self] }), metrics: master.metrics, fatal: exitFatal,
  });
  replicated.start();
  return replicated;
}

/** Recovers the log and elects this master's coordinator within --registry_fetch_timeout. */
async function becomeWriter(replicated: ReplicatedLog, flags: MasterFlags): Promise<void> {
  if (!(await replicated.recovered(flags.registry_fetch_timeout))) exitFatal("The replicated log did not recover within --registry_fetch_timeout");
  const elected = await replicated.elect(flags.registry_fetch_timeout);
  if (elected === null) exitFatal("Failed to elect the log's writer within --registry_fetch_timeout");
  log.info(`Recovered the replicated log; this master writes from position ${elected.position + 1}`);
}

function exitFatal(message: string): never {
  log.error(`EXIT with status 1: ${message}`);
  process.exit(1);
}

function loadFlags(argv: readonly string[]): MasterFlags {
  try {
    const result = parseMasterFlags(argv, process.env);
    if (result.kind === "help") {
      console.log(helpText("mesos-master", MASTER_FLAGS));
      process.exit(0);
    }
    if (result.kind === "version") {
      console.log(`mesos ${MESOS_VERSION}`);
      process.exit(0);
    }
    return result.values;
  } catch (error) {
    if (!(error instanceof FlagError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}

function prepareWorkDir(flags: MasterFlags): void {
  if (flags.registry !== "replicated_log" || flags.work_dir === undefined) return;
  try {
    mkdirSync(join(flags.work_dir, "replicated_log"), { recursive: true });
  } catch (error) {
    process.stderr.write(`Flag 'work_dir': expected a directory this process can create and write, got '${flags.work_dir}' (${(error as Error).message})\n`);
    process.exit(1);
  }
}

function stopOnSignals(stop: () => Promise<void> | void): void {
  let stopping = false;
  const handler = (signal: string) => async () => {
    if (stopping) return;
    stopping = true;
    log.info(`Received ${signal}; shutting down`);
    await stop();
    process.exit(0);
  };
  process.on("SIGTERM", handler("SIGTERM"));
  process.on("SIGINT", handler("SIGINT"));
}
