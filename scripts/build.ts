// Builds the product: asc compiles core/ to build/core.wasm (release target, assertions
// kept), scripts/build_ui.ts makes the web UI's page build/ui/index.html, then `bun build
// --compile` makes dist/mesos with the WASM and the page embedded, plus the
// personality links dist/mesos-master, dist/mesos-agent and dist/mesos-log.
// `--core-only` stops after the WASM and the page (what the test suite needs before bun test).
import { $ } from "bun";
import { mkdirSync, rmSync, symlinkSync } from "node:fs";
import { userInfo } from "node:os";
import { buildUi } from "./build_ui.ts";

const root = new URL("..", import.meta.url).pathname;
process.chdir(root);
const coreOnly = process.argv.includes("--core-only");
// TEST ONLY: `--mutant=NAME` builds dist/mesos-mutant-NAME, a deliberately broken binary for the
// chaos suite's mutation test (see MESOS_MUTANT in host/), from the core already built.
const mutant = process.argv.find((a) => a.startsWith("--mutant="))?.slice("--mutant=".length);
if (mutant !== undefined) {
  if (!/^[a-z_]+$/.test(mutant)) throw new Error(`--mutant: expected a name such as ack_before_quorum, got '${mutant}'`);
  await $`bun build --compile --minify-syntax host/main.ts --outfile dist/mesos-mutant-${mutant} --define ${"MESOS_MUTANT=" + JSON.stringify(mutant)}`.quiet();
  console.log(`built dist/mesos-mutant-${mutant} (TEST ONLY: deliberately broken)`);
  process.exit(0);
}

await $`node_modules/.bin/asc core/index.ts --target release`;
await $`node_modules/.bin/asc core/index.ts --target debug`;
await buildUi(root.replace(/\/$/, "")); // the master's page; in-process tests of the HTTP app embed it too
if (coreOnly) process.exit(0);

const now = new Date();
const gitSha = (await $`git rev-parse HEAD`.nothrow().quiet()).stdout.toString().trim();
const gitBranch = (await $`git rev-parse --abbrev-ref HEAD`.nothrow().quiet()).stdout.toString().trim();
const build = {
  build_date: now.toISOString().slice(0, 19).replace("T", " "),
  build_time: Math.floor(now.getTime() / 1000),
  build_user: process.env.USER || process.env.LOGNAME || userInfo().username,
  git_sha: gitSha,
  git_branch: gitBranch,
};

mkdirSync("dist", { recursive: true });
await $`bun build --compile --minify-syntax --sourcemap host/main.ts --outfile dist/mesos --define ${"BUILD_INFO=" + JSON.stringify(JSON.stringify(build))} --define ${'MESOS_MUTANT=""'}`;
for (const personality of ["mesos-master", "mesos-agent", "mesos-log"]) {
  rmSync(`dist/${personality}`, { force: true });
  symlinkSync("mesos", `dist/${personality}`);
}
console.log("built dist/mesos (+ mesos-master, mesos-agent, mesos-log)");
