#!/usr/bin/env node
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { VERSION } from "../version.js";
import { UsageError } from "./args.js";
import { LS_USAGE, runLs } from "./ls.js";
import { SHOW_USAGE, runShow } from "./show.js";

/** Exit codes of the `runtrail` command. */
export const ExitCode = { ok: 0, error: 1, usage: 2 } as const;

const HELP = `runtrail <command> [options]

Track machine-learning runs in Polyaxon's format, and look at them.

Commands:
  demo                              train a small tfjs model with tracking and checkpoints
  ls [root] [-q QUERY] [-s SORT]    list and query the runs under root (default $POLYAXON_OFFLINE_ROOT or ./plx)
  show <run>                        status, metrics, model versions and lineage of one run
  logs <run> [--follow]             the stdout/stderr lines a run captured
  ui [root] [--port N] [--host H]   serve the local dashboard on http://127.0.0.1:5577/
  report <run> -o report.html       write a self-contained HTML report of one run
  sync ...                          sync runs to S3-compatible object storage

Options:
  -h, --help      show this help (or a command's: runtrail <command> --help)
  -v, --version   print the version

Environment:
  POLYAXON_OFFLINE_ROOT   default runs root (else ./plx)
  RUNTRAIL_DEBUG=1        print stack traces on errors`;

/** Loaded on demand, so `runtrail ls` never loads the dashboard (and `demo` alone loads tfjs). */
interface Command {
  usage: () => Promise<string>;
  run: (argv: string[]) => Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  demo: {
    usage: async () => (await import("./demo.js")).DEMO_USAGE,
    run: async (argv) => (await import("./demo.js")).runDemo(argv),
  },
  ls: { usage: async () => LS_USAGE, run: (argv) => runLs(argv) },
  show: { usage: async () => SHOW_USAGE, run: (argv) => runShow(argv) },
  logs: { usage: async () => (await import("./logs.js")).LOGS_USAGE, run: async (argv) => (await import("./logs.js")).runLogs(argv) },
  ui: {
    usage: async () => (await import("./ui.js")).UI_USAGE,
    run: async (argv) => (await import("./ui.js")).runUi(argv),
  },
  report: {
    usage: async () => (await import("./report.js")).REPORT_USAGE,
    run: async (argv) => (await import("./report.js")).runReport(argv),
  },
  sync: {
    // sync prints its own usage for --help (it owns its options).
    usage: async () => "",
    run: async (argv) => (await import("./sync.js")).runSyncCommand(argv),
  },
};

/** One line for the terminal: the message, with the usage hint for usage errors. */
function errorLine(err: unknown, command: string | undefined): string {
  const msg = (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, " ");
  if (err instanceof UsageError) return `runtrail: ${msg} (see \`runtrail ${command && command in COMMANDS ? `${command} ` : ""}--help\`)`;
  return `runtrail: ${msg}`;
}

/**
 * Runs the `runtrail` command line. Prints results on stdout and one-line errors on stderr
 * (with the stack when `RUNTRAIL_DEBUG=1`).
 *
 * @returns the exit code: 0 success, 1 error, 2 bad usage
 */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === "-h" || command === "--help" || command === "help") {
      console.log(HELP);
      return command === undefined ? ExitCode.usage : ExitCode.ok;
    }
    if (command === "-v" || command === "--version") {
      console.log(VERSION);
      return ExitCode.ok;
    }
    const cmd = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (!cmd) throw new UsageError(`unknown command ${JSON.stringify(command)}; commands are ${Object.keys(COMMANDS).join(", ")}`);
    if (command !== "sync" && (rest.includes("--help") || rest.includes("-h"))) {
      console.log(await cmd.usage());
      return ExitCode.ok;
    }
    return await cmd.run(rest);
  } catch (err) {
    console.error(errorLine(err, command));
    if (process.env.RUNTRAIL_DEBUG === "1") console.error(err);
    return err instanceof UsageError ? ExitCode.usage : ExitCode.error;
  }
}

function isEntryPoint(): boolean {
  const argv1 = process.argv[1];
  if (!argv1) return false;
  try {
    return realpathSync(argv1) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(errorLine(err, undefined));
      process.exitCode = ExitCode.error;
    },
  );
}
