import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { AssetLogger, removeAbandoned, type ArtifactRefOptions, type LoggedAsset, type LogArtifactOptions, type LogImageOptions, type LogModelOptions, type ModelRefOptions, type SaveModelOptions } from "./assets.js";
import { rocCurve, prCurve, histogram as npHistogram } from "./curves.js";
import { InvalidValueError, RunEndedError, RuntrailError, RunWriteError } from "./errors.js";
import { parseMetricColumns, readEventFileSync } from "./events/reader.js";
import { eventSummary, metricSummary } from "./events/summary.js";
import { csvValue, jsonlValue, type ChartValue, type CurveValue } from "./events/values.js";
import { EventWriter, type EventStream } from "./events/writer.js";
import { pyFloatRepr, pyTimestamp } from "./events/pyformat.js";
import { registerExitParticipant, unregisterExitParticipant, type ExitParticipant } from "./events/exit-hooks.js";
import { LineageStore, type V1RunArtifact } from "./lineage.js";
import { toFqnName } from "./names.js";
import { resolveInside, RunLayout, RUN_UUID_RE } from "./paths.js";
import { RunMetaStore, type RunMeta, type RunStatus } from "./run-meta.js";
import { checkNumbers, checkStep, checkTimestamp, show } from "./validate.js";
import { VersionedStreams } from "./versioned.js";
import { BackgroundSync } from "./store/background-sync.js";
import { parseS3Uri, type S3StoreOptions } from "./store/s3-location.js";
import { RunContext } from "./context/run-context.js";
import { resolveContextOptions, type ContextOptions } from "./context/options.js";
import type { CodeRef } from "./context/coderef.js";
import { RunInfo } from "./context/run-info.js";

/** Options of {@link init}. What a run records without being asked (resources, logs, code, env): see {@link ContextOptions}. */
export interface InitOptions extends ContextOptions {
  /** Project name, recorded in `run.plx.json`. */
  project?: string;
  /** Run name, recorded in `run.plx.json`. */
  name?: string;
  description?: string;
  tags?: string[];
  /** 32 lowercase hex characters. An existing run with this uuid is resumed. Default: a new random uuid. */
  runUuid?: string;
  /** Explicit run root. Default: `<offlineRoot>/runs/<uuid>`. */
  artifactsPath?: string;
  /** Default: env `POLYAXON_OFFLINE_ROOT`, else `./plx` (resolved against the working directory). */
  offlineRoot?: string;
  /** How often buffered events are written, in ms. Default 1000. 0 writes only on flush/end/exit or full chunks. */
  flushIntervalMs?: number;
  /**
   * Finish the run when the process ends without `end()`: flush, then mark it succeeded (exit
   * code 0), failed (non-zero or uncaught exception) or stopped (SIGINT/SIGTERM/SIGHUP). Default true.
   */
  handleExit?: boolean;
  /**
   * Object storage to keep a copy of the run in, `s3://bucket/prefix`: the run is written locally
   * first and synced in the background (incrementally) every `syncIntervalMs`, and once more when
   * `end()` is called. Needs `@aws-sdk/client-s3` and `@aws-sdk/lib-storage`.
   */
  store?: string;
  /** Endpoint, path style, region, credentials of `store` (default: the standard AWS chain and env). */
  storeOptions?: S3StoreOptions;
  /** Interval of the background sync, in ms. Default 10 000; 0 syncs only at `end()`. */
  syncIntervalMs?: number;
}

/** Per-call options of metric logging. */
export interface StepOptions {
  step?: number;
  /** A Date or epoch ms. Default: now. */
  timestamp?: Date | number;
}

/** Options of `getArtifactsPath` / `getOutputsPath`. */
export interface PathOptions {
  /** Create `relPath` itself as a folder (otherwise only its parent). */
  isDir?: boolean;
  /** Create the folders. Default: false for `getArtifactsPath`, true for `getOutputsPath` (as Polyaxon). */
  ensurePath?: boolean;
}

/** The summary lineage records of a run's event files, rebuilt when it ends. */
const EVENT_DIRS = [RunLayout.events, RunLayout.resources] as const;

/**
 * One tracked run: a folder in Polyaxon's offline layout. Create it with {@link init}.
 *
 * Logging methods are synchronous and buffered (metrics, curves, text…); file-based methods
 * (`logArtifact`, `logModel`, `saveModel`, `logImage`, refs) are async and durable when their
 * promise resolves. `end()` (or process exit) writes the final status and lineage summaries.
 */
