import { existsSync, mkdirSync, readdirSync, realpathSync, renameSync, rmSync, statSync } from "node:fs";
import * as fsp from "node:fs/promises";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { ArtifactNotFoundError, InvalidValueError, ProtectedRunPathError, type RuntrailError } from "./errors.js";
import { statFileOrDirSync } from "./fs-safe.js";
import { copyPath, hashPath } from "./fsutil.js";
import { isArtifactKind, V1ArtifactKind } from "./kinds.js";
import type { LineageStore, V1RunArtifact } from "./lineage.js";
import { baseFilename, pathExtension, toFqnName } from "./names.js";
import { assetRelPath, isPathInside, resolveInside, RunLayout, toRunRelative } from "./paths.js";
import type { RunMetaStore } from "./run-meta.js";
import type { EventWriter } from "./events/writer.js";
import { csvValue } from "./events/values.js";
import { compactJson, pyTimestamp } from "./events/pyformat.js";
import type { VersionedStreams } from "./versioned.js";
import { checkStep, checkTimestamp, show } from "./validate.js";
import { lazyCrypto } from "./builtins.js";

/** What the asset logger needs from its run. */
export interface AssetContext {
  readonly root: string;
  readonly writer: EventWriter;
  readonly lineage: LineageStore;
  readonly meta: RunMetaStore;
  readonly versions: VersionedStreams;
  track<T>(p: Promise<T>): Promise<T>;
}

/** Options of `logArtifactRef`. `kind` defaults to `"file"`. */
export interface ArtifactRefOptions {
  path: string;
  kind?: V1ArtifactKind;
  name?: string;
  summary?: Record<string, unknown>;
  isInput?: boolean;
  relPath?: string;
  /** A known hash; otherwise an existing local file or folder is hashed (md5, 12 hex). */
  hash?: string;
}
/** Options of `logModelRef`. */
export interface ModelRefOptions {
  path: string;
  name?: string;
  framework?: string;
  summary?: Record<string, unknown>;
  isInput?: boolean;
  relPath?: string;
  hash?: string;
}
/** Options of `logArtifact`. `kind` defaults to `"file"`. */
export interface LogArtifactOptions {
  path: string;
  name?: string;
  kind?: V1ArtifactKind;
  /** With a step (and `versioned` not false): a versioned copy `assets/<kind>/<name>_<step>[.<ext>]` plus an event row. */
  step?: number;
  /** `false` forces the non-versioned move into `outputs/` even with a step. Default true. */
  versioned?: boolean;
  /** Sub-folder of `outputs/` for the non-versioned move. */
  relPath?: string;
  summary?: Record<string, unknown>;
  /** Keep the source where it is (copy instead of move) for the non-versioned case. Default false. */
  copy?: boolean;
  /** Time of the version's event row (with `step`): a Date or epoch ms. Default: now. */
  timestamp?: Date | number;
}
/** Options of `logModel`. `relPath` defaults to `"model"` (so `outputs/model/<basename>`). */
export interface LogModelOptions {
  path: string;
  name?: string;
  framework?: string;
  summary?: Record<string, unknown>;
  step?: number;
  versioned?: boolean;
  relPath?: string;
  copy?: boolean;
  /** Time of the version's event row (with `step`): a Date or epoch ms. Default: now. */
  timestamp?: Date | number;
}
/** Options of `saveModel`: `write(dir)` gets an existing, empty folder inside the run. */
export interface SaveModelOptions {
  name: string;
  step?: number;
  framework: string;
  summary?: Record<string, unknown>;
  write: (dir: string) => Promise<void>;
}
/** Where a logged version or output landed. `path` is absolute, `relPath` relative to the run. */
export interface LoggedAsset {
  name: string;
  kind: string;
  path: string;
  relPath: string;
  step?: number;
}
/** Options of `logImage`. */
export interface LogImageOptions {
  step?: number;
  /** Extension when `pathOrBytes` is bytes (or a path without one). Default `png`. */
  ext?: string;
  /** Time of the event row: a Date or epoch ms. Default: now. */
  timestamp?: Date | number;
}

const URL_RE = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//;
/** Event kinds whose rows carry the value itself: a versioned file's row would not parse there. */
const INLINE_EVENT_KINDS: ReadonlySet<string> = new Set(["metric", "histogram", "curve", "confusion", "html", "text", "chart", "span"]);

