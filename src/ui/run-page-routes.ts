import { lstat, readdir, readFile, realpath, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { lastRows } from "../core/read/tail.js";
import { HttpError, checkName, type RootJail } from "./paths.js";

/** The event kinds the run page reads through `GET /api/runs/:run/events/:kind/:name`. */
export const RUN_PAGE_EVENT_KINDS = ["text", "html", "chart", "histogram"] as const;

/** Rows of one stream sent to the page: the newest ones (a step slider walks them). */
const EVENT_ROWS = 200;
/** `outputs/env.json` is a few KB; anything far bigger is not what `logEnv` wrote. */
const MAX_ENV_BYTES = 1024 * 1024;

/** `GET /api/runs/:run/events/:kind/:name`: the last rows of a text, HTML, chart or histogram stream. */
export async function eventRowsReply(jail: RootJail, runDir: string, rawKind: string, rawName: string): Promise<Array<{ step: number | null; timestamp: string; value: unknown }>> {
  if (!(RUN_PAGE_EVENT_KINDS as readonly string[]).includes(rawKind)) throw new HttpError(400, `kind must be one of ${RUN_PAGE_EVENT_KINDS.join(", ")}`);
  const name = checkName(rawName, "stream name");
  jail.eventFile(runDir, rawKind, name);
  return lastRows(runDir, rawKind, name, EVENT_ROWS);
}

/** `GET /api/runs/:run/env`: the run's `outputs/env.json` (`null` when the run has none). */
export async function envReply(jail: RootJail, runDir: string): Promise<unknown> {
  let file: string;
  try {
    file = jail.fileInRun(runDir, ["outputs", "env.json"], ["outputs"]);
  } catch (err) {
    if (err instanceof HttpError && err.status === 404) return null;
    throw err;
  }
  const st = await stat(file);
  if (!st.isFile()) throw new HttpError(422, "outputs/env.json is not a regular file");
  if (st.size > MAX_ENV_BYTES) throw new HttpError(422, "outputs/env.json is larger than 1 MB");
  try {
    return JSON.parse(await readFile(file, "utf8")) as unknown;
  } catch {
    throw new HttpError(422, "outputs/env.json is not valid JSON");
  }
}

/** Folders whose files the live run page watches, run-relative. */
const WATCHED_DIRS = ["events", "resources/metric"] as const;
const WATCHED_FILES = ["plxlogs/logs.jsonl", "run.plx.json", "lineages.plx.json"] as const;

/**
 * `GET /api/runs/:run/changes`: `{ "<run-relative path>": "<size>:<mtimeMs>" }` for every file the
 * run page draws. The page polls it and re-asks only for the streams whose stamp changed; it
 * costs one `lstat` per file and reads no file content. Symlinks are not stamped, and a folder
 * whose real path leaves the run is not listed (nothing outside the run is even stat-ed).
 */
export async function changesReply(runDir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const stamp = async (rel: string): Promise<void> => {
    try {
      const st = await lstat(join(runDir, rel));
      if (st.isFile()) out[rel] = `${st.size}:${Math.trunc(st.mtimeMs)}`;
    } catch {
      // gone or not yet written: absent from the answer
    }
  };
  const listDir = async (rel: string): Promise<string[]> => {
    try {
      const inRun = relative(runDir, await realpath(join(runDir, rel)));
      if (inRun.startsWith("..") || inRun.startsWith(sep) || inRun === "") return [];
      return (await readdir(join(runDir, rel), { withFileTypes: true })).filter((d) => d.isDirectory() || d.isFile()).map((d) => d.name);
    } catch {
      return [];
    }
  };
  const jobs: Array<Promise<void>> = WATCHED_FILES.map((f) => stamp(f));
  for (const kind of await listDir(WATCHED_DIRS[0])) {
    for (const f of await listDir(`events/${kind}`)) if (f.endsWith(".plx")) jobs.push(stamp(`events/${kind}/${f}`));
  }
  for (const f of await listDir(WATCHED_DIRS[1])) if (f.endsWith(".plx")) jobs.push(stamp(`resources/metric/${f}`));
  await Promise.all(jobs);
  return out;
}
