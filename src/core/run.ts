import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { AssetLogger, removeAbandoned, type ArtifactRefOptions, type LoggedAsset, type LogArtifactOptions, type LogImageOptions, type LogModelOptions, type ModelRefOptions, type SaveModelOptions } from "./assets.js";
import { histogram as npHistogram } from "./curves.js";
import { sklearnCurves, sklearnPrCurve, sklearnRocCurve, type ClassCurve } from "./sklearn-curves.js";
import { logAudioEvent, logDataframeEvent, logVideoEvent, type LogAudioOptions, type LogDataframeOptions, type LogVideoOptions } from "./media-events.js";
import { checkDataRef, contentOnlySummary, dirRefName, plainRef, tensorboardRef, type DataRefOptions, type PathRefOptions, type TensorboardRefOptions } from "./refs.js";
import type { DataframeRow } from "./dataframe.js";
import { prunedCompanionValue } from "./pruned-versions.js";
import { checkProgress, normalizeTags, ProgressThrottle } from "./meta-calls.js";
import { spanValue, type SpanValue } from "./trace.js";
import { InvalidValueError, RunEndedError, RuntrailError, RunWriteError } from "./errors.js";
import { readRegularTextSync } from "./fs-safe.js";
import { checkFolderPath, checkInitOptions } from "./init-options.js";
import { assignOwn, setOwn } from "./own-props.js";
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
import { checkNumbers, checkRecord, checkStep, checkTimestamp, show } from "./validate.js";
import { VersionedStreams } from "./versioned.js";
import type { BackgroundSync } from "../store/background-sync.js";
import type { S3StoreOptions } from "../store/s3-location.js";
import type { StoreLayer } from "./store-layer.js";
import { RunContext } from "./context/run-context.js";
import { resolveContextOptions, type ContextOptions } from "./context/options.js";
import type { CodeRef } from "./context/coderef.js";
import { lazyCrypto } from "./builtins.js";

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
  /** How often buffered events are written, in whole ms from 0 to 2³¹−1. Default 1000. 0 writes only on flush/end/exit or full chunks. */
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
  /** Interval of the background sync, in whole ms from 0 to 2³¹−1. Default 10 000; 0 syncs only at `end()`. */
  syncIntervalMs?: number;
}

/** Per-call options of metric logging. */
export interface StepOptions {
  step?: number;
  /** A Date or epoch ms. Default: now. */
  timestamp?: Date | number;
}

/** Per-call options of event logging: the row's step and time (a Date or epoch ms, default now). */
export interface EventOptions {
  step?: number;
  timestamp?: Date | number;
}

/** Options of `logSklearnRocAucCurve` / `logSklearnPrCurve`. */
export interface SklearnCurveOptions extends EventOptions {
  /** `yPreds` holds one row of class scores per sample; one curve `<name>_<i>` per class (one-vs-rest). Default false. */
  isMultiClass?: boolean;
}

/** Options of `logSucceeded` / `logFailed` / `logStopped`: the status condition's `message` and `reason`. */
export interface StatusOptions {
  /** Default: Polyaxon's message for the status ("Operation has succeeded", …). */
  message?: string;
  /** Default `"PolyaxonClient"`, as Polyaxon's client. */
  reason?: string;
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
  private readonly progressThrottle = new ProgressThrottle();
  private readonly backgroundSync: BackgroundSync | undefined;
  private readonly context: RunContext;