/** The parts of a run that runtrail writes itself: a source inside one of them is refused. */
const BOOKKEEPING = [RunLayout.events, RunLayout.assets, RunLayout.resources, "plxlogs", RunLayout.private, RunLayout.runMeta, RunLayout.lineages];

/**
 * A source path as an absolute path, once it is known to be a regular file or a folder that is
 * not part of the run's bookkeeping. Only `stat` is used: nothing here can block on a FIFO.
 */
function assertSource(path: unknown, method: string, root: string): string {
  if (typeof path !== "string" || path.length === 0) {
    throw new InvalidValueError(`${method}: \`path\` must be a non-empty string (got ${show(path)}).`, path);
  }
  if (!existsSync(path)) throw new ArtifactNotFoundError(`${method}: nothing exists at ${JSON.stringify(path)}; write the file first.`, path);
  statFileOrDirSync(path, method);
  const abs = resolve(path);
  assertNotBookkeeping(abs, root, method);
  return abs;
}

/**
 * Refuses `src` when it is, or is inside, one of the run's {@link BOOKKEEPING} parts, by its path
 * or its real path. Files inside `.runtrail/tmp/` are let through: that is where adapters (the
 * ONNX export hook) write a file to hand it to `logModel` by rename; nothing of the run's
 * records lives there.
 */
function assertNotBookkeeping(src: string, root: string, method: string): void {
  const realRoot = realOrSelf(root);
  for (const [base, p] of [
    [root, src],
    [realRoot, realOrSelf(src)],
  ] as const) {
    const handOff = join(base, RunLayout.private, "tmp");
    if (isPathInside(handOff, p) && resolve(p) !== handOff) continue;
    for (const part of BOOKKEEPING) {
      if (isPathInside(join(base, part), p)) throw new ProtectedRunPathError(method, src, part === RunLayout.private ? ".runtrail/ folder" : part);
    }
  }
}