export class Run {
  readonly uuid: string;
  readonly artifactsPath: string;
  /** True when this Run continued an existing run folder. */
  readonly resumed: boolean;

  private readonly writer: EventWriter;
  private readonly lineage: LineageStore;
  private readonly metaStore: RunMetaStore;
  private readonly versionStreams: VersionedStreams;
  private readonly assets: AssetLogger;
  private readonly metricStreams = new Map<string, EventStream>();
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly exitParticipant: ExitParticipant | undefined;
  private ended = false;
  private readonly backgroundSync: BackgroundSync | undefined;
  private readonly context: RunContext;
  private readonly info: RunInfo;

  /** @internal Use {@link init}. */
  constructor(opts: InitOptions = {}) {
    let uuid = opts.runUuid;
    if (uuid !== undefined && (typeof uuid !== "string" || !RUN_UUID_RE.test(uuid))) {
      throw new InvalidValueError(
        `runUuid must be 32 lowercase hex characters (like "${randomUUID().replace(/-/g, "")}"), got ${show(uuid)}.`,
        uuid,
      );
    }
    let root: string;
    if (opts.artifactsPath !== undefined) {
      root = resolve(opts.artifactsPath);
      if (uuid === undefined) {
        const existing = existsSync(join(root, RunLayout.runMeta)) ? RunMetaStore.peekUuid(join(root, RunLayout.runMeta)) : undefined;
        uuid = existing ?? randomUUID().replace(/-/g, "");
      }
    } else {
      uuid ??= randomUUID().replace(/-/g, "");
      const offlineRoot = resolve(opts.offlineRoot ?? process.env.POLYAXON_OFFLINE_ROOT ?? "./plx");
      root = join(offlineRoot, "runs", uuid);
    }
    this.uuid = uuid;
    this.artifactsPath = root;
    const contextSettings = resolveContextOptions(opts, existsSync(join(root, RunLayout.runMeta)));
    for (const d of [RunLayout.outputs, RunLayout.events, RunLayout.assets]) mkdirSync(join(root, d), { recursive: true });
    // Leftovers of a process killed mid-save: never committed, never referenced. Those of live
    // processes sharing this run (named `<pid>-…`) are theirs, still in use.
    for (const d of ["staging", "tmp"]) removeAbandoned(join(root, RunLayout.private, d));

    this.metaStore = new RunMetaStore(join(root, RunLayout.runMeta), {
      uuid,
      ...(opts.name !== undefined && { name: opts.name }),
      ...(opts.project !== undefined && { project: opts.project }),
      ...(opts.description !== undefined && { description: opts.description }),
      ...(opts.tags !== undefined && { tags: opts.tags }),
    });
    if (this.metaStore.meta.uuid !== uuid) {
      throw new InvalidValueError(`the run folder ${root} belongs to run ${this.metaStore.meta.uuid}, not ${uuid}.`, uuid);
    }
    this.resumed = this.metaStore.resumed;
    this.lineage = new LineageStore(join(root, RunLayout.lineages));
    this.versionStreams = new VersionedStreams(this.lineage);
    this.writer = new EventWriter(root, opts.flushIntervalMs ?? 1000);
    this.lineage.onBackgroundError = (err) => this.writer.keepBackgroundError(err);
    this.assets = new AssetLogger({
      root,
      writer: this.writer,
      lineage: this.lineage,
      meta: this.metaStore,
      versions: this.versionStreams,
      track: (p) => this.track(p),
    });
    if (opts.store !== undefined) {
      parseS3Uri(opts.store); // a bad location fails init, not a background round
      this.backgroundSync = new BackgroundSync(root, opts.store, opts.storeOptions ?? {}, opts.syncIntervalMs ?? 10_000);
    }
    this.info = new RunInfo(this.metaStore);
    this.context = new RunContext({
      root,
      flushIntervalMs: opts.flushIntervalMs ?? 1000,
      lineage: this.lineage,
      settings: contextSettings,
      onError: (err) => this.writer.keepBackgroundError(err),
      track: (p) => this.track(p),
    });
    if (opts.handleExit !== false) {
      this.exitParticipant = {
        finishSync: (status, reason) => this.finishSync(status, reason),
        flushSync: () => {
          this.writer.flushQuietly();
          this.context.flushQuietly();
        },
      };
      registerExitParticipant(this.exitParticipant);
    }
    this.context.start();
  }

