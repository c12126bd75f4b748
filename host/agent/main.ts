// The mesos-agent personality: parse and validate flags (exit 1 with one line on any error),
// prepare the work dir, settle its resources (given, else detected) and address, recover its
// id from <work_dir>/meta/slave.json, bind its HTTP port (exit 1 naming the address when
// taken), then follow the leading master (host/agent/agent.ts) until SIGTERM/SIGINT (exit 0)
// or a SHUTDOWN from the leader (exit 0 after killing its tasks, the work dir left as it is).
// Tasks (tasks/tasks.ts) are recovered from the work dir's checkpoints before registering; on
// SIGTERM/SIGINT they keep running, as Mesos's checkpointed executors do, for the next start.
// Security (security.ts) is loaded with the flags: --credential for the master's challenge,
// --http_credentials for its own port, LIBPROCESS_SSL_* for TLS on both; a bad file exits 1.
import { ensureDirectoryOrExit, loadFlagsOrExit, orExit, stopOnSignals } from "../cli.ts";
import { renderFlags } from "../flags.ts";
import { describeTls } from "../security/tls.ts";
import { logger, setLoggingLevel } from "../logging.ts";
import type { SlaveInfo } from "../registry/types.ts";
import { resolveAdvertised } from "../net/advertise.ts";
import { Agent } from "./agent.ts";
import { webSocketChannels } from "./channel.ts";
import { AGENT_FLAGS, type AgentFlags, parseAgentFlags } from "./flags.ts";
import { serveAgentHttp } from "./http.ts";
import { leaderSource } from "./leader.ts";
import { loadAgentSecurity } from "./security.ts";
import { AgentTasks } from "./tasks/tasks.ts";
import { type Attribute, detectResources, mergeResources, type Resource } from "./resources.ts";
import { metaPath, readSlaveMeta, type SlaveMeta, slaveInfoChanges, writeSlaveMeta } from "./state_dir.ts";

const log = logger("main.ts");

export async function agentMain(argv: readonly string[]): Promise<void> {
  const flags = loadFlags(argv);
  const security = orExit(() => loadAgentSecurity(flags, process.env)); // one line naming the flag and exit 1
  setLoggingLevel(flags.logging_level);
  ensureDirectoryOrExit(flags.work_dir, "work_dir");
  const resources = settleResources(flags);
  const address = await resolveAdvertised(flags, "this agent");
  const pid = `slave(1)@${address.ip}:${address.port}`;
  const info = {
    hostname: address.hostname, port: address.port, resources, attributes: flags.attributes ?? ([] as Attribute[]), checkpoint: true,
  };
  const recovered = recoverMeta(flags.work_dir, info);
  let agent: Agent | null = null;
  const tasks = new AgentTasks({
    work_dir: flags.work_dir, agent_id: () => agent?.id ?? null, send: (update) => agent?.sendUpdate(update) ?? false, checkpoints: "journal",
  });
  if (recovered !== null) tasks.recover(recovered.id);
  agent = new Agent({
    info, pid, recovered, registration_backoff_factor_ms: flags.registration_backoff_factor,
    channel: webSocketChannels(security.tls), persist: (meta) => writeSlaveMeta(flags.work_dir, meta),
    exit: (status) => process.exit(status), tasks, credential: security.credential,
  });
  const server = serve(address.bind_ip, address.port, { agent, tasks, flags, info, pid, start_time_s: Date.now() / 1000, security });
  log.info(`Agent ${pid} (${info.hostname}) started${recovered ? `; recovered agent ID ${recovered.id}` : ""}`);
  log.info(`Flags at startup: ${Object.entries(renderFlags(AGENT_FLAGS, flags)).map(([k, v]) => `--${k}="${v}"`).join(" ")}`);
  log.info(describeTls(security.tls));
  log.info(security.credential === null ? "No credential (--credential): registering without authentication"
    : `Authenticating with the master as principal ${JSON.stringify(security.credential.principal)}`);
  for (const warning of security.warnings) log.warning(warning);
  const leaders = leaderSource(flags.master, flags.zk_session_timeout);
  leaders.start((leader) => agent.detected(leader), (reason) => exitFatal(`Failed to detect a master: ${reason}`));
  stopOnSignals(log, async () => {
    agent.stop();
    tasks.stop();
    leaders.stop();
    await server.stop(true);
  });
}

/** Given resources override detected ones of the same name; detection failing is fatal. */
function settleResources(flags: AgentFlags): Resource[] {
  try {
    return mergeResources(flags.resources ?? [], () => detectResources(flags.work_dir));
  } catch (error) {
    exitFatal(`Failed to detect the agent's resources: ${(error as Error).message}`);
  }
}

/** The checkpointed identity, checked against this start's SlaveInfo (Mesos's "equal" policy). */
function recoverMeta(work_dir: string, info: Omit<SlaveInfo, "id">): SlaveMeta | null {
  let meta: SlaveMeta | null;
  try {
    meta = readSlaveMeta(work_dir);
  } catch (error) {
    exitFatal(`Failed to recover the agent: ${(error as Error).message}; to start as a new agent, remove ${metaPath(work_dir)}`);
  }
  if (meta === null) return null;
  const changed = slaveInfoChanges(meta.info, info);
  if (changed.length > 0) {
    exitFatal(`Incompatible agent info detected (${changed.join(", ")} changed since agent ${meta.id} registered); ` +
      `to start as a new agent, remove ${metaPath(work_dir)}`);
  }
  return meta;
}

function serve(bind_ip: string, port: number, context: Parameters<typeof serveAgentHttp>[2]) {
  try {
    return serveAgentHttp(bind_ip, port, context);
  } catch (error) {
    exitFatal(`Failed to bind on ${bind_ip}:${port}: ${(error as Error).message}`);
  }
}

function exitFatal(message: string): never {
  log.error(`EXIT with status 1: ${message}`);
  process.exit(1);
}


function loadFlags(argv: readonly string[]): AgentFlags {
  return loadFlagsOrExit("mesos-agent", AGENT_FLAGS, () => parseAgentFlags(argv, process.env)) as AgentFlags;
}
