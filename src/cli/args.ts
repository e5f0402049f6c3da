import { parseArgs, type ParseArgsConfig } from "node:util";

/** A command line the CLI cannot understand; `main` prints it with the usage hint and exits with 2. */
export class UsageError extends Error {
  readonly code = "RUNTRAIL_USAGE";
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** A parsed command line: option values by name, then the positionals. */
export interface ParsedCommand {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/**
 * `util.parseArgs` in strict mode, with at most `maxPositionals` positionals; every parse
 * failure becomes a {@link UsageError} naming the command.
 */
export function parseCommand(command: string, argv: string[], options: Options, maxPositionals: number): ParsedCommand {
  let parsed: ParsedCommand;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true }) as ParsedCommand;
  } catch (err) {
    throw new UsageError(`${command}: ${(err as Error).message.split("\n")[0]}`);
  }
  if (parsed.positionals.length > maxPositionals) {
    throw new UsageError(`${command}: unexpected argument ${JSON.stringify(parsed.positionals[maxPositionals])}`);
  }
  return parsed;
}

/** The runs root used when none is given: env `POLYAXON_OFFLINE_ROOT`, else `./plx` (as `init()` does). */
export function defaultRoot(): string {
  return process.env.POLYAXON_OFFLINE_ROOT || "./plx";
}