  /** The run's metadata as in `run.plx.json` (a live view; do not mutate). */
  get meta(): Readonly<RunMeta> {
    return this.metaStore.meta;
  }

  get status(): RunStatus {
    return this.metaStore.meta.status;
  }

  // ---------------------------------------------------------------- paths

  /**
   * The run root, or `relPath` inside it. Folders are created only with `ensurePath`
   * (the parent of `relPath`, or `relPath` itself with `isDir`).
   * @example run.getArtifactsPath("code/file.py") // <run>/code/file.py
   */
  getArtifactsPath(relPath?: string, opts: PathOptions = {}): string {
    return this.pathUnder(this.artifactsPath, relPath, opts, false);
  }

  /**
   * `<run>/outputs`, or `relPath` inside it; creates the parent folder (or `relPath` with `isDir`).
   * @example run.getOutputsPath("model/model.h5"); run.getOutputsPath("sub-folder", { isDir: true })
   */
  getOutputsPath(relPath?: string, opts: PathOptions = {}): string {
    return this.pathUnder(join(this.artifactsPath, RunLayout.outputs), relPath, opts, true);
  }

  private pathUnder(base: string, relPath: string | undefined, opts: PathOptions, ensureDefault: boolean): string {
    const target = relPath === undefined || relPath === "" ? base : resolveInside(base, relPath);
    if (opts?.ensurePath ?? ensureDefault) {
      const dir = opts?.isDir || target === base ? target : resolve(target, "..");
      try {
        mkdirSync(dir, { recursive: true });
      } catch (err) {
        throw new RunWriteError(`could not create ${dir}: ${(err as Error).message}`, dir, err);
      }
    }
    return target;
  }

  // ---------------------------------------------------------------- metrics (hot path)

  /**
   * Logs one metric value to `events/metric/<name>.plx`. Synchronous and buffered.
   * `NaN` and `±Infinity` are written as Python writes them (`nan`, `inf`).
   * @throws InvalidValueError for a non-number value, a negative or fractional step, a bad timestamp.
   */
  logMetric(name: string, value: number, opts?: StepOptions): void {
    let s = this.metricStreams.get(name);
    if (s === undefined) s = this.openMetricStream(name);
    if (typeof value !== "number") this.badMetric(name, value);
    let row: string;
    if (opts === undefined) row = "\n|" + pyTimestamp(Date.now()) + "|" + pyFloatRepr(value);
    else {
      const step = opts.step;
      const ts = opts.timestamp === undefined ? pyTimestamp(Date.now()) : pyTimestamp(checkTimestamp(opts.timestamp, "logMetric"));
      if (step === undefined) row = "\n|" + ts + "|" + pyFloatRepr(value);
      else {
        if (!Number.isSafeInteger(step) || step < 0) checkStep(step, "logMetric");
        row = "\n" + step + "|" + ts + "|" + pyFloatRepr(value);
      }
    }
    this.writer.append(s, row);
  }

  /**
   * Logs several metrics at the same step. Every value is checked before any is written.
   * @example run.logMetrics({ loss: 0.3, acc: 0.91 }, { step: 4 })
   */
  logMetrics(values: Record<string, number>, opts?: StepOptions): void {
    if (values === null || typeof values !== "object") throw new InvalidValueError("logMetrics: pass an object of name → number.", values);
    const entries = Object.entries(values);
    for (const [k, v] of entries) {
      if (typeof v !== "number") this.badMetric(k, v);
      if (!this.metricStreams.has(k)) toFqnName(k); // a bad name throws before anything is written
    }
    if (opts?.step !== undefined) checkStep(opts.step, "logMetrics");
    for (const [k, v] of entries) this.logMetric(k, v, opts);
  }

  private openMetricStream(name: string): EventStream {
    this.assertLive("logMetric");
    const s = this.writer.stream("metric", toFqnName(name));
    this.metricStreams.set(name, s);
    if (this.metaStore.flag("has_metrics")) this.persistMetaInBackground();
    return s;
  }

  private badMetric(name: string, value: unknown): never {
    throw new InvalidValueError(
      `logMetric(${show(name)}): the value must be a number (got ${show(value)} of type ${typeof value}); convert tensors with \`.dataSync()[0]\` first.`,
      value,
    );
  }

