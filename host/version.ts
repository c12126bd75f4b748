// What /version, /state and MasterInfo report. MESOS_VERSION is the Apache Mesos release whose
// behaviour and APIs we follow, so Mesos tooling that checks versions keeps working;
// PRODUCT_VERSION is this project's own release.
declare const BUILD_INFO: string | undefined;

export const MESOS_VERSION = "1.12.0";
export const PRODUCT_VERSION = "0.1.0";

export interface BuildInfo {
  build_date: string;
  build_time: number;
  build_user: string;
  git_sha?: string;
  git_branch?: string;
}

/** Build facts stamped by scripts/build.ts; a source run (tests) reports the process start. */
export function buildInfo(): BuildInfo {
  if (typeof BUILD_INFO === "string") return JSON.parse(BUILD_INFO) as BuildInfo;
  const now = new Date();
  return {
    build_date: now.toISOString().slice(0, 19).replace("T", " "),
    build_time: Math.floor(now.getTime() / 1000),
    build_user: process.env.USER ?? "unknown",
  };
}

/** The /version body (Mesos's field set; git fields only when known). */
export function versionJson(): Record<string, string | number> {
  const build = buildInfo();
  const body: Record<string, string | number> = {
    version: MESOS_VERSION,
    build_date: build.build_date,
    build_time: build.build_time,
    build_user: build.build_user,
  };
  if (build.git_sha) body.git_sha = build.git_sha;
  if (build.git_branch) body.git_branch = build.git_branch;
  return body;
}
