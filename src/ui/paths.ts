import { realpathSync, statSync } from "node:fs";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { isArtifactKind } from "../core/kinds.js";
import { toFqnName } from "../core/names.js";

/**
 * An HTTP error with the status code to answer and a one-line message. The dashboard
 * never puts a file-system path in the message: the client only learns what it sent.
 */
export class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "HttpError";
    this.status = status;
  }
}

/** A run folder name, a file name in `assets/`: plain characters, never `.` or `..`. */
const SEGMENT_RE = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,254}$/;
/** Names after Polyaxon's `to_fqn_name`: `.` and `/` are already gone (`-` and `__`). */
const NAME_RE = /^[A-Za-z0-9_-]{1,255}$/;

/**
 * Decodes one raw URL path segment exactly once and checks it is a plain segment.
 * `%2f`, `%5c`, `%00`, a leftover `%` (double encoding) and `..` are all refused.
 */
export function decodeSegment(raw: string, what: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, `${what} is not valid percent-encoding`);
  }
  if (!SEGMENT_RE.test(decoded) || decoded.includes("..")) {
    throw new HttpError(400, `${what} ${JSON.stringify(decoded.slice(0, 80))} is not a plain name`);
  }
  return decoded;
}

/** Validates a stream name (`loss`, `val__acc`, `model`): it must already be in `to_fqn_name` form. */
export function checkName(name: string, what = "name"): string {
  if (!NAME_RE.test(name) || toFqnName(name) !== name) throw new HttpError(400, `${what} ${JSON.stringify(name.slice(0, 80))} is not a valid stream name`);
  return name;
}

/** Validates an artifact kind against `V1ArtifactKind`. */
export function checkKind(kind: string): string {
  if (!isArtifactKind(kind)) throw new HttpError(400, `kind ${JSON.stringify(kind.slice(0, 40))} is not a V1ArtifactKind`);
  return kind;
}

function inside(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/**
 * `target` must exist and its real path (every symlink resolved) must stay inside the real
 * path of `root`. A symlink that leaves the root is a 403; a missing file a 404.
 */
function realInside(realRoot: string, target: string, what: string): string {
  let real: string;
  try {
    real = realpathSync(target);
  } catch {
    throw new HttpError(404, `${what} not found`);
  }
  if (!inside(realRoot, real)) throw new HttpError(403, `${what} leads outside the runs root`);
  return real;
}

/**
 * Confines every file the dashboard reads to one runs root. Each method takes values that
 * came from a URL (already split into decoded segments) and returns a real path inside the
 * root, or throws an {@link HttpError} (400 malformed, 403 escapes, 404 missing).
 */
export class RootJail {
  /** The runs root as given (absolute). */
  readonly root: string;
  readonly #realRoot: string;

  constructor(root: string) {
    this.root = resolve(root);
    try {
      this.#realRoot = realpathSync(this.root);
    } catch (cause) {
      throw new Error(`runs root ${this.root} does not exist`, { cause });
    }
  }

  /** The real path of the runs root. */
  get realRoot(): string {
    return this.#realRoot;
  }

  /** The folder of the run whose id (folder name) is `runId`. */
  runDir(runId: string): string {
    if (!SEGMENT_RE.test(runId) || runId.includes("..")) throw new HttpError(400, "run id is not a plain name");
    const dir = realInside(this.#realRoot, join(this.#realRoot, runId), "run");
    if (!statSync(dir).isDirectory()) throw new HttpError(404, "run not found");
    return dir;
  }

  /**
   * A file inside a run, given as run-relative segments (each checked with the segment
   * rules). The first segment must be one of `allowedTops` (e.g. `assets`).
   */
  fileInRun(runDir: string, segments: readonly string[], allowedTops: readonly string[]): string {
    if (segments.length < 2 || segments.length > 16) throw new HttpError(400, "asset path has the wrong depth");
    if (!allowedTops.includes(segments[0]!)) throw new HttpError(403, `only ${allowedTops.join(", ")} files are served`);
    for (const s of segments) {
      if (!SEGMENT_RE.test(s) || s.includes("..")) throw new HttpError(400, "asset path segment is not a plain name");
    }
    const real = realInside(this.#realRoot, join(runDir, ...segments), "asset");
    // Also inside the run itself: one run's symlink must not expose a sibling run either.
    if (!inside(runDir, real)) throw new HttpError(403, "asset leads outside its run");
    return real;
  }

  /**
   * The real path of `events/<kind>/<name>.plx` of a run, proven to be inside the run (a
   * symlinked event file or folder that leads elsewhere is a 403). Read this path, not another.
   */
  eventFile(runDir: string, kind: string, name: string): string {
    checkKind(kind);
    checkName(name);
    const real = realInside(this.#realRoot, join(runDir, "events", kind, `${name}.plx`), "stream");
    if (!inside(runDir, real)) throw new HttpError(403, "stream leads outside its run");
    return real;
  }

  /**
   * Checks that a run's own files (`run.plx.json`, `lineages.plx.json`), when present, are
   * inside the run, before the core's `loadRun` reads them.
   */
  checkRunFiles(runDir: string): void {
    for (const f of ["run.plx.json", "lineages.plx.json", "events"]) {
      let real: string;
      try {
        real = realpathSync(join(runDir, f));
      } catch {
        continue;
      }
      if (!inside(runDir, real)) throw new HttpError(403, `the run's ${f} leads outside the run`);
    }
  }

  /**
   * A run-relative path as stored in an event row or lineage record (`assets/model/m_3.onnx`),
   * resolved for stat-ing; `undefined` when it is malformed, absolute, missing or escapes.
   */
  storedPath(runDir: string, relPath: unknown): string | undefined {
    if (typeof relPath !== "string" || relPath.length === 0 || relPath.includes("\0") || isAbsolute(relPath)) return undefined;
    const segments = relPath.split("/");
    if (segments.some((s) => s === "" || s === "." || s === ".." || s.includes("\\"))) return undefined;
    try {
      const real = realpathSync(join(runDir, ...segments));
      return inside(runDir, real) ? real : undefined;
    } catch {
      return undefined;
    }
  }
}