  // ---------------------------------------------------------------- other events

  /** Logs a custom curve (`kind: "custom"`) to `events/curve/<name>.plx`. */
  logCurve(name: string, x: ArrayLike<number>, y: ArrayLike<number>, opts: { annotation?: string | number; step?: number } = {}): void {
    this.curve("custom", name, x, y, opts.annotation, opts.step, "logCurve");
  }

  /** Computes the ROC curve of binary labels and scores and logs it with its AUC as the annotation. Returns the AUC. */
  logRocAucCurve(name: string, yTrue: ArrayLike<number>, yScore: ArrayLike<number>, opts: { step?: number } = {}): number {
    const { fpr, tpr, auc } = rocCurve(yTrue, yScore);
    this.curve("roc", name, fpr, tpr, auc, opts.step, "logRocAucCurve");
    return auc;
  }

  /** Computes the precision–recall curve (x = precision, y = recall, as Polyaxon) with the average precision as annotation. */
  logPrCurve(name: string, yTrue: ArrayLike<number>, yScore: ArrayLike<number>, opts: { step?: number } = {}): number {
    const { precision, recall, averagePrecision } = prCurve(yTrue, yScore);
    this.curve("pr", name, precision, recall, averagePrecision, opts.step, "logPrCurve");
    return averagePrecision;
  }

  private curve(
    kind: CurveValue["kind"],
    name: string,
    xIn: ArrayLike<number>,
    yIn: ArrayLike<number>,
    annotation: string | number | undefined,
    step: number | undefined,
    method: string,
  ): void {
    const x = checkNumbers(xIn, "x", method);
    const y = checkNumbers(yIn, "y", method);
    if (x.length !== y.length) throw new InvalidValueError(`${method}: x and y must have the same length (got ${x.length} and ${y.length}).`, { x: x.length, y: y.length });
    const value: CurveValue = { kind, x, y };
    if (annotation !== undefined && typeof annotation !== "string" && typeof annotation !== "number") {
      throw new InvalidValueError(`${method}: annotation must be a string or a number (got ${typeof annotation}).`, annotation);
    }
    if (annotation !== undefined && annotation !== "" && annotation !== 0) {
      value.annotation = typeof annotation === "number" ? pyFloatRepr(annotation) : String(annotation);
    }
    this.event("curve", name, value, step, method);
  }

  /** Logs a confusion matrix: labels `x` and `y` and a square matrix `z` (`z.length === x.length`). */
  logConfusionMatrix(name: string, x: Array<string | number>, y: Array<string | number>, z: number[][], opts: { step?: number } = {}): void {
    const m = "logConfusionMatrix";
    if (!Array.isArray(x) || !Array.isArray(y) || !Array.isArray(z)) throw new InvalidValueError(`${m}: x, y and z must be arrays.`, { x, y, z });
    if (x.length !== y.length || z.length !== x.length) {
      throw new InvalidValueError(`${m}: x, y and z must have the same length (got ${x.length}, ${y.length}, ${z.length}).`, { x, y });
    }
    z.forEach((row, i) => {
      checkNumbers(row, `z[${i}]`, m);
      if (row.length !== z.length) throw new InvalidValueError(`${m}: z must be square; row ${i} has ${row.length} values, expected ${z.length}.`, row);
    });
    this.event("confusion", name, { x, y, z }, opts.step, m);
  }

  /**
   * Logs a histogram. Pass raw values (binned here like `np.histogram`, `bins` default 10) or a
   * precomputed `{ values, counts }` in Polyaxon's layout (`values` = n bin counts, `counts` = n+1 edges).
   */
  logHistogram(
    name: string,
    data: ArrayLike<number> | { values: ArrayLike<number>; counts: ArrayLike<number> },
    opts: { bins?: number; step?: number } = {},
  ): void {
    const m = "logHistogram";
    let values: number[];
    let counts: number[];
    if (data && typeof data === "object" && "values" in data && "counts" in data) {
      values = checkNumbers(data.values, "values", m);
      counts = checkNumbers(data.counts, "counts", m);
      if (values.length + 1 !== counts.length) {
        throw new InvalidValueError(`${m}: counts (the bin edges) must have one more entry than values (got ${values.length} and ${counts.length}).`, data);
      }
      if (values.length > 512) throw new InvalidValueError(`${m}: at most 512 bins (got ${values.length}).`, values.length);
    } else {
      const h = npHistogram(checkNumbers(data, "data", m), opts.bins ?? 10);
      values = h.counts;
      counts = h.edges;
    }
    this.event("histogram", name, { values, counts }, opts.step, m);
  }

