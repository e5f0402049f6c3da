import { stat } from "node:fs/promises";
import { extname } from "node:path";
import { ArtifactNotFoundError, CorruptRunError, InvalidQueryError, InvalidValueError, NotRegularFileError, PathEscapeError } from "../core/errors.js";
import { lastRows } from "../core/read/tail.js";
import { metricDirection, recordedDirections, type Direction } from "../core/read/direction.js";
import { readImageVersions, readRunLineage, readVersions, type StreamVersion, type VersionedStreamView } from "../core/read/versions.js";
import { HttpError, checkName, decodeSegment, type RootJail } from "./paths.js";
import { apiRunDetail, apiRuns } from "./runs.js";
import { DEFAULT_POINTS, MAX_POINTS, metricSeries } from "./series.js";
import type { ListRunsOptions } from "../core/read/list-runs.js";
import { STATIC_ROUTES, staticFile, type StaticRoute } from "./static-files.js";

/** The metric directions the run's lineage records; none when the lineage cannot be read (its metrics are still shown). */
function recordedDirectionsOf(runDir: string): Map<string, Direction> {
  try {
    return recordedDirections(readRunLineage(runDir));
  } catch (err) {
    if (err instanceof CorruptRunError || err instanceof NotRegularFileError) return new Map();
    throw err;
  }
}
import { logsReply, resourcesReply } from "./context-routes.js";
import { changesReply, envReply, eventRowsReply } from "./run-page-routes.js";

/** What a route answers: bytes in memory, or a file inside the runs root to stream. */
export type Reply =
  | { status: number; headers: Record<string, string>; body: Buffer | string }
  | { status: number; headers: Record<string, string>; file: string; size: number };

const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * The chart frame: an opaque origin (CSP `sandbox allow-scripts`, and the page's iframe has no
 * allow-same-origin), so a chart spec from a run file can reach neither the dashboard's DOM,
 * storage nor API. No 'unsafe-eval': Vega's expressions run through vega-interpreter.
 */
const FRAME_CSP = "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src data: blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox allow-scripts";

const IMAGE_TYPES: Record<string, string> = {
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".bmp": "image/bmp",
  ".svg": "image/svg+xml",
};

/** Folders of a run whose files the dashboard serves as bytes. */
const SERVED_TOPS = ["assets"] as const;

/** A stream's versions as the page gets them: run-relative paths only, never where the server keeps them. */
function withoutAbsolutePaths(view: VersionedStreamView): Omit<VersionedStreamView, "versions" | "runPath"> & { versions: Array<Omit<StreamVersion, "absPath">> } {
  const { runPath: _run, ...rest } = view;
  return { ...rest, versions: view.versions.map(({ absPath: _abs, ...v }) => v) };
}

