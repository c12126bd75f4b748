// A master in a ZooKeeper ensemble (mesos-spec §2.3–2.5). The contender joins the group with
// this master's MasterInfo; a detector (its own session, as in Mesos) names the leader, which
// the HTTP layer uses for 307/503. The log's replicas are the --masters list when given (the
// whitelist Mesos lacks), else the members of <path>/log_replicas once 2*quorum-1 are there.
// Exits follow Mesos: a leader that loses its candidacy, sees another leader or sees none
// exits 1 with one line first; a standby whose candidacy ends contends again.
import { logger } from "../logging.ts";
import { awaitReplicas, stayJoined } from "../log/discovery.ts";
import { ReplicatedLog } from "../log/replicated_log.ts";
import { clusterName } from "../net/cluster.ts";
import { MasterContender } from "../zk/contender.ts";
import { MasterDetector } from "../zk/detector.ts";
import { Group } from "../zk/group.ts";
import { redactZkUrl, type ZkUrl } from "../zk/url.ts";
import type { MasterFlags } from "./flags.ts";
import type { Master } from "./master.ts";
import { recordMembership, removePredecessor } from "./predecessor.ts";

const log = logger("ha.ts");
const CATCHUP_INTERVAL_MS = 1000;

export interface HighAvailability {
  /** Resolves with the log once its replica set is known (discovery may wait for peers). */
  log: Promise<ReplicatedLog>;
  /** Whether both of this master's ZooKeeper sessions (contender, detector) are known alive now (Group.fresh). */
  fresh(): boolean;
  /** The contender's ZooKeeper session, as /log/status shows it. */
  zookeeper(): { state: string; session_timeout_ms: number; url: string };
  /** Withdraws the candidacy (a standby leads at once) and closes every session. */
  stop(): Promise<void>;
}

export function startHighAvailability(
  flags: MasterFlags,
  zk: ZkUrl,
  master: Master,
  self: string,
  fatal: (message: string) => never,
): HighAvailability {
  const session_timeout_ms = flags.zk_session_timeout;
  const contenderGroup = new Group({ url: zk, session_timeout_ms });
  const detectorGroup = new Group({ url: zk, session_timeout_ms });
  const replicaGroup = new Group({ url: { ...zk, path: `${zk.path === "/" ? "" : zk.path}/log_replicas` }, session_timeout_ms });
  // Flag validation makes --quorum and --work_dir required whenever the log is used.
  const quorum = flags.quorum ?? 1;
  const contender = new MasterContender(contenderGroup, master.info);
  const detector = new MasterDetector(detectorGroup);
  let replicated: ReplicatedLog | null = null;

  // --registry=in_memory (testing): an ensemble without a log; nothing to discover or write.
  const logReady: Promise<ReplicatedLog> = flags.registry !== "replicated_log" ? new Promise(() => {}) : discoverReplicas(flags, quorum, self, replicaGroup).then((replicas) => {
    replicated = new ReplicatedLog({
      path: `${flags.work_dir}/replicated_log`, self, replicas, quorum, auto_initialize: flags.log_auto_initialize,
      cluster: clusterName({ zk_path: zk.path }), metrics: master.metrics, fatal,
      secret: master.security.log_secret, tls: master.security.tls,
      onLearned: (entry) => master.registrar.learned(entry), // the registrar follows the log as a hot standby
    });
    replicated.start();
    replicated.keepCaughtUp(CATCHUP_INTERVAL_MS, () => !master.elected()); // the leader's election fills what it lacks
    return replicated;
  });

  detector.onChange((detection) => {
    if (detection.kind === "failed") fatal(`Master detector failed: ${detection.reason}`);
    // Becoming the leader recovers the registry, which makes this master the log's writer.
    master.detected(detection.kind === "leader" ? detection.info : null);
  });
  detector.start();

  const contend = (): void => {
    contender.contend().then(
      (candidacy) => {
        log.info(`Joined the ZooKeeper group as ${candidacy.membership.path}`);
        recordMembership(flags.work_dir, candidacy.membership.path);
        void candidacy.ended.then((withdrawn) => {
          if (withdrawn) return;
          if (master.elected()) fatal("Lost candidacy as a leader (ZooKeeper session expired or znode removed); committing suicide");
          log.warning("Lost candidacy as a standby; contending again");
          contend();
        });
      },
      (error) => fatal(`Failed to contend for leadership: ${(error as Error).message}`),
    );
  };
  contenderGroup.start();
  void removePredecessor(contenderGroup, flags.work_dir).finally(contend);

  return {
    log: logReady,
    zookeeper: () => ({ state: contenderGroup.state, session_timeout_ms, url: redactZkUrl(zk.text) }),
    fresh: () => contenderGroup.fresh() && detectorGroup.fresh(),
    async stop() {
      await withTimeout(contender.withdraw(), 2000);
      replicated?.close();
      contenderGroup.close();
      detectorGroup.close();
      replicaGroup.close();
    },
  };
}

/** The log's replica set: the --masters whitelist, or the <path>/log_replicas group. */
async function discoverReplicas(flags: MasterFlags, quorum: number, self: string, group: Group): Promise<string[]> {
  await stayJoined(group, self);
  if (flags.masters !== undefined) return flags.masters.map((m) => `${m.host}:${m.port}`).sort();
  const replicas = await awaitReplicas(group, self, quorum);
  if (replicas.length > 2 * quorum - 1) {
    // Mesos's behaviour, kept without --masters; the risk is the operator's to see (MESOS-1546).
    log.warning(`${replicas.length} log replicas with --quorum=${quorum}: more than 2*quorum-1 = ${2 * quorum - 1}, so two disjoint quorums ` +
      "can each elect a writer and the log can diverge (MESOS-1546); list the masters with --masters to refuse this");
  }
  return replicas;
}

async function withTimeout(work: Promise<unknown>, timeout_ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([work.catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, timeout_ms)))]);
  clearTimeout(timer);
}