  /** Logs text (JSONL `events/text/<name>.plx`). */
  logText(name: string, text: string, opts: { step?: number } = {}): void {
    if (typeof text !== "string") throw new InvalidValueError(`logText: text must be a string (got ${typeof text}).`, text);
    this.event("text", name, text, opts.step, "logText");
  }

  /** Logs an HTML snippet (JSONL `events/html/<name>.plx`). */
  logHtml(name: string, html: string, opts: { step?: number } = {}): void {
    if (typeof html !== "string") throw new InvalidValueError(`logHtml: html must be a string (got ${typeof html}).`, html);
    this.event("html", name, html, opts.step, "logHtml");
  }

  /** Logs a chart figure (vega-lite spec by default; plotly or bokeh JSON with `kind`). */
  logChart(name: string, figure: Record<string, unknown>, opts: { kind?: ChartValue["kind"]; step?: number } = {}): void {
    const kind = opts.kind ?? "vega";
    if (kind !== "vega" && kind !== "plotly" && kind !== "bokeh") throw new InvalidValueError(`logChart: kind must be "vega", "plotly" or "bokeh" (got ${show(kind)}).`, kind);
    if (figure === null || typeof figure !== "object" || Array.isArray(figure)) throw new InvalidValueError("logChart: figure must be a JSON object.", figure);
    this.event("chart", name, { kind, figure }, opts.step, "logChart");
  }

  private event(kind: string, name: string, value: unknown, step: number | undefined, method: string): void {
    this.assertLive(method);
    const n = toFqnName(name);
    if (step !== undefined) checkStep(step, method);
    const ts = pyTimestamp(Date.now());
    const s = this.writer.stream(kind, n);
    let formatted: string;
    try {
      formatted = s.jsonl ? jsonlValue(kind, value) : csvValue(kind, value);
    } catch (err) {
      throw new InvalidValueError(`${method}: the value cannot be written as JSON (${(err as Error).message}); pass plain data without cycles.`, value, err);
    }
    if (s.jsonl) this.writer.append(s, `\n{"timestamp": "${ts}", "step": ${step ?? "null"}, "${kind}": ${formatted}}`);
    else this.writer.append(s, `\n${step ?? ""}|${ts}|${formatted}`);
    if (this.metaStore.flag("has_events")) this.persistMetaInBackground();
  }

  /**
   * A `meta_info` flag set by a buffered logging call: a write failure must not throw into the
   * training loop; the flag stays in memory (written with the next metadata write) and the
   * failure is reported like a failed timer flush.
   */
  private persistMetaInBackground(): void {
    try {
      this.metaStore.persist();
    } catch (err) {
      this.writer.keepBackgroundError(err as RunWriteError);
    }
  }

  // ---------------------------------------------------------------- inputs / outputs

  /** Merges parameters into the run's `inputs` (hyper-parameters, data versions…). */
  logInputs(values: Record<string, unknown>): void {
    this.assertLive("logInputs");
    Object.assign(this.metaStore.meta.inputs, values);
    this.metaStore.persist();
  }

  /** Merges values into the run's `outputs` (final scores…). Last metric values are added at `end()`. */
  logOutputs(values: Record<string, unknown>): void {
    this.assertLive("logOutputs");
    Object.assign(this.metaStore.meta.outputs, values);
    this.metaStore.persist();
  }

  // ---------------------------------------------------------------- context, progress, tags

  /**
   * Records the code version as a `coderef` lineage record named by the commit (Polyaxon's
   * `log_code_ref`): `codeRef` as given (`{ commit, branch, url, is_dirty }`, credentials stripped
   * from `url`), else the git repository of the working directory. Resolves to `undefined`, writing
   * nothing, when there is no commit (not a repository, no `git`). Done at `init` unless `trackCode: false`.
   */
  logCodeRef(codeRef?: Partial<CodeRef> & Record<string, unknown>, opts: { isInput?: boolean } = {}): Promise<V1RunArtifact | undefined> {
    this.assertLive("logCodeRef");
    return this.track(this.context.logCodeRef(codeRef, opts));
  }