function json(status: number, value: unknown): Reply {
  return { status, headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" }, body: JSON.stringify(value) };
}

/** Splits the raw request path into still-encoded segments, refusing what no valid URL of ours contains. */
function rawSegments(rawPath: string): string[] {
  if (rawPath.length > 2048) throw new HttpError(414, "URL too long");
  if (!rawPath.startsWith("/") || rawPath.includes("\\") || rawPath.includes("\0")) throw new HttpError(400, "malformed path");
  const segs = rawPath.slice(1).split("/");
  if (segs.some((s) => s === "." || s === ".." || /^%2e%2e$/i.test(s) || /^\.%2e$|^%2e\.$/i.test(s))) throw new HttpError(400, "path contains a dot-segment");
  return segs;
}

function queryParams(query: string): URLSearchParams {
  return new URLSearchParams(query);
}

function parseX(q: URLSearchParams): "step" | "time" {
  const x = q.get("x") ?? "step";
  if (x !== "step" && x !== "time") throw new HttpError(400, `x must be "step" or "time"`);
  return x;
}

function parsePoints(q: URLSearchParams): number {
  const raw = q.get("points");
  if (raw === null) return DEFAULT_POINTS;
  if (!/^\d{1,6}$/.test(raw)) throw new HttpError(400, "points must be a whole number");
  const n = Number(raw);
  if (n < 4 || n > MAX_POINTS) throw new HttpError(400, `points must be between 4 and ${MAX_POINTS}`);
  return n;
}

/** `?q=&sort=&limit=&offset=` of `GET /api/runs`, as `listRuns` takes them. */
function listParams(q: URLSearchParams): ListRunsOptions {
  const count = (name: string): number | undefined => {
    const raw = q.get(name);
    if (raw === null || raw === "") return undefined;
    if (!/^\d{1,9}$/.test(raw)) throw new HttpError(400, `${name} must be a whole number ≥ 0`);
    return Number(raw);
  };
  return { query: q.get("q") ?? undefined, sort: q.get("sort") ?? undefined, limit: count("limit"), offset: count("offset") };
}

async function assetReply(jail: RootJail, runDir: string, rawRest: string[]): Promise<Reply> {
  const segments = rawRest.map((s) => decodeSegment(s, "asset path segment"));
  const file = jail.fileInRun(runDir, segments, SERVED_TOPS);
  const st = await stat(file);
  if (!st.isFile()) throw new HttpError(404, "not a file");
  const ext = extname(file).toLowerCase();
  const type = IMAGE_TYPES[ext];
  const headers: Record<string, string> = { "content-type": type ?? "application/octet-stream", "cache-control": "no-cache" };
  // An SVG (or any other file) opened directly must not run script in the dashboard's origin.
  headers["content-security-policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox";
  if (!type) headers["content-disposition"] = "attachment";
  return { status: 200, headers, file, size: st.size };
}

async function runRoute(jail: RootJail, segs: string[], q: URLSearchParams): Promise<Reply> {
  const runId = decodeSegment(segs[0]!, "run id");
  const runDir = jail.runDir(runId);
  const [what, ...rest] = segs.slice(1);
  if (what === undefined) return json(200, await apiRunDetail(jail, runId));
  switch (what) {
    case "metrics": {
      if (rest.length !== 1) break;
      const name = checkName(decodeSegment(rest[0]!, "metric name"));
      jail.checkRunFiles(runDir);
      const direction = metricDirection(name, recordedDirectionsOf(runDir).get(name));
      return json(200, await metricSeries(jail, runDir, name, { x: parseX(q), points: parsePoints(q), direction }));
    }
    case "models": {
      if (rest.length > 1) break;
      const detail = await apiRunDetail(jail, runId);
      const names = rest.length ? [checkName(decodeSegment(rest[0]!, "model name"))] : detail.streams.filter((s) => s.kind === "model").map((s) => s.name);
      return json(
        200,
        await Promise.all(
          names.map((n) => {
            jail.eventFile(runDir, "model", n);
            return readVersions(runDir, "model", n, { lineage: detail.lineage, sizes: true }).then(withoutAbsolutePaths);
          }),
        ),
      );
    }
    case "images": {
      if (rest.length !== 1) break;
      const name = checkName(decodeSegment(rest[0]!, "image name"));
      jail.eventFile(runDir, "image", name);
      return json(200, await readImageVersions(runDir, name));
    }
    case "curves":
    case "confusions": {
      if (rest.length !== 1) break;
      const kind = what === "curves" ? "curve" : "confusion";
      const name = checkName(decodeSegment(rest[0]!, "stream name"));
      jail.eventFile(runDir, kind, name);
      return json(200, await lastRows(runDir, kind, name));
    }
    case "assets":
      return assetReply(jail, runDir, ["assets", ...rest]);
    case "resources":
      if (rest.length > 1) break;
      return json(200, await resourcesReply(jail, runDir, rest.map((r) => decodeSegment(r, "resource name")), parsePoints(q)));
    case "logs":
      if (rest.length !== 0) break;
      return json(200, await logsReply(jail, runDir, q));
    case "events":
      if (rest.length !== 2) break;
      return json(200, await eventRowsReply(jail, runDir, decodeSegment(rest[0]!, "kind"), decodeSegment(rest[1]!, "stream name")));
    case "env":
      if (rest.length !== 0) break;
      return json(200, await envReply(jail, runDir));
    case "changes":
      if (rest.length !== 0) break;
      jail.checkRunFiles(runDir);
      return json(200, await changesReply(runDir));
    default:
      break;
  }
  throw new HttpError(404, "no such endpoint");
}

/**
 * Answers one GET request of the dashboard. Every URL parameter is checked before it names
 * a file; everything read is inside the runs root. Errors become JSON `{ error }` with a 4xx,
 * or a 500 whose message names no file.
 */
export async function route(jail: RootJail, rawUrl: string): Promise<Reply> {
  try {
    const qi = rawUrl.indexOf("?");
    const rawPath = qi < 0 ? rawUrl : rawUrl.slice(0, qi);
    const q = queryParams(qi < 0 ? "" : rawUrl.slice(qi + 1));
    if (Object.hasOwn(STATIC_ROUTES, rawPath)) {
      const r = rawPath as StaticRoute;
      const headers: Record<string, string> = { "content-type": STATIC_ROUTES[r].type, "cache-control": "no-cache" };
      if (r === "/") headers["content-security-policy"] = PAGE_CSP;
      if (r === "/static/chart-frame.html") Object.assign(headers, { "content-security-policy": FRAME_CSP, "x-frame-options": "SAMEORIGIN" });
      return { status: 200, headers, body: staticFile(r) };
    }
    const segs = rawSegments(rawPath);
    if (segs[0] !== "api") throw new HttpError(404, "not found");
    if (segs[1] === "runs" && segs.length === 2) return json(200, await apiRuns(jail, listParams(q)));
    if (segs[1] === "runs" && segs.length >= 3) return await runRoute(jail, segs.slice(2), q);
    throw new HttpError(404, "no such endpoint");
  } catch (err) {
    if (err instanceof HttpError) return json(err.status, { error: err.message });
    if (err instanceof InvalidQueryError || err instanceof InvalidValueError) return json(400, { error: err.message });
    if (err instanceof PathEscapeError) return json(403, { error: "leads outside the run" });
    const code = (err as NodeJS.ErrnoException).code;
    // ENOTDIR: a folder on the way is a file or FIFO now (or was swapped for one mid-request).
    if (err instanceof ArtifactNotFoundError || code === "ENOENT" || code === "ENOTDIR") return json(404, { error: "not found" });
    if (err instanceof CorruptRunError) return json(422, { error: "the stream cannot be parsed" });
    if (err instanceof NotRegularFileError) return json(422, { error: `a ${err.fileType} is where a file of the run should be` });
    if (process.env.RUNTRAIL_DEBUG === "1") console.error(err);
    return json(500, { error: "internal error" });
  }
}
