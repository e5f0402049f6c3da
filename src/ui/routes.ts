import { stat } from "node:fs/promises";
import { extname } from "node:path";
import { ArtifactNotFoundError, CorruptRunError } from "../core/errors.js";
import { HttpError, checkName, decodeSegment, type RootJail } from "./paths.js";
import { listRuns, runDetail } from "./runs.js";
import { DEFAULT_POINTS, MAX_POINTS, metricSeries } from "./series.js";
import { STATIC_ROUTES, staticFile, type StaticRoute } from "./static-files.js";
import { imageStream, modelStream, valueStream } from "./versions.js";
import { logsReply, resourcesReply } from "./context-routes.js";

/** What a route answers: bytes in memory, or a file inside the runs root to stream. */
export type Reply =
  | { status: number; headers: Record<string, string>; body: Buffer | string }
  | { status: number; headers: Record<string, string>; file: string; size: number };

const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

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
  if (what === undefined) return json(200, await runDetail(jail, runId));
  switch (what) {
    case "metrics":
      if (rest.length !== 1) break;
      return json(200, await metricSeries(jail, runDir, checkName(decodeSegment(rest[0]!, "metric name")), { x: parseX(q), points: parsePoints(q) }));
    case "models": {
      if (rest.length > 1) break;
      const detail = await runDetail(jail, runId);
      const names = rest.length ? [checkName(decodeSegment(rest[0]!, "model name"))] : detail.streams.filter((s) => s.kind === "model").map((s) => s.name);
      return json(200, await Promise.all(names.map((n) => modelStream(jail, runDir, n, detail.lineage))));
    }
    case "images": {
      if (rest.length !== 1) break;
      return json(200, await imageStream(jail, runDir, checkName(decodeSegment(rest[0]!, "image name"))));
    }
    case "curves":
    case "confusions": {
      if (rest.length !== 1) break;
      return json(200, await valueStream(jail, runDir, what === "curves" ? "curve" : "confusion", checkName(decodeSegment(rest[0]!, "stream name"))));
    }
    case "assets":
      return assetReply(jail, runDir, ["assets", ...rest]);
    case "resources":
      if (rest.length > 1) break;
      return json(200, await resourcesReply(jail, runDir, rest.map((r) => decodeSegment(r, "resource name")), parsePoints(q)));
    case "logs":
      if (rest.length !== 0) break;
      return json(200, await logsReply(jail, runDir, q));
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
      return { status: 200, headers, body: staticFile(r) };
    }
    const segs = rawSegments(rawPath);
    if (segs[0] !== "api") throw new HttpError(404, "not found");
    if (segs[1] === "runs" && segs.length === 2) return json(200, await listRuns(jail));
    if (segs[1] === "runs" && segs.length >= 3) return await runRoute(jail, segs.slice(2), q);
    throw new HttpError(404, "no such endpoint");
  } catch (err) {
    if (err instanceof HttpError) return json(err.status, { error: err.message });
    if (err instanceof ArtifactNotFoundError || (err as NodeJS.ErrnoException).code === "ENOENT") return json(404, { error: "not found" });
    if (err instanceof CorruptRunError) return json(422, { error: "the stream cannot be parsed" });
    if (process.env.RUNTRAIL_DEBUG === "1") console.error(err);
    return json(500, { error: "internal error" });
  }
}
