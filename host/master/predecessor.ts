// A master restarted on the same work dir removes the group membership its previous process
// left in ZooKeeper. That process is gone (one master per work dir), but ZooKeeper keeps an
// ephemeral znode until its session expires — after a ZooKeeper restart, a full session
// timeout from then — and while the dead leader's znode ranks lowest, no one is elected and
// agents follow a master that is not there. Removing it is what the expiry would do, sooner.
// (Were the old process somehow alive, losing its znode makes it exit, as Mesos's masters do.)
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { logger } from "../logging.ts";
import type { Group } from "../zk/group.ts";

const log = logger("predecessor.ts");
const FILE = "zk_membership";

/** Removes the membership recorded in <work_dir>/zk_membership, if it is one of `group`'s and still there. */
export async function removePredecessor(group: Group, work_dir: string | undefined): Promise<void> {
  if (work_dir === undefined) return;
  const file = join(work_dir, FILE);
  if (!existsSync(file)) return;
  const path = readFileSync(file, "utf8").trim();
  // Only a direct child of our group: the file is data, never a licence to delete elsewhere.
  const prefix = group.path === "/" ? "/" : `${group.path}/`;
  if (!path.startsWith(prefix) || path.slice(prefix.length).includes("/")) {
    log.warning(`Ignoring ${file}: '${path}' is not a member of ${group.path}`);
    return;
  }
  try {
    if (await group.remove(path)) log.info(`Removed ${path}, the group membership of this master's previous process, which is gone`);
  } catch (error) {
    log.warning(`Could not remove the previous process's membership ${path}: ${(error as Error).message}; it ends when its session expires`);
  }
}

/** Records this process's membership, written whole (rename) so a crash leaves the old or the new. */
export function recordMembership(work_dir: string | undefined, path: string): void {
  if (work_dir === undefined) return;
  const file = join(work_dir, FILE);
  writeFileSync(`${file}.tmp`, `${path}\n`);
  renameSync(`${file}.tmp`, file);
}
