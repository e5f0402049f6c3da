import { existsSync, readFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { parseLogs, type LogLine } from "../core/context/read.js";
import { LOGS_REL_PATH } from "../core/context/log-capture.js";
import { RunLayout } from "../core/paths.js";
import { UsageError, defaultRoot, parseCommand } from "./args.js";
import { resolveRun } from "./resolve.js";

export const LOGS_USAGE = `runtrail logs <run> [--follow] [--grep TEXT] [--tail N] [--timestamps] [--root <folder>]

Print the stdout and stderr lines a run captured (plxlogs/logs.jsonl), oldest first.
<run> is a run folder, or a uuid prefix or run name under the runs root.

  --follow, -f     keep printing new lines while the run is running (ends when the run ends)
  --grep TEXT      only lines that contain TEXT (case-sensitive)
  --tail N         only the last N lines (with --follow: then every new one)
  --timestamps     prefix each line with its UTC time
  --root <folder>  where to look for <run> (default: $POLYAXON_OFFLINE_ROOT or ./plx)`;

const FINISHED = new Set(["succeeded", "failed", "stopped"]);

function runStatus(runDir: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(runDir, RunLayout.runMeta), "utf8")) as { status?: string }).status;
  } catch {
    return undefined; // being rewritten (atomically) right now: ask again on the next poll
  }
}

/** Reads new records from `offset`; a last record not yet complete is left for the next read. */
async function readFrom(path: string, offset: number): Promise<{ lines: LogLine[]; offset: number }> {
  if (!existsSync(path)) return { lines: [], offset };
  const fh = await open(path, "r");
  try {
    const { size } = await fh.stat();
    if (size <= offset) return { lines: [], offset: size < offset ? 0 : offset };
    const buf = Buffer.alloc(size - offset);
    await fh.read(buf, 0, buf.length, offset);
    const text = buf.toString("utf8");
    const { lines, cutTail } = parseLogs(text, path);
    // A record is complete once it parses (a JSON object cut short never does).
    const consumed = cutTail ? Buffer.byteLength(text.slice(0, text.lastIndexOf("\n") + 1), "utf8") : buf.length;
    return { lines, offset: offset + consumed };
  } finally {
    await fh.close();
  }
}

/** `runtrail logs <run>`. Returns the exit code. */
export async function runLogs(argv: string[], out: (s: string) => void = console.log, pollMs = 500): Promise<number> {
  const { values, positionals } = parseCommand(
    "logs",
    argv,
    { root: { type: "string" }, follow: { type: "boolean", short: "f" }, grep: { type: "string" }, tail: { type: "string" }, timestamps: { type: "boolean" } },
    1,
  );
  const arg = positionals[0];
  if (!arg) throw new UsageError("logs: which run? usage: runtrail logs <run>");
  let tail: number | undefined;
  if (values.tail !== undefined) {
    tail = Number(values.tail);
    if (!Number.isSafeInteger(tail) || tail < 0) throw new UsageError(`logs: --tail takes a whole number ≥ 0, got ${JSON.stringify(values.tail)}`);
  }
  const grep = values.grep as string | undefined;
  const { runDir } = await resolveRun(arg, (values.root as string | undefined) ?? defaultRoot());
  const path = join(runDir, LOGS_REL_PATH);
  const show = (l: LogLine): string => (values.timestamps ? `${l.timestamp.toISOString()}  ${l.value}` : l.value);
  const keep = (l: LogLine): boolean => grep === undefined || l.value.includes(grep);

  let { lines, offset } = await readFrom(path, 0);
  lines = lines.filter(keep);
  if (tail !== undefined) lines = tail === 0 ? [] : lines.slice(-tail);
  if (!values.follow && lines.length === 0 && !existsSync(path)) {
    out(`(no captured logs: ${runDir} has no ${LOGS_REL_PATH}; logs are captured for new runs with collectLogs on)`);
    return 0;
  }
  for (const l of lines) out(show(l));
  if (!values.follow) return 0;
  for (;;) {
    const finished = FINISHED.has(runStatus(runDir) ?? "");
    const next = await readFrom(path, offset);
    offset = next.offset;
    for (const l of next.lines) if (keep(l)) out(show(l));
    if (finished) return 0; // everything written before the run ended has now been read
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
