// parse() and failure() over one flag parser (the master's or the agent's) for the flag tests:
// parse() gives the values of argv accepted on top of a base, failure() the one-line FlagError.
import { expect } from "bun:test";
import { FlagError, type FlagSpecs, type ParseResult } from "../../host/flags.ts";

type Env = Record<string, string>;

export function flagParser<F>(parseFlags: (argv: readonly string[], env: Env) => ParseResult<FlagSpecs>, BASE: readonly string[]) {
  function parse(argv: string[], env: Env = {}, base = BASE): F {
    const result = parseFlags([...base, ...argv], env);
    if (result.kind !== "flags") throw new Error(`unexpected ${result.kind}`);
    return result.values as F;
  }

  function failure(argv: string[], env: Env = {}, base = BASE): string {
    try {
      parseFlags([...base, ...argv], env);
    } catch (error) {
      expect(error).toBeInstanceOf(FlagError);
      const message = (error as Error).message;
      expect(message).not.toContain("\n");
      return message;
    }
    throw new Error(`flags ${argv.join(" ")} were accepted`);
  }

  return { parse, failure };
}