  /**
   * @internal Use {@link init}. `storeLayer` is the S3 store's code, which `init` loads only
   * when `store` is given (so `import "runtrail"` loads none of it).
   */
  constructor(opts: InitOptions = {}, storeLayer?: StoreLayer) {
    checkInitOptions(opts);
    if (opts.store !== undefined && storeLayer === undefined) {
      throw new InvalidValueError("the `store` option needs the store layer, which `init()` loads: create the run with `await init({ store, … })`.", opts.store);
    }
    storeLayer?.parseS3Uri(opts.store!); // a bad location fails before anything is written
    let uuid = opts.runUuid;
    if (uuid !== undefined && (typeof uuid !== "string" || !RUN_UUID_RE.test(uuid))) {
      throw new InvalidValueError(
        `runUuid must be 32 lowercase hex characters (like "${lazyCrypto().randomUUID().replace(/-/g, "")}"), got ${show(uuid)}.`,
        uuid,
      );
    }
    let root: string;
    if (opts.artifactsPath !== undefined) {
      root = resolve(opts.artifactsPath);
      checkFolderPath(root, "artifactsPath");
      if (uuid === undefined) {
        const existing = existsSync(join(root, RunLayout.runMeta)) ? RunMetaStore.peekUuid(join(root, RunLayout.runMeta)) : undefined;
        uuid = existing ?? lazyCrypto().randomUUID().replace(/-/g, "");
      }
    } else {
      uuid ??= lazyCrypto().randomUUID().replace(/-/g, "");
      const offlineRoot = resolve(opts.offlineRoot ?? process.env.POLYAXON_OFFLINE_ROOT ?? "./plx");
      root = join(offlineRoot, "runs", uuid);
      checkFolderPath(root, opts.offlineRoot === undefined && process.env.POLYAXON_OFFLINE_ROOT ? "POLYAXON_OFFLINE_ROOT" : "offlineRoot");
    }
    this.uuid = uuid;
    this.artifactsPath = root;
    const contextSettings = resolveContextOptions(opts, existsSync(join(root, RunLayout.runMeta)));
    for (const d of [RunLayout.outputs, RunLayout.events, RunLayout.assets]) {
      try {
        mkdirSync(join(root, d), { recursive: true });
      } catch (err) {
        throw new RunWriteError(`could not create the run folder ${join(root, d)}: ${(err as Error).message}. Check the path and its permissions.`, root, err);
      }
    }
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
    if (opts.store !== undefined && storeLayer) {
      this.backgroundSync = new storeLayer.BackgroundSync(root, opts.store, opts.storeOptions ?? {}, opts.syncIntervalMs ?? 10_000);
    }
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
    // As Polyaxon's `_log_has_metrics`: a metric is an event too.
    const changed = [this.metaStore.flag("has_metrics"), this.metaStore.flag("has_events")];
    if (changed.includes(true)) this.persistMetaInBackground();
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
  logCurve(name: string, x: ArrayLike<number>, y: ArrayLike<number>, opts: EventOptions & { annotation?: string | number } = {}): void {
    this.curve("custom", name, x, y, opts.annotation, opts, "logCurve");
  }

  /**
   * Logs a computed ROC curve (`kind: "roc"`, x = fpr, y = tpr, the AUC as annotation), as
   * Polyaxon's `log_roc_auc_curve(name, fpr, tpr, auc)`. To compute it from scores, see {@link logSklearnRocAucCurve}.
   */
  logRocAucCurve(name: string, fpr: ArrayLike<number>, tpr: ArrayLike<number>, auc?: number, opts: EventOptions = {}): void {
    this.curve("roc", name, fpr, tpr, auc, opts, "logRocAucCurve");
  }

  /**
   * Logs a computed precision–recall curve (`kind: "pr"`, x = precision, y = recall, the average
   * precision as annotation), as Polyaxon's `log_pr_curve`. To compute it from scores, see {@link logSklearnPrCurve}.
   */
  logPrCurve(name: string, precision: ArrayLike<number>, recall: ArrayLike<number>, averagePrecision?: number, opts: EventOptions = {}): void {
    this.curve("pr", name, precision, recall, averagePrecision, opts, "logPrCurve");
  }

  /**
   * Computes and logs ROC curves exactly as scikit-learn does (`roc_curve` with
   * `drop_intermediate=True`, then `auc`), as Polyaxon's `log_sklearn_roc_auc_curve(name, y_preds, y_targets)`.
   * Binary: `yPreds` are scores, `yTargets` 0/1 (or -1/1). With `isMultiClass`, `yPreds` holds one
   * row of class scores per sample and one curve `<name>_<i>` is logged per sorted distinct target (one-vs-rest).
   * @returns the AUC of each logged curve, in class order (one value for a binary curve).
   */
  logSklearnRocAucCurve(name: string, yPreds: ArrayLike<number> | ArrayLike<number>[], yTargets: ArrayLike<number> | string[], opts: SklearnCurveOptions = {}): number[] {
    const m = "logSklearnRocAucCurve";
    const curves = sklearnCurves(yPreds, yTargets, !!opts.isMultiClass, m, sklearnRocCurve);
    return this.sklearnEvents(name, curves, opts, m, (r) => ["roc", r.fpr, r.tpr, r.auc]);
  }

  /**
   * Computes and logs precision–recall curves exactly as scikit-learn does
   * (`precision_recall_curve`, `average_precision_score`), as Polyaxon's `log_sklearn_pr_curve`;
   * arguments as {@link logSklearnRocAucCurve}.
   * @returns the average precision of each logged curve, in class order.
   */
  logSklearnPrCurve(name: string, yPreds: ArrayLike<number> | ArrayLike<number>[], yTargets: ArrayLike<number> | string[], opts: SklearnCurveOptions = {}): number[] {
    const m = "logSklearnPrCurve";
    const curves = sklearnCurves(yPreds, yTargets, !!opts.isMultiClass, m, sklearnPrCurve);
    return this.sklearnEvents(name, curves, opts, m, (r) => ["pr", r.precision, r.recall, r.averagePrecision]);
  }

  private sklearnEvents<R>(
    name: string,
    curves: ClassCurve<R>[],
    opts: SklearnCurveOptions,
    method: string,
    point: (r: R) => [CurveValue["kind"], number[], number[], number],
  ): number[] {
    const base = toFqnName(name);
    const names = curves.map((c) => (opts.isMultiClass ? `${base}_${c.index}` : base));
    if (opts.step !== undefined) checkStep(opts.step, method);
    if (opts.timestamp !== undefined) checkTimestamp(opts.timestamp, method);
    return curves.map((c, i) => {
      const [kind, x, y, score] = point(c.result);
      // sklearn's score is always written (`str(auc)`), even when it is 0.
      this.curve(kind, names[i]!, x, y, pyFloatRepr(score), opts, method);
      return score;
    });
  }

  private curve(
    kind: CurveValue["kind"],
    name: string,
    xIn: ArrayLike<number>,
    yIn: ArrayLike<number>,
    annotation: string | number | undefined,
    opts: EventOptions,
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
    this.event("curve", name, value, opts, method);
  }

  /** Logs a confusion matrix: labels `x` and `y` and a square matrix `z` (`z.length === x.length`). */
  logConfusionMatrix(name: string, x: Array<string | number>, y: Array<string | number>, z: number[][], opts: EventOptions = {}): void {
    const m = "logConfusionMatrix";
    if (!Array.isArray(x) || !Array.isArray(y) || !Array.isArray(z)) throw new InvalidValueError(`${m}: x, y and z must be arrays.`, { x, y, z });
    if (x.length !== y.length || z.length !== x.length) {
      throw new InvalidValueError(`${m}: x, y and z must have the same length (got ${x.length}, ${y.length}, ${z.length}).`, { x, y });
    }
    z.forEach((row, i) => {
      checkNumbers(row, `z[${i}]`, m);
      if (row.length !== z.length) throw new InvalidValueError(`${m}: z must be square; row ${i} has ${row.length} values, expected ${z.length}.`, row);
    });
    this.event("confusion", name, { x, y, z }, opts, m);
  }

  /**
   * Logs a histogram. Pass raw values (binned here like `np.histogram`, `bins` default 10) or a
   * precomputed `{ values, counts }` in Polyaxon's layout (`values` = n bin counts, `counts` = n+1 edges).
   */
  logHistogram(
    name: string,
    data: ArrayLike<number> | { values: ArrayLike<number>; counts: ArrayLike<number> },
    opts: EventOptions & { bins?: number } = {},
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
    this.event("histogram", name, { values, counts }, opts, m);
  }

  /** Logs text (JSONL `events/text/<name>.plx`). */
  logText(name: string, text: string, opts: EventOptions = {}): void {
    if (typeof text !== "string") throw new InvalidValueError(`logText: text must be a string (got ${typeof text}).`, text);
    this.event("text", name, text, opts, "logText");
  }

  /** Logs an HTML snippet (JSONL `events/html/<name>.plx`). */
  logHtml(name: string, html: string, opts: EventOptions = {}): void {
    if (typeof html !== "string") throw new InvalidValueError(`logHtml: html must be a string (got ${typeof html}).`, html);
    this.event("html", name, html, opts, "logHtml");
  }

  /** Logs a chart figure (vega-lite spec by default; plotly or bokeh JSON with `kind`). */
  logChart(name: string, figure: Record<string, unknown>, opts: EventOptions & { kind?: ChartValue["kind"] } = {}): void {
    const kind = opts.kind ?? "vega";
    if (kind !== "vega" && kind !== "plotly" && kind !== "bokeh") throw new InvalidValueError(`logChart: kind must be "vega", "plotly" or "bokeh" (got ${show(kind)}).`, kind);
    if (figure === null || typeof figure !== "object" || Array.isArray(figure)) throw new InvalidValueError("logChart: figure must be a JSON object.", figure);
    this.event("chart", name, { kind, figure }, opts, "logChart");
  }

  /**
   * Logs a trace span (an LLM call, a chain, a tool…) to `events/span/<span.name or "trace">.plx`
   * (JSONL, double-encoded), sets `meta_info.has_traces`, and merges the span's `inputs` /
   * `outputs` into the run's, as Polyaxon's `log_trace`.
   */
  logTrace(span: SpanValue, opts: EventOptions = {}): void {
    const m = "logTrace";
    this.assertLive(m);
    const value = spanValue(span);
    const name = typeof value.name === "string" && value.name !== "" ? value.name : "trace";
    this.event("span", name, value, opts, m);
    if (this.metaStore.flag("has_traces")) this.persistMetaInBackground();
    if (span.inputs && Object.keys(span.inputs).length > 0) this.logInputs(span.inputs);
    if (span.outputs && Object.keys(span.outputs).length > 0) this.logOutputs(span.outputs);
  }

  private event(kind: string, name: string, value: unknown, opts: EventOptions, method: string): void {
    this.assertLive(method);
    const n = toFqnName(name);
    const step = opts.step;
    if (step !== undefined) checkStep(step, method);
    const ts = pyTimestamp(opts.timestamp === undefined ? Date.now() : checkTimestamp(opts.timestamp, method));
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

  /** Merges parameters into the run's `inputs` (hyper-parameters, data versions…). Keys pass through `to_fqn_name`, as Polyaxon's client does. */
  logInputs(values: Record<string, unknown>): void {
    this.assertLive("logInputs");
    assignOwn(this.metaStore.meta.inputs, fqnKeys(checkRecord(values, "logInputs")));
    this.metaStore.persist();
  }

  /**
   * Merges values into the run's `outputs` (final scores…). Keys pass through `to_fqn_name`, so
   * `val/acc` is stored as `val__acc`, the key the last value of metric `val/acc` gets at `end()`.
   */
  logOutputs(values: Record<string, unknown>): void {
    this.assertLive("logOutputs");
    assignOwn(this.metaStore.meta.outputs, fqnKeys(checkRecord(values, "logOutputs")));
    this.metaStore.persist();
  }

  /** Adds tags to the run (`reset: true` replaces them), as Polyaxon's `log_tags`: a list or a comma-separated string. */
  logTags(tags: string | string[], opts: { reset?: boolean } = {}): void {
    this.assertLive("logTags");
    const add = normalizeTags(tags, "logTags");
    const current = opts.reset ? [] : [...(this.metaStore.meta.tags ?? [])];
    for (const t of add) if (!current.includes(t)) current.push(t);
    this.metaStore.meta.tags = current;
    this.metaStore.persist();
  }

  /** Renames the run (`name` in `run.plx.json`), as Polyaxon's `set_name`. */
  setName(name: string): void {
    this.setField("name", name, "setName");
  }

  /** Sets the run's description, as Polyaxon's `set_description`. */
  setDescription(description: string): void {
    this.setField("description", description, "setDescription");
  }

  /** Sets the run's readme (markdown, kept as `readme` in `run.plx.json`), as Polyaxon's `set_readme`. */
  setReadme(readme: string): void {
    this.setField("readme", readme, "setReadme");
  }

  private setField(field: "name" | "description" | "readme", value: string, method: string): void {
    this.assertLive(method);
    if (typeof value !== "string") throw new InvalidValueError(`${method}: pass a string (got ${show(value)}).`, value);
    this.metaStore.meta[field] = value;
    this.metaStore.persist();
  }

  /**
   * Records the run's progress (0 to 1) as `meta_info.progress`, as Polyaxon's `log_progress`
   * (an unchanged value, or a step under 0.025 after three updates in one second, is skipped).
   */
  logProgress(value: number): void {
    this.assertLive("logProgress");
    const v = checkProgress(value);
    const current = typeof this.metaStore.meta.meta_info.progress === "number" ? this.metaStore.meta.meta_info.progress : 0;
    if (current === v || this.progressThrottle.skip(current, v)) return;
    this.metaStore.meta.meta_info.progress = v;
    this.metaStore.persist();
  }

  // ---------------------------------------------------------------- context

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

  /**
   * Logs audio to `assets/audio/<name>[_<step>].<ext>` with an `audio` event row: a file path,
   * encoded bytes, or mono samples in [-1, 1] (written as a 16-bit WAV, as Polyaxon's `log_audio`).
   * `sample_rate`, `num_channels` and `length_frames` come from the WAV header when there is one.
   */
  logAudio(data: string | Uint8Array | Float32Array | Float64Array | number[], opts: LogAudioOptions = {}): Promise<LoggedAsset> {
    this.assertLive("logAudio");
    return this.track(asWriteError(logAudioEvent(this.assets, data, opts), "logAudio"));
  }

  /** Logs a video file or its encoded bytes to `assets/video/<name>[_<step>].<ext>` with a `video` row (size read from a GIF/MP4 header). */
  logVideo(data: string | Uint8Array, opts: LogVideoOptions = {}): Promise<LoggedAsset> {
    this.assertLive("logVideo");
    return this.track(asWriteError(logVideoEvent(this.assets, data, opts), "logVideo"));
  }

  /**
   * Logs a table to `assets/dataframe/<name>[_<step>].<csv|html>` with a `dataframe` row: rows of
   * objects (written as pandas' `DataFrame(rows).to_csv()` would) or the path of a CSV/HTML file.
   */
  logDataframe(name: string, rowsOrPath: readonly DataframeRow[] | string, opts: LogDataframeOptions = {}): Promise<LoggedAsset> {
    this.assertLive("logDataframe");
    return this.track(asWriteError(logDataframeEvent(this.assets, name, rowsOrPath, opts), "logDataframe"));
  }

  /**
   * A data set reference (kind `data`, `is_input` true by default), by content only (its
   * `hash_value` is recorded), by path (hashed when local), or both, as Polyaxon's `log_data_ref`.
   */
  logDataRef(opts: DataRefOptions): Promise<V1RunArtifact> {
    this.assertLive("logDataRef");
    const log = async (): Promise<V1RunArtifact> => {
      checkDataRef(opts);
      const isInput = opts.isInput ?? true;
      if (opts.path === undefined) {
        return plainRef(this.artifactsPath, this.lineage, { name: opts.name, kind: "data", summary: contentOnlySummary(opts), isInput });
      }
      const { hash, ...summary } = contentOnlySummary(opts);
      return this.assets.logArtifactRef({ path: opts.path, kind: "data", name: opts.name, summary, isInput, ...(typeof hash === "string" && { hash }) });
    };
    return this.track(asWriteError(log(), "logDataRef"));
  }

  /** A file reference (kind `file`); the default name is the base name up to its first dot, as Polyaxon's `log_file_ref`. */
  logFileRef(opts: PathRefOptions): Promise<V1RunArtifact> {
    return this.logArtifactRef({ ...opts, kind: "file" });
  }

  /** A folder reference (kind `dir`); the default name is the folder's whole base name (`my.data` → `my-data`), as Polyaxon's `log_dir_ref`. */
  logDirRef(opts: PathRefOptions): Promise<V1RunArtifact> {
    return this.logArtifactRef({ ...opts, kind: "dir", name: opts.name ?? dirRefName(opts?.path ?? "") });
  }

  /**
   * `<run>/outputs/<relPath>` (default `outputs/tensorboard`; its parent is created) for a
   * TensorBoard log folder, recorded once as a `tensorboard` reference, as Polyaxon's `get_tensorboard_path`.
   */
  getTensorboardPath(relPath = "tensorboard"): string {
    this.assertLive("getTensorboardPath");
    const path = this.getOutputsPath(relPath);
    this.logTensorboardRef(path);
    return path;
  }

  /**
   * Records a TensorBoard log folder (kind `tensorboard`, no hash) and sets
   * `meta_info.has_tensorboard`, once per run, as Polyaxon's `log_tensorboard_ref`. Default path:
   * `outputs/tensorboard`. Returns undefined when the run already has one.
   */
  logTensorboardRef(path?: string, opts: TensorboardRefOptions = {}): V1RunArtifact | undefined {
    this.assertLive("logTensorboardRef");
    return tensorboardRef(this.artifactsPath, this.lineage, this.metaStore, path ?? join(this.artifactsPath, RunLayout.outputs, "tensorboard"), opts);
  }

  /** @internal Versioned-stream bookkeeping shared by the checkpoint policies of the adapters. */
  get _versions(): VersionedStreams {
    return this.versionStreams;
  }

  /**
   * @internal Appends the companion row that marks `steps` of a versioned stream as deleted
   * (see pruned-versions.ts); written at once, after the files are gone.
   */
  _markPruned(kind: string, name: string, steps: readonly number[]): void {
    const st = this.versionStreams.get(kind, name);
    if (steps.length === 0 || !st.latest) return;
    const value = prunedCompanionValue(st.latest, st.framework, steps);
    this.writer.appendNow(this.writer.stream(kind, name), `\n${st.latest.step}|${pyTimestamp(Date.now())}|${csvValue(kind, value)}`);
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
  async end(opts: { status?: "succeeded" | "failed" | "stopped" } & StatusOptions = {}): Promise<void> {
    if (this.ended) return;
    await this.settle();
    // Python's `Run._end` calls `log_succeeded()`, whose reason defaults to "PolyaxonClient".
    this.finalize(opts.status ?? "succeeded", opts.reason ?? "PolyaxonClient", opts.message);
    await this.backgroundSync?.final();
  }

  /** Ends the run as `succeeded` with Polyaxon's default reason `PolyaxonClient` (`log_succeeded`). A no-op on an ended run. */
  logSucceeded(opts: StatusOptions = {}): Promise<void> {
    return this.end({ status: "succeeded", ...opts });
  }

  /** Ends the run as `failed` (`log_failed`): pass the `message` (what went wrong) and a `reason`. */
  logFailed(opts: StatusOptions = {}): Promise<void> {
    return this.end({ status: "failed", ...opts });
  }

  /** Ends the run as `stopped` (`log_stopped`). */
  logStopped(opts: StatusOptions = {}): Promise<void> {
    return this.end({ status: "stopped", ...opts });
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

  private finalize(status: "succeeded" | "failed" | "stopped", reason: string, message?: string): void {
    // A failure (disk full, read-only folder) leaves the run live with its rows still buffered,
    // so end() can be called again once the disk is fixed (and the exit hook tries once more).
    this.context.stop();
    this.writer.flushSync();
    this.summarizeEvents();
    this.metaStore.setStatus(status, reason, message);
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
            const cols = parseMetricColumns(readRegularTextSync(path, "summarizing the run's events"), path);
            if (cols.length === 0) continue;
            summary = metricSummary(cols);
            if (dir === RunLayout.events) {
              const last = cols.values[cols.length - 1]!;
              setOwn(this.metaStore.meta.outputs, name, Number.isFinite(last) ? last : null);
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

/** The keys of `values` through `to_fqn_name`, all checked before any is used. */
/** The same values under Polyaxon's `to_fqn_name` keys (own properties, `__proto__` included). */
function fqnKeys(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [toFqnName(k), v]));
}

/** A file-system failure (disk full, read-only folder…) of a file method becomes a RunWriteError; other errors pass through. */
function asWriteError<T>(p: Promise<T>, method: string): Promise<T> {
  return p.catch((err: unknown) => {
    if (err instanceof RuntrailError || typeof (err as NodeJS.ErrnoException)?.syscall !== "string") throw err;
    throw new RunWriteError(`${method}: ${(err as Error).message}`, (err as NodeJS.ErrnoException).path, err);
  });
}
