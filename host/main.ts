// One binary, three personalities: chosen by the invoked name (mesos-master, mesos-agent,
// mesos-log, as the build's links provide) or by the first argument (`mesos master ...`).
import { basename } from "node:path";
import { agentMain } from "./agent/main.ts";
import { logMain } from "./log/main.ts";
import { masterMain } from "./master/main.ts";
import { MESOS_VERSION, PRODUCT_VERSION } from "./version.ts";

const PERSONALITIES: Record<string, { summary: string; run?: (argv: readonly string[]) => Promise<void> }> = {
  master: { summary: "the Mesos master: leader election, replicated log, registry, HTTP API", run: masterMain },
  agent: { summary: "the Mesos agent: finds the leading master, registers, answers its health checks", run: agentMain },
  log: { summary: "the replicated log tool: initialize, read, replica, benchmark", run: logMain },
};

function usage(): string {
  const lines = [`Usage: mesos <personality> [flags]   (or invoke as mesos-<personality>)`, "", "Personalities:"];
  for (const [name, p] of Object.entries(PERSONALITIES)) lines.push(`  ${name.padEnd(8)} ${p.summary}`);
  lines.push("", "Run `mesos <personality> --help` for its flags.");
  return lines.join("\n");
}

async function main(): Promise<void> {
  const invoked = basename(process.argv0);
  let argv = process.argv.slice(2);
  let personality = invoked.startsWith("mesos-") ? invoked.slice("mesos-".length) : undefined;
  if (personality === undefined || !(personality in PERSONALITIES)) {
    const first = argv[0];
    if (first === undefined || first === "--help" || first === "-h" || first === "help") {
      console.log(usage());
      process.exit(first === undefined ? 1 : 0);
    }
    if (first === "--version") {
      console.log(`mesos ${MESOS_VERSION} (mesos-ha ${PRODUCT_VERSION})`);
      process.exit(0);
    }
    personality = first;
    argv = argv.slice(1);
  }
  const chosen = PERSONALITIES[personality];
  if (chosen === undefined) {
    process.stderr.write(`Unknown personality '${personality}': expected one of ${Object.keys(PERSONALITIES).join(", ")}\n`);
    process.exit(1);
  }
  if (chosen.run === undefined) {
    process.stderr.write(`mesos-${personality} is not available in this build yet\n`);
    process.exit(1);
  }
  await chosen.run(argv);
}

await main();
