import { readFile } from "node:fs/promises";
import { relative, sep } from "node:path";
import { BackgroundWriter, beatsPending, nextTurn } from "../../core/background-save.js";
import { monotonicClock, SaveSchedule } from "../../core/checkpoint-schedule.js";
import { CheckpointManager, type CheckpointInfo } from "../../core/checkpoints.js";
import { RunEndedError, RunWriteError } from "../../core/errors.js";
import { writeFileAtomicSync } from "../../core/fsutil.js";
import { toFqnName } from "../../core/names.js";
import { eventPath } from "../../core/paths.js";
import type { Run } from "../../core/run.js";
import { TfjsMismatchError } from "./errors.js";
import { lastStepSync } from "../../core/read/tail.js";
import { fileIOHandler } from "./file-io.js";
import { encodeOptimizerState, OptimizerStateUnsupported, snapshotModel, type OptimizerState } from "./optimizer-state.js";
import type { ResolvedOptions } from "./options.js";
import { loadWeightsInto } from "./restore-weights.js";
import type { FitParams, LayersModel, TfModule, UnresolvedLogs } from "./types.js";

/**
 * Between two batches, while a checkpoint is being written, the event loop gets turns for up to
 * this share of the last batch's duration (at least one turn), so its file I/O progresses.
 */
const YIELD_SHARE = 0.01;

/** Keys of tfjs batch logs that are bookkeeping, not metrics. */
const NOT_METRICS = new Set(["batch", "size"]);

/**
 * What `TrackingCallback` does, apart from being a tfjs callback: turns tfjs hooks into run
 * calls (metrics, inputs, model summary) and checkpoints into `CheckpointManager.save`, on the
 * core's save schedule, written by the core's background writer. Failures to write are recorded
 * and warned about, never thrown into `fit`; a bad `monitor` is.
 */
export class TfjsTracker {
  readonly run: Run;
  readonly errors: RunWriteError[] = [];
  readonly checkpoints: CheckpointManager | undefined;
  model: LayersModel | undefined;
  /** The model given in the options, which wins over the one tfjs hands to `setModel`. */
  readonly explicitModel: LayersModel | undefined;
  /** The epoch tfjs is in (for checkpoints taken every N batches). */
  epoch = 0;
  private readonly batchEvery: number;
  private readonly opts: ResolvedOptions["checkpoint"];
  private includeOptimizer: boolean;
  private step: number | undefined;
  private described = false;
  /** The model summary being written; awaited at train end rather than holding up the first batch. */
  private background: Promise<void> | undefined;
  /** When a checkpoint is due; started at the first train begin. */
  private schedule: SaveSchedule | undefined;
  /** Checkpoints being written while training goes on: one in flight, one waiting. */
  private readonly writer = new BackgroundWriter();
  private readonly batchNames = new Map<string, string>();
  /** When the previous batch ended (after this callback's own work), for the yield budget. */
  private lastBatchEnd: number | undefined;

  constructor(
    private readonly tf: TfModule,
    opts: ResolvedOptions,
  ) {
    this.run = opts.run;
    this.explicitModel = opts.model;
    this.batchEvery = opts.batchEvery;
    this.opts = opts.checkpoint;
    this.includeOptimizer = opts.checkpoint?.includeOptimizer ?? false;
    this.checkpoints = opts.checkpoint && new CheckpointManager(this.run, opts.checkpoint.policy);
  }

  /** Whether tfjs's batch values are needed at all (they are read back from the backend only then). */
  get usesBatches(): boolean {
    return this.batchEvery > 0 || this.opts?.unit === "batch";
  }

  /** Batches trained so far, continuing across fits and resumed runs. */
  get globalStep(): number {
    return this.step ?? 0;
  }

  latest(): CheckpointInfo | undefined {
    return this.checkpoints?.latest();
  }

  best(): CheckpointInfo | undefined {
    return this.checkpoints?.best();
  }

  list(): CheckpointInfo[] {
    return this.checkpoints?.list() ?? [];
  }

  async trainBegin(params: FitParams | undefined): Promise<void> {
    const model = this.model;
    if (model === undefined) throw new TfjsMismatchError("onTrainBegin");
    if (this.step === undefined) this.step = this.usesBatches ? await this.resumeStep() : 0;
    if (this.opts && !this.schedule) this.schedule = new SaveSchedule(this.opts.every, this.opts.clock ?? monotonicClock);
    // Each fit counts epochs from its initialEpoch: a second fit with this callback starts over.
    if (this.opts?.unit === "epoch") this.schedule!.resetTo(typeof params?.initialEpoch === "number" ? params.initialEpoch : 0);
    if (!this.described) {
      this.described = true;
      this.describe(model, params ?? {});
    }
  }