  /**
   * Writes `outputs/env.json` and an `env` lineage reference (Polyaxon's `log_env`): `content`, else
   * host, OS, Node/V8, CPU, memory, command line and loaded ML package versions — never environment
   * variables. Done at `init` unless `trackEnv: false`. @throws RunWriteError
   */
  logEnv(content?: Record<string, unknown>): V1RunArtifact {
    this.assertLive("logEnv");
    return this.context.logEnv(content);
  }

  /** Sets `meta_info.progress` (0 ≤ value ≤ 1); like Polyaxon, a change below 0.025 is not written unless the value is 1. */
  logProgress(value: number): void {
    this.assertLive("logProgress");
    this.info.logProgress(value);
  }

  /** Adds tags to the run (kept unique, in order); `reset: true` replaces them. */
  logTags(tags: string | string[], opts: { reset?: boolean } = {}): void {
    this.assertLive("logTags");
    this.info.logTags(tags, opts.reset ?? false);
  }

  /** Renames the run (`name` in `run.plx.json`). */
  setName(name: string): void {
    this.assertLive("setName");
    this.info.setField("name", name, "setName");
  }

  /** Sets the run's `description`. */
  setDescription(description: string): void {
    this.assertLive("setDescription");
    this.info.setField("description", description, "setDescription");
  }

  // ---------------------------------------------------------------- files

  /** Records a lineage reference to a file, folder or URI without touching it. `kind` defaults to `"file"`. */
  logArtifactRef(opts: ArtifactRefOptions): Promise<V1RunArtifact> {
    this.assertLive("logArtifactRef");
    return this.track(asWriteError(this.assets.logArtifactRef(opts), "logArtifactRef"));
  }

  /** Records a lineage reference to a model (kind `model`, `framework` in the summary) without touching it. */
  logModelRef(opts: ModelRefOptions): Promise<V1RunArtifact> {
    this.assertLive("logModelRef");
    return this.track(asWriteError(this.assets.logModelRef(opts), "logModelRef"));
  }

  /**
   * With `step`: a versioned copy `assets/<kind>/<name>_<step>[.<ext>]` plus one event row.
   * Without (or `versioned: false`): moves the file/folder to `outputs/[<relPath>/]<basename>`
   * (`copy: true` keeps the source) and records a lineage reference.
   */
  logArtifact(opts: LogArtifactOptions): Promise<LoggedAsset> {
    this.assertLive("logArtifact");
    return this.track(asWriteError(this.assets.logArtifact(opts), "logArtifact"));
  }

  /** As `logArtifact` with kind `model`; `framework` goes in the lineage; non-versioned lands in `outputs/model/`. */
  logModel(opts: LogModelOptions): Promise<LoggedAsset> {
    this.assertLive("logModel");
    return this.track(asWriteError(this.assets.logModel(opts), "logModel"));
  }

  /**
   * Saves a model by letting `write(dir)` fill an empty folder inside the run, then commits it by
   * rename to `assets/model/<name>_<step>` (no copy). A failing `write` leaves nothing behind.
   */
  saveModel(opts: SaveModelOptions): Promise<LoggedAsset> {
    this.assertLive("saveModel");
    return this.track(asWriteError(this.assets.saveModel(opts), "saveModel"));
  }

  /** Logs an image file or encoded bytes to `assets/image/<name>[_<step>].<ext>` with an event row. */
  logImage(name: string | undefined, pathOrBytes: string | Uint8Array, opts: LogImageOptions = {}): Promise<LoggedAsset> {
    this.assertLive("logImage");
    return this.track(asWriteError(this.assets.logImage(name, pathOrBytes, opts), "logImage"));
  }

  /** @internal Versioned-stream bookkeeping shared by the checkpoint policies of the adapters. */
  get _versions(): VersionedStreams {
    return this.versionStreams;
  }

  /** @internal A staging folder inside the run (same file system as its assets). */
  _stagingPath(): string {
    return this.assets.stagingPath();
  }

  /** @internal Lineage records as they are now. */
  get _lineage(): LineageStore {
    return this.lineage;
  }

  // ---------------------------------------------------------------- lifecycle

