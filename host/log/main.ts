// The mesos-log personality: `mesos-log <command> [--flags]`, `mesos-log help [command]`.
// Exit 1 on any error (one line naming what was wrong), 0 on success.
import { FlagError, helpText, parseFlags } from "../flags.ts";
import { LOG_COMMANDS } from "./flags.ts";
import { initialize, readLog } from "./local.ts";
import { fail, runBenchmark, runReplica } from "./run.ts";

type Command = keyof typeof LOG_COMMANDS;

function usage(): string {
  const lines = ["Usage: mesos-log <command> [flags]", "", "Commands:"];
  for (const [name, command] of Object.entries(LOG_COMMANDS)) lines.push(`  ${name.padEnd(11)} ${command.summary}`);
  lines.push("", "Run `mesos-log help <command>` for its flags.");
  return lines.join("\n");
}

export async function logMain(argv: readonly string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "help") {
    const topic = rest[0];
    if (topic !== undefined && topic in LOG_COMMANDS) console.log(helpText(`mesos-log ${topic}`, LOG_COMMANDS[topic as Command].flags));
    else console.log(usage());
    process.exit(name === undefined ? 1 : 0);
  }
  if (!(name in LOG_COMMANDS)) fail(`Unknown command '${name}': expected one of ${Object.keys(LOG_COMMANDS).join(", ")}`);
  const command = name as Command;
  try {
    await run(command, rest);
  } catch (error) {
    if (error instanceof FlagError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    fail((error as Error).message);
  }
}

async function run(command: Command, argv: readonly string[]): Promise<void> {
  const parsed = parseFlags(LOG_COMMANDS[command].flags, argv, {});
  if (parsed.kind !== "flags") {
    console.log(helpText(`mesos-log ${command}`, LOG_COMMANDS[command].flags));
    process.exit(0);
  }
  const flags = parsed.values as Record<string, unknown>;
  if (flags.path === undefined) throw new FlagError("Flag 'path' is required: expected --path=DIR");
  if (command === "initialize") {
    console.log(initialize(flags.path as string));
    process.exit(0);
  }
  if (command === "read") {
    const blocks = readLog(flags.path as string, flags.from as number | undefined, flags.to as number | undefined);
    for (const block of blocks) console.log(`${block}\n${"-".repeat(40)}`);
    process.exit(0);
  }
  const withExplicit = { ...parsed.values, explicit: parsed.explicit };
  if (command === "replica") return runReplica(withExplicit as never);
  return runBenchmark(withExplicit as never);
}