  async batchEnd(batch: number, logs: UnresolvedLogs | undefined): Promise<void> {
    await this.yieldToWriter();
    const step = (this.step = (this.step ?? 0) + 1);
    const log = this.batchEvery !== 0 && step % this.batchEvery === 0;
    const save = this.opts?.unit === "batch" && this.isDue(step);
    if (!log && !save) return;
    const metrics = await resolveLogs(logs);
    if (log) {
      const opts = { step };
      for (const key in metrics) this.run.logMetric(this.batchName(key), metrics[key]!, opts);
    }
    if (save) await this.checkpoint(step, metrics, { epoch: this.epoch, batch });
  }

  /**
   * fit never yields to the event loop, and a checkpoint's file I/O completes only there: while
   * one is being written, give it event-loop turns for up to {@link YIELD_SHARE} of the last
   * batch's duration (at least one turn). A no-op when nothing is being written.
   */
  async yieldToWriter(): Promise<void> {
    const now = performance.now();
    if (this.writer.busy) {
      const until = now + (this.lastBatchEnd === undefined ? 0 : now - this.lastBatchEnd) * YIELD_SHARE;
      do await nextTurn();
      while (this.writer.busy && performance.now() < until);
    }
    this.lastBatchEnd = performance.now();
  }

  async epochEnd(epoch: number, logs: UnresolvedLogs | undefined): Promise<void> {
    this.epoch = epoch;
    const metrics = await resolveLogs(logs);
    const opts = { step: epoch };
    this.run.logMetrics(metrics, opts);
    const lr = (this.model?.optimizer as { learningRate?: unknown } | undefined)?.learningRate;
    if (typeof lr === "number") this.run.logMetric("lr", lr, opts);
    // Epochs trained so far (initialEpoch included) is what the schedule counts.
    if (this.opts?.unit === "epoch" && this.isDue(epoch + 1)) await this.checkpoint(epoch, metrics, { epoch });
    // fit never yields to the event loop by itself: let the run's flush timer, signals and the
    // checkpoint being written run once per epoch.
    await nextTurn();
  }

  /**
   * Everything this callback started is awaited in its hooks; what is left is the run's own
   * buffered work, then (`restoreBestWeights`) the best checkpoint's weights go back into the model.
   */
  async trainEnd(): Promise<void> {
    await this.settle();
    await this.background;
    try {
      await this.run.flush();
    } catch (err) {
      this.nonFatal("the run could not write its buffered events at the end of training", err);
    }
    if (this.opts?.restoreBestWeights) await this.restoreBest();
  }

  /** Waits for the checkpoints being written, so that the best value and the versions are current. */
  async settle(): Promise<void> {
    await this.writer.drain();
  }

  /** Asks the schedule whether a checkpoint is due at `n` (epochs trained, or the global batch step) and moves it on. */
  private isDue(n: number): boolean {
    const due = this.schedule!.due(n);
    this.schedule!.advance(n, due);
    return due;
  }

  /**
   * Loads the best checkpoint on disk into the model and records its step in the stream's
   * lineage (`summary.restored`). A checkpoint that cannot be read rejects `fit`: the model
   * would otherwise silently keep the last weights.
   */
  private async restoreBest(): Promise<void> {
    const manager = this.checkpoints!;
    const best = manager.best();
    if (best === undefined) {
      process.emitWarning(`runtrail/tfjs: restoreBestWeights: checkpoint "${manager.name}" has no version on disk with a value of "${manager.policy.monitor}"; the model keeps its last weights.`, {
        code: "RUNTRAIL_NOTHING_RESTORED",
      });
      return;
    }
    await loadWeightsInto(this.tf, this.model!, best.path);
    const path = relative(this.run.artifactsPath, best.path).split(sep).join("/");
    const monitor = manager.policy.monitor!;
    this.run._versions.restored("model", manager.name, { step: best.step, path, monitor, value: best.metrics[monitor]! });
  }

  /**
   * Saves a checkpoint when the policy wants one: the model is snapshotted now (weights copied),
   * then written and committed by the background writer while training goes on; the train end
   * waits for it. An unknown monitor throws (fit rejects with UnknownMonitorError); a failed
   * write is recorded and training goes on.
   * @returns whether a checkpoint was started.
   */
  private async checkpoint(step: number, metrics: Record<string, number>, extra: Record<string, unknown>): Promise<boolean> {
    // One checkpoint in flight and one waiting at most: a third waits for them (never replaces
    // one), so every due checkpoint is written and at most two snapshots are held in memory.
    if (this.writer.pending().length >= 2) await this.writer.drain();
    const manager = this.checkpoints!;
    const value = manager.monitorValue(metrics);
    if (!manager.shouldSave(metrics) || (manager.policy.saveBestOnly && !beatsPending(this.writer, value, manager.mode))) return false;
    const failed = (err: unknown): void =>
      this.nonFatal(`checkpoint "${manager.name}" at step ${step} could not be saved; nothing of it was kept`, err, { name: manager.name, step }, false);
    let artifacts: Awaited<ReturnType<typeof snapshotModel>>;
    try {
      artifacts = await snapshotModel(this.model!, await this.optimizerState(this.model!));
    } catch (err) {
      failed(err);
      return true;
    }
    const run = (): Promise<void> =>
      manager.save(step, metrics, async (dir) => void (await fileIOHandler(dir).save(artifacts)), extra).then(() => undefined, failed);
    this.writer.request({ step, ...(value !== undefined && { value }), run });
    return true;
  }