  /** Waits for file operations in flight, then writes every buffered event. @throws RunWriteError */
  async flush(): Promise<void> {
    await this.settle();
    this.writer.flushSync();
    this.context.flush();
    this.lineage.persistPending();
  }

  /**
   * Ends the run: flushes, adds one lineage record per event file with its summary, puts the
   * last metric values into `outputs`, and records the final status (default `succeeded`).
   * Calling it again is a no-op.
   */
  async end(opts: { status?: "succeeded" | "failed" | "stopped" } = {}): Promise<void> {
    if (this.ended) return;
    await this.settle();
    this.finalize(opts.status ?? "succeeded", "OfflineOperation");
    await this.backgroundSync?.final();
  }

  /** Where the run is mirrored (`s3://bucket/prefix/<uuid>`), when `init` was given a `store`. */
  get storeUri(): string | undefined {
    return this.backgroundSync && `${this.backgroundSync.uri.replace(/\/+$/, "")}/${this.uuid}`;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  private finishSync(status: "succeeded" | "failed" | "stopped", reason: string): void {
    if (this.ended) return;
    this.backgroundSync?.stop(); // no async work at exit: `runtrail sync` sends the rest later
    try {
      this.finalize(status, reason);
    } catch (err) {
      process.emitWarning(`runtrail could not finish run ${this.uuid}: ${(err as Error).message}`, { code: "RUNTRAIL_WRITE_FAILED" });
    }
  }

  private finalize(status: "succeeded" | "failed" | "stopped", reason: string): void {
    // A failure (disk full, read-only folder) leaves the run live with its rows still buffered,
    // so end() can be called again once the disk is fixed (and the exit hook tries once more).
    this.context.stop();
    this.writer.flushSync();
    this.summarizeEvents();
    this.metaStore.setStatus(status, reason);
    this.ended = true;
    if (this.exitParticipant) unregisterExitParticipant(this.exitParticipant);
    this.writer.close();
  }

  /** One lineage record per event file (Polyaxon's `_sync_events_summaries`), last metric values into outputs. */
  private summarizeEvents(): void {
    // Under the run's lock, on the lineage as other processes left it (their versioned-stream keys are kept).
    this.lineage.update(() => this.summarizeEventsLocked());
  }

  private summarizeEventsLocked(): void {
    for (const dir of EVENT_DIRS) {
      const base = join(this.artifactsPath, dir);
      if (!existsSync(base)) continue;
      for (const kind of readdirSync(base)) {
        const kindDir = join(base, kind);
        let files: string[];
        try {
          files = readdirSync(kindDir).filter((f) => f.endsWith(".plx"));
        } catch {
          continue;
        }
        for (const file of files) {
          const name = file.slice(0, -4);
          const recordKind = dir === RunLayout.resources ? "system" : kind;
          const path = join(kindDir, file);
          let summary: Record<string, unknown>;
          if (kind === "metric") {
            const cols = parseMetricColumns(readFileSync(path, "utf8"), path);
            if (cols.length === 0) continue;
            summary = metricSummary(cols);
            if (dir === RunLayout.events) {
              const last = cols.values[cols.length - 1]!;
              this.metaStore.meta.outputs[name] = Number.isFinite(last) ? last : null;
            }
          } else {
            const { rows } = readEventFileSync(path, kind);
            if (rows.length === 0) continue;
            summary = eventSummary(kind, rows);
          }
          Object.assign(summary, VersionedStreams.extraKeys(this.lineage.getStream(recordKind, name)));
          this.lineage.upsert({ name, kind: recordKind, path: `${dir}/${kind}/${file}`, summary, is_input: false }, false);
        }
      }
    }
  }

  private assertLive(method: string): void {
    if (this.ended) throw new RunEndedError(this.uuid, method);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    const done = (): void => {
      this.inflight.delete(p);
    };
    p.then(done, done);
    return p;
  }

  private async settle(): Promise<void> {
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
  }
}

/** A file-system failure (disk full, read-only folder…) of a file method becomes a RunWriteError; other errors pass through. */
function asWriteError<T>(p: Promise<T>, method: string): Promise<T> {
  return p.catch((err: unknown) => {
    if (err instanceof RuntrailError || typeof (err as NodeJS.ErrnoException)?.syscall !== "string") throw err;
    throw new RunWriteError(`${method}: ${(err as Error).message}`, (err as NodeJS.ErrnoException).path, err);
  });
}
