// Replica discovery through ZooKeeper, as Mesos's log network does (mesos-spec §2.1, §3.1):
// each replica joins the group with an unlabelled ephemeral sequential member holding
// "log-replica(1)@ip:port", joins again whenever that membership is lost (a session expiry),
// and the replica set is read once 2*quorum-1 members (this one among them) are there.
import { logger } from "../logging.ts";
import type { Group } from "../zk/group.ts";

const log = logger("discovery.ts");
const POLL_MS = 100;

export function replicaData(self: string): string {
  return `log-replica(1)@${self}`;
}

/** Joins the group and keeps the membership, rejoining after a loss, until the group closes. */
export async function stayJoined(group: Group, self: string): Promise<void> {
  const { cancelled } = await group.join(Buffer.from(replicaData(self)));
  void cancelled.then((withdrawn) => {
    if (withdrawn || group.state === "failed") return;
    log.warning("Lost the log replica membership in ZooKeeper; joining again");
    stayJoined(group, self).catch((error) => log.error(`Failed to rejoin the log replica group: ${(error as Error).message}`));
  });
}

/** The sorted "ip:port" of the group's replicas, once 2*quorum-1 are there including `self`. */
export async function awaitReplicas(group: Group, self: string, quorum: number): Promise<string[]> {
  const needed = 2 * quorum - 1;
  log.info(`Waiting for ${needed} log replicas in ZooKeeper group ${group.path}`);
  for (;;) {
    const members = group.memberships();
    if (members.length >= needed) {
      const data = await Promise.all(members.map((m) => group.data(m)));
      const replicas = [...new Set(data.flatMap((d) => (d === null ? [] : [d.toString().replace(/^[^@]*@/, "")])))];
      if (replicas.length >= needed && replicas.includes(self)) return replicas.sort();
    }
    await Bun.sleep(POLL_MS);
  }
}