  /** The optimizer's encoded state, unless disabled or unsupported (then a warning, once). */
  private async optimizerState(model: LayersModel): Promise<OptimizerState | undefined> {
    if (!this.includeOptimizer) return undefined;
    try {
      return await encodeOptimizerState(this.tf, model);
    } catch (err) {
      if (!(err instanceof OptimizerStateUnsupported)) throw err;
      this.includeOptimizer = false;
      process.emitWarning(`runtrail/tfjs: ${err.message}; checkpoints are saved without optimizer state from now on.`, {
        code: "RUNTRAIL_OPTIMIZER_STATE",
      });
      return undefined;
    }
  }

  /**
   * Parameters once (`layers` — input layers not counted —, `optimizer`, `loss`, `batch_size`,
   * `epochs`), then `outputs/model_summary.txt` in the background (awaited at train end).
   */
  private describe(model: LayersModel, params: FitParams): void {
    const inputs: Record<string, unknown> = { layers: model.layers.filter((l) => l.getClassName() !== "InputLayer").length };
    if (model.optimizer != null) inputs.optimizer = model.optimizer.getClassName();
    const loss = lossName(model.loss);
    if (loss !== undefined) inputs.loss = loss;
    if (typeof params.batchSize === "number") inputs.batch_size = params.batchSize;
    if (typeof params.epochs === "number") inputs.epochs = params.epochs;
    try {
      this.run.logInputs(inputs);
    } catch (err) {
      this.nonFatal("the training parameters could not be recorded", err);
    }
    this.background = this.writeSummary(model).catch((err: unknown) => this.nonFatal("the model summary could not be saved", err, undefined, false));
  }

  private async writeSummary(model: LayersModel): Promise<void> {
    const lines: string[] = [];
    model.summary(undefined, undefined, (...args: unknown[]) => lines.push(args.join(" ")));
    const path = this.run.getOutputsPath("model_summary.txt");
    const text = lines.join("\n") + "\n";
    // A resumed run rewrites it: atomically and only when it changed, so a kill mid-write never
    // leaves a file whose lineage hash no longer matches.
    if ((await readFile(path, "utf8").catch(() => undefined)) !== text) writeFileAtomicSync(path, text);
    await this.run.logArtifactRef({ path, name: "model_summary" });
  }

  /** Where the global batch step resumes: after the last one this run's files know of. */
  private async resumeStep(): Promise<number> {
    try {
      await this.run.flush(); // rows of an earlier fit on this run may still be buffered
    } catch (err) {
      this.nonFatal("the run could not write its buffered events", err);
    }
    const root = this.run.artifactsPath;
    let last = lastStepSync(eventPath(root, "metric", toFqnName(this.batchName("loss"))), "metric");
    if (this.opts?.unit === "batch" && this.checkpoints) {
      const ckpt = lastStepSync(eventPath(root, "model", this.checkpoints.name), "model");
      if (ckpt !== undefined && (last === undefined || ckpt > last)) last = ckpt;
    }
    return last ?? 0;
  }

  private batchName(key: string): string {
    let n = this.batchNames.get(key);
    if (n === undefined) this.batchNames.set(key, (n = `batch_${key}`));
    return n;
  }

  /** Records a failure that must not stop training; `rethrowEnded` lets "the run has ended" surface in `fit`. */
  private nonFatal(what: string, err: unknown, value?: unknown, rethrowEnded = true): void {
    if (rethrowEnded && err instanceof RunEndedError) throw err;
    const e = new RunWriteError(`runtrail/tfjs: ${what} (${(err as Error)?.message ?? String(err)}); training goes on.`, value, err);
    this.errors.push(e);
    process.emitWarning(e);
  }
}

/**
 * tfjs logs as numbers: scalar tensors are read back (then disposed, as tfjs's own callbacks
 * do) and replaced in `logs`, so later callbacks see numbers too.
 */
export async function resolveLogs(logs: UnresolvedLogs | undefined): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  if (logs == null) return out;
  let reads: Array<Promise<void>> | undefined;
  for (const key in logs) {
    if (NOT_METRICS.has(key)) continue;
    const v = logs[key]!;
    if (typeof v === "number") {
      out[key] = v;
      continue;
    }
    out[key] = Number.NaN; // keeps tfjs's key order
    (reads ??= []).push(
      v.data().then((d) => {
        const n = d[0] as number;
        logs[key] = n;
        out[key] = n;
        v.dispose();
      }),
    );
  }
  if (reads) await Promise.all(reads);
  return out;
}

function lossName(loss: unknown): unknown {
  if (typeof loss === "string") return loss;
  if (typeof loss === "function") return loss.name || "custom";
  if (Array.isArray(loss)) return loss.map(lossName);
  if (loss !== null && typeof loss === "object") return Object.fromEntries(Object.entries(loss).map(([k, v]) => [k, lossName(v)]));
  return undefined;
}
