// Small file systems of the chaos run's own, so a disk can fill up under one master: when root,
// the run lives in a private mount namespace (main.ts re-executes itself under `unshare -m`,
// so nothing it mounts outlives it or is seen outside), and each master's work dir is an ext4
// file system on a loop device over a sparse image in the run's directory (a real file system:
// fsync means what it does on disk). The disk-full fault fills the rest of one with a file and
// deletes it on healing.
import { spawnSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, rmSync, statfsSync, writeSync } from "node:fs";
import { join } from "node:path";

const IMAGE_BYTES = 1024 * 1024 * 1024;
export const MOUNT_NAMESPACE_ENV = "MESOS_CHAOS_MOUNT_NAMESPACE";

function run(args: string[]): void {
  const result = spawnSync(args[0]!, args.slice(1), { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`${args.join(" ")}: ${(result.stderr || "failed").trim()}`);
}

/** Why the work dirs stay on the run's own disk, or null once each is a small file system of its own. */
export function mountWorkDirs(dir: string, work_dirs: string[]): string | null {
  if (process.getuid?.() !== 0) return "not root";
  if (process.env[MOUNT_NAMESPACE_ENV] !== "1") return "not in a mount namespace of the run's own";
  try {
    for (const [i, work_dir] of work_dirs.entries()) {
      const image = join(dir, `disk-${i + 1}.img`);
      run(["truncate", "-s", String(IMAGE_BYTES), image]);
      // -m 0: no blocks reserved for root, or a master running as root would never see it full.
      run(["mkfs.ext4", "-q", "-F", "-m", "0", image]);
      mkdirSync(work_dir, { recursive: true });
      run(["mount", "-o", "loop", image, work_dir]);
    }
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Fills the file system under `work_dir` to the last block; the heal function frees it. */
export function fillDisk(work_dir: string): { detail: string; heal: () => void } {
  const filler = join(work_dir, "disk-full.filler");
  const stats = statfsSync(work_dir);
  const free_bytes = Number(stats.bavail) * Number(stats.bsize);
  // fallocate takes the bulk at once; its extents need blocks too, so the last few MiB are
  // written until the file system says ENOSPC.
  run(["fallocate", "-l", String(Math.max(0, free_bytes - 8 * 2 ** 20)), filler]);
  const fd = openSync(`${filler}.tail`, "w");
  const chunk = Buffer.alloc(64 * 1024);
  let tail_bytes = 0;
  try {
    for (let i = 0; i < 1024; i++) tail_bytes += writeSync(fd, chunk);
  } catch {
    // full: what was asked for
  } finally {
    closeSync(fd);
  }
  return {
    detail: `${((free_bytes + tail_bytes) / 2 ** 20).toFixed(0)} MiB filled`,
    heal: () => {
      rmSync(filler, { force: true });
      rmSync(`${filler}.tail`, { force: true });
    },
  };
}

/** Unmounts what mountWorkDirs mounted (before the run's directory is removed). */
export function unmountWorkDirs(work_dirs: string[]): void {
  for (const work_dir of work_dirs) spawnSync("umount", [work_dir]);
}