function realOrSelf(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

function checkKind(kind: unknown, method: string): V1ArtifactKind {
  if (!isArtifactKind(kind)) {
    throw new InvalidValueError(
      `${method}: unknown kind ${show(kind)}; use one of V1ArtifactKind's values such as "file", "dataframe", "model" or "tsv".`,
      kind,
    );
  }
  return kind;
}

function checkSummary(summary: unknown, method: string): Record<string, unknown> {
  if (summary === undefined) return {};
  if (summary === null || typeof summary !== "object" || Array.isArray(summary)) {
    throw new InvalidValueError(`${method}: \`summary\` must be a plain object (got ${show(summary)}).`, summary);
  }
  try {
    compactJson(summary); // it goes into the lineage file: a cycle must fail here, not on every later write
  } catch (err) {
    throw new InvalidValueError(`${method}: \`summary\` cannot be written as JSON (${(err as Error).message}).`, summary, err);
  }
  return { ...(summary as Record<string, unknown>) };
}

/**
 * Removes what a folder of working files holds, except entries named `<pid>-…` of a process that
 * is alive (this one included: another Run object may share the run).
 */
export function removeAbandoned(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(/^(\d+)-/.exec(name)?.[1]);
    if (pid > 0 && isAlive(pid)) continue;
    rmSync(join(dir, name), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Logs files and folders: references, versioned copies, moves into `outputs/`, staged saves, images. */
export class AssetLogger {
  constructor(private readonly ctx: AssetContext) {}

  async logArtifactRef(opts: ArtifactRefOptions): Promise<V1RunArtifact> {
    const kind = checkKind(opts.kind ?? "file", "logArtifactRef");
    return this.reference(kind, opts, undefined, "logArtifactRef");
  }

  async logModelRef(opts: ModelRefOptions): Promise<V1RunArtifact> {
    const rec = await this.reference("model", opts, opts.framework ?? null, "logModelRef");
    this.ctx.meta.flag("has_model") && this.ctx.meta.persist();
    return rec;
  }

  async logArtifact(opts: LogArtifactOptions): Promise<LoggedAsset> {
    const kind = checkKind(opts.kind ?? "file", "logArtifact");
    const src = assertSource(opts?.path, "logArtifact", this.ctx.root);
    const name = toFqnName(opts.name ?? baseFilename(src));
    const summary = checkSummary(opts.summary, "logArtifact");
    if (opts.step !== undefined && opts.versioned !== false) {
      const step = checkStep(opts.step, "logArtifact");
      if (INLINE_EVENT_KINDS.has(kind)) {
        throw new InvalidValueError(
          `logArtifact: versions of kind "${kind}" cannot be recorded: the rows of events/${kind}/ hold the ${kind} values themselves, not files; use kind "file" (or another file kind).`,
          kind,
        );
      }
      this.assertOutsideRun(src, "logArtifact");
      const ext = statSync(src).isDirectory() ? "" : pathExtension(src);
      const ms = opts.timestamp === undefined ? undefined : checkTimestamp(opts.timestamp, "logArtifact");
      const res = await this.commitVersion(kind, name, step, ext, (dest) => copyPath(src, dest, "logArtifact"), (rel) => ({ kind, path: rel }), undefined, undefined, ms);
      this.ctx.meta.flag("has_events") && this.ctx.meta.persist();
      return res;
    }
    return this.intoOutputs(kind, src, name, opts.relPath, summary, undefined, !!opts.copy, "logArtifact");
  }

  async logModel(opts: LogModelOptions): Promise<LoggedAsset> {
    const src = assertSource(opts?.path, "logModel", this.ctx.root);
    const name = toFqnName(opts.name ?? baseFilename(src));
    const summary = checkSummary(opts.summary, "logModel");
    const framework = opts.framework ?? null;
    let res: LoggedAsset;
    if (opts.step !== undefined && opts.versioned !== false) {
      const step = checkStep(opts.step, "logModel");
      this.assertOutsideRun(src, "logModel");
      const ext = statSync(src).isDirectory() ? "" : pathExtension(src);
      res = await this.commitVersion(
        "model",
        name,
        step,
        ext,
        (dest) => copyPath(src, dest, "logModel"),
        (rel) => modelEvent(framework, rel, summary),
        framework ?? undefined,
        summary,
        opts.timestamp === undefined ? undefined : checkTimestamp(opts.timestamp, "logModel"),
      );
    } else {
      res = await this.intoOutputs("model", src, name, opts.relPath ?? "model", summary, framework, !!opts.copy, "logModel");
    }
    this.ctx.meta.flag("has_model") && this.ctx.meta.persist();
    return res;
  }

  async saveModel(opts: SaveModelOptions): Promise<LoggedAsset> {
    if (typeof opts?.write !== "function") {
      throw new InvalidValueError("saveModel: `write(dir)` must be a function that writes the model into `dir`.", opts?.write);
    }
    if (typeof opts.framework !== "string" || !opts.framework) {
      throw new InvalidValueError('saveModel: `framework` is required (e.g. "tfjs", "onnx").', opts.framework);
    }
    const name = toFqnName(opts.name);
    const summary = checkSummary(opts.summary, "saveModel");
    const step = opts.step === undefined ? undefined : checkStep(opts.step, "saveModel");
    const write = async (dest: string): Promise<void> => {
      mkdirSync(dest, { recursive: true });
      await opts.write(dest);
    };
    let res: LoggedAsset;
    if (step !== undefined) {
      res = await this.commitVersion("model", name, step, "", write, (rel) => modelEvent(opts.framework, rel, summary), opts.framework, summary);
    } else {
      const staging = this.stagingPath();
      try {
        await write(staging);
        res = await this.intoOutputs("model", staging, name, "model", summary, opts.framework, false, "saveModel", name);
      } finally {
        rmSync(staging, { recursive: true, force: true });
      }
    }
    this.ctx.meta.flag("has_model") && this.ctx.meta.persist();
    return res;
  }

  async logImage(nameArg: string | undefined, pathOrBytes: string | Uint8Array, opts: LogImageOptions = {}): Promise<LoggedAsset> {
    const step = opts.step === undefined ? undefined : checkStep(opts.step, "logImage");
    let name: string;
    let ext: string;
    let produce: (dest: string) => Promise<void>;
    if (typeof pathOrBytes === "string") {
      const src = assertSource(pathOrBytes, "logImage", this.ctx.root);
      this.assertOutsideRun(src, "logImage");
      name = toFqnName(nameArg ?? baseFilename(src));
      ext = pathExtension(src) || opts.ext || "png";
      produce = (dest) => copyPath(src, dest, "logImage");
    } else if (pathOrBytes instanceof Uint8Array) {
      name = toFqnName(nameArg ?? "image");
      ext = opts.ext || "png";
      produce = (dest) => fsp.writeFile(dest, pathOrBytes);
    } else {
      throw new InvalidValueError("logImage: pass a file path or the encoded image bytes (Uint8Array).", pathOrBytes);
    }
    return this.logEventAsset("image", name, step, ext, produce, (rel) => ({ path: rel }), opts.timestamp, "logImage");
  }

  /**
   * A file behind an event row (image, audio, video, dataframe): committed at
   * `assets/<kind>/<name>[_<step>].<ext>`, then one row in `events/<kind>/<name>.plx` whose value
   * `value(relPath)` builds; sets `meta_info.has_events`.
   */
  async logEventAsset(
    kind: string,
    name: string,
    step: number | undefined,
    ext: string,
    produce: (dest: string) => Promise<void>,
    value: (relPath: string) => unknown,
    timestamp: Date | number | undefined,
    method: string,
  ): Promise<LoggedAsset> {
    if (typeof ext !== "string" || !/^[a-z0-9]+(\.[a-z0-9]+)*$/i.test(ext)) throw new InvalidValueError(`${method}: bad extension ${show(ext)}.`, ext);
    const ms = timestamp === undefined ? undefined : checkTimestamp(timestamp, method);
    const res = await this.commitAsset(kind, name, step, ext.toLowerCase(), produce);
    const stream = this.ctx.writer.stream(kind, name);
    this.ctx.writer.appendNow(stream, `\n${step ?? ""}|${pyTimestamp(ms ?? Date.now())}|${csvValue(kind, value(res.relPath))}`);
    this.ctx.meta.flag("has_events") && this.ctx.meta.persist();
    return res;
  }

  /** A source that contains the run would be copied into itself without end. */
  private assertOutsideRun(src: string, method: string): void {
    if (isPathInside(src, this.ctx.root)) {
      throw new InvalidValueError(`${method}: ${src} contains the run folder ${this.ctx.root}; it cannot be copied into it.`, src);
    }
  }

  /** A folder inside the run for bytes that are not committed yet (same file system, so commits are renames). */
  stagingPath(): string {
    const dir = join(this.ctx.root, RunLayout.private, "staging", `${process.pid}-${lazyCrypto().randomBytes(8).toString("hex")}`);
    mkdirSync(dirname(dir), { recursive: true });
    return dir;
  }

  /** Produces an asset in staging and renames it into place; a failed or killed produce leaves nothing behind. */
  private async commitAsset(
    kind: string,
    name: string,
    step: number | undefined,
    ext: string,
    produce: (dest: string) => Promise<void>,
    beforeCommit?: () => void,
  ): Promise<LoggedAsset> {
    const relPath = assetRelPath(kind, name, step, ext);
    const abs = resolveInside(this.ctx.root, relPath, "asset path");
    const staging = this.stagingPath();
    try {
      await produce(staging);
      beforeCommit?.();
      mkdirSync(dirname(abs), { recursive: true });
      this.placeSync(staging, abs);
    } catch (err) {
      rmSync(staging, { recursive: true, force: true });
      throw err;
    }
    return { name, kind, path: abs, relPath, ...(step !== undefined && { step }) };
  }

  /** A versioned asset: committed file/folder, then its event row (written at once), then the lineage record. */
  private async commitVersion(
    kind: string,
    name: string,
    step: number,
    ext: string,
    produce: (dest: string) => Promise<void>,
    eventValue: (relPath: string) => unknown,
    framework?: string,
    summary?: Record<string, unknown>,
    timestamp?: number,
  ): Promise<LoggedAsset> {
    // Rows logged before a version are written before it appears: a kill never leaves a checkpoint
    // whose step's metrics are lost (a run resumed from it would never log them again).
    const res = await this.commitAsset(kind, name, step, ext, produce, () => this.ctx.writer.flushInBackground());
    const ms = timestamp ?? Date.now();
    const stream = this.ctx.writer.stream(kind, name);
    this.ctx.writer.appendNow(stream, `\n${step}|${pyTimestamp(ms)}|${csvValue(kind, eventValue(res.relPath))}`);
    const latest = { step, path: res.relPath, ...(summary && Object.keys(summary).length > 0 && { summary }) };
    this.ctx.versions.added(kind, name, latest, ms, framework);
    // Hashing a large checkpoint costs as much as writing it: do it off the caller's path.
    void this.ctx.track(
      hashPath(res.path).then(
        (hash) => {
          try {
            this.ctx.versions.hashed(kind, name, step, hash);
          } catch (err) {
            this.ctx.writer.keepBackgroundError(err as RuntrailError); // reported by the next flush()/end()
          }
        },
        () => undefined, // the version was pruned or replaced meanwhile; nothing to record
      ),
    );
    return res;
  }

  /** Renames `from` onto `to`, replacing a file or folder already there in two renames. */
  private placeSync(from: string, to: string): void {
    if (!existsSync(to) || (statSync(to).isFile() && statSync(from).isFile())) return renameSync(from, to);
    const old = this.stagingPath();
    renameSync(to, old);
    renameSync(from, to);
    rmSync(old, { recursive: true, force: true });
  }

  /** A copy of `src` in a staging folder of the run (removed on resume if a kill interrupts it). */
  private async stageCopy(src: string, method: string): Promise<string> {
    const staged = this.stagingPath();
    try {
      await copyPath(src, staged, method);
    } catch (err) {
      rmSync(staged, { recursive: true, force: true });
      throw err;
    }
    return staged;
  }

  /** Non-versioned: move (or copy) into `outputs/[<relPath>/]<basename>` and record a lineage reference. */
  private async intoOutputs(
    kind: string,
    src: string,
    name: string,
    relPath: string | undefined,
    userSummary: Record<string, unknown>,
    framework: string | null | undefined,
    copy: boolean,
    method: string,
    destBasename = basename(src),
  ): Promise<LoggedAsset> {
    this.ctx.lineage.assertRefNameFree(kind, name); // before the move: a refused record leaves nothing behind
    const outputs = join(this.ctx.root, RunLayout.outputs);
    const rel = relPath ? `${relPath}/${destBasename}` : destBasename;
    const dest = resolveInside(outputs, rel, `${method} relPath`);
    if (isPathInside(src, dest) && resolve(src) !== dest) {
      throw new InvalidValueError(`${method}: cannot move ${src} into ${dest}, which is inside it.`, src);
    }
    // The content lands at `dest` by one rename, and the record is written right after it with no
    // await in between: a kill never leaves a half-copied file or a record for a missing file.
    let hash: string;
    if (resolve(src) === dest) hash = await hashPath(dest);
    else {
      mkdirSync(dirname(dest), { recursive: true });
      let from = src;
      if (copy) from = await this.stageCopy(src, method);
      hash = await hashPath(from);
      try {
        this.placeSync(from, dest);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EXDEV") throw err;
        this.placeSync(await this.stageCopy(src, method), dest); // another file system: copy in, then remove the source
        rmSync(src, { recursive: true, force: true });
      }
    }
    const relFromRun = toRunRelative(this.ctx.root, dest);
    const summary: Record<string, unknown> = { ...userSummary };
    if (framework !== undefined) summary.framework = framework;
    summary.path = dest;
    summary.hash = hash;
    const rec: V1RunArtifact = { name, kind, path: relFromRun, summary, is_input: false };
    this.ctx.lineage.upsert(rec);
    return { name, kind, path: dest, relPath: relFromRun };
  }

  private async reference(
    kind: string,
    opts: ArtifactRefOptions | ModelRefOptions,
    framework: string | null | undefined,
    method: string,
  ): Promise<V1RunArtifact> {
    const path = opts?.path;
    if (typeof path !== "string" || path.length === 0) {
      throw new InvalidValueError(`${method}: \`path\` must be a non-empty string (got ${show(path)}).`, path);
    }
    const isUrl = URL_RE.test(path);
    const name = toFqnName(opts.name ?? baseFilename(path.replace(/[\\/]+$/, "")));
    const summary = checkSummary(opts.summary, method);
    this.ctx.lineage.assertRefNameFree(kind, name);
    if (framework !== undefined) summary.framework = framework;
    const local = isUrl ? undefined : resolve(path);
    if (opts.hash !== undefined) {
      summary.path = path;
      summary.hash = opts.hash;
    } else if (local && existsSync(local)) {
      summary.path = local;
      summary.hash = await hashPath(local);
    } else {
      summary.path = path;
    }
    let recPath: string;
    if (opts.relPath !== undefined) recPath = opts.relPath;
    else if (local && isPathInside(this.ctx.root, local)) recPath = toRunRelative(this.ctx.root, local);
    else recPath = isUrl || isAbsolute(path) ? path : (local as string);
    const rec: V1RunArtifact = { name, kind, path: recPath, summary, is_input: !!opts.isInput };
    this.ctx.lineage.upsert(rec);
    return rec;
  }
}

function modelEvent(framework: string | null, relPath: string, summary: Record<string, unknown>): Record<string, unknown> {
  const v: Record<string, unknown> = {};
  if (framework !== null) v.framework = framework;
  v.path = relPath;
  if (Object.keys(summary).length > 0) v.spec = summary;
  return v;
}
