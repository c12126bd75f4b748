// The mesos-master personality: parse and validate flags (exit 1 with one line on any error),
// bind the HTTP port (exit 1 naming the address when taken), elect itself when standalone,
// and stop cleanly with status 0 on SIGTERM or SIGINT.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { createApp } from "../../http/app.ts";
import { coreModule } from "../core.ts";
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
  let server: ReturnType<typeof Bun.serve>;
  try {
    server = Bun.serve({ hostname: address.bind_ip, port: address.bind_port, fetch: (request) => app.handle(request) });
  } catch (error) {
    log.error(`EXIT with status 1: Failed to bind on ${address.bind_ip}:${address.bind_port}: ${(error as Error).message}`);
    process.exit(1);
  }
  log.info(`Master ${info.id} (${info.hostname}) started on ${address.ip}:${address.port}`);
  log.info(`Flags at startup: ${Object.entries(master.flagsJson()).map(([k, v]) => `--${k}="${v}"`).join(" ")}`);
  stopOnSignals(() => server.stop(true));
  // Standalone: the contender elects this master at once (Mesos StandaloneMasterContender).
  master.detected(master.info);
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
