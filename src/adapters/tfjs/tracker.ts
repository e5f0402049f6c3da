import { readFile } from "node:fs/promises";
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
import type { FitParams, LayersModel, TfModule, UnresolvedLogs } from "./types.js";

/** Keys of tfjs batch logs that are bookkeeping, not metrics. */
const NOT_METRICS = new Set(["batch", "size"]);

/**
 * What `TrackingCallback` does, apart from being a tfjs callback: turns tfjs hooks into run
 * calls (metrics, inputs, model summary) and checkpoints into `CheckpointManager.save`.
 * Failures to write are recorded and warned about, never thrown into `fit`; a bad `monitor` is.
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
  private readonly saveEveryBatches: number;
  private includeOptimizer: boolean;
  private step: number | undefined;
  private described = false;
  /** The model summary being written; awaited at train end rather than holding up the first batch. */
  private background: Promise<void> | undefined;
  /** The checkpoint being written while training goes on (at most one). */
  private pending: Promise<void> | undefined;
  private readonly batchNames = new Map<string, string>();

  constructor(
    private readonly tf: TfModule,
    opts: ResolvedOptions,
  ) {
    this.run = opts.run;
    this.explicitModel = opts.model;
    this.batchEvery = opts.batchEvery;
    this.saveEveryBatches = opts.checkpoint?.everyBatches ?? 0;
    this.includeOptimizer = opts.checkpoint?.includeOptimizer ?? false;
    this.checkpoints = opts.checkpoint && new CheckpointManager(this.run, opts.checkpoint.policy);
  }

  /** Whether tfjs's batch values are needed at all (they are read back from the backend only then). */
  get usesBatches(): boolean {
    return this.batchEvery > 0 || this.saveEveryBatches > 0;
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
    if (!this.described) {
      this.described = true;
      this.describe(model, params ?? {});
    }
  }

  async batchEnd(batch: number, logs: UnresolvedLogs | undefined): Promise<void> {
    // fit never yields to the event loop: give a checkpoint being written a turn to progress.
    if (this.pending !== undefined) await nextTurn();
    const step = (this.step = (this.step ?? 0) + 1);
    const log = this.batchEvery !== 0 && step % this.batchEvery === 0;
    const save = this.saveEveryBatches !== 0 && step % this.saveEveryBatches === 0;
    if (!log && !save) return;
    const metrics = await resolveLogs(logs);
    if (log) {
      const opts = { step };
      for (const key in metrics) this.run.logMetric(this.batchName(key), metrics[key]!, opts);
    }
    if (save) await this.checkpoint(step, metrics, { epoch: this.epoch, batch });
  }

  async epochEnd(epoch: number, logs: UnresolvedLogs | undefined): Promise<void> {
    this.epoch = epoch;
    const metrics = await resolveLogs(logs);
    const opts = { step: epoch };
    this.run.logMetrics(metrics, opts);
    const lr = (this.model?.optimizer as { learningRate?: unknown } | undefined)?.learningRate;
    if (typeof lr === "number") this.run.logMetric("lr", lr, opts);
    const wrote = this.checkpoints !== undefined && this.saveEveryBatches === 0 && (await this.checkpoint(epoch, metrics, { epoch }));
    // fit never yields to the event loop by itself: let the run's flush timer and signals run once per epoch.
    if (!wrote) await nextTurn();
  }

  /** Everything this callback started is awaited in its hooks; what is left is the run's own buffered work. */
  async trainEnd(): Promise<void> {
    await this.settle();
    await this.background;
    try {
      await this.run.flush();
    } catch (err) {
      this.nonFatal("the run could not write its buffered events at the end of training", err);
    }
  }

  /** Waits for the checkpoint being written, so that the best value and the versions are current. */
  async settle(): Promise<void> {
    while (this.pending !== undefined) await this.pending;
  }

  /**
   * Saves a checkpoint when the policy wants one: the model is snapshotted now (weights copied),
   * then written and committed while training goes on; the next checkpoint or the train end
   * waits for it. An unknown monitor throws (fit rejects with UnknownMonitorError); a failed
   * write is recorded and training goes on.
   * @returns whether a checkpoint was started.
   */
  private async checkpoint(step: number, metrics: Record<string, number>, extra: Record<string, unknown>): Promise<boolean> {
    await this.settle();
    const manager = this.checkpoints!;
    if (!manager.shouldSave(metrics)) return false;
    const failed = (err: unknown): void =>
      this.nonFatal(`checkpoint "${manager.name}" at step ${step} could not be saved; nothing of it was kept`, err, { name: manager.name, step }, false);
    let artifacts: Awaited<ReturnType<typeof snapshotModel>>;
    try {
      artifacts = await snapshotModel(this.model!, await this.optimizerState(this.model!));
    } catch (err) {
      failed(err);
      return true;
    }
    const job: Promise<void> = manager.save(step, metrics, async (dir) => void (await fileIOHandler(dir).save(artifacts)), extra).then(
      () => undefined,
      failed,
    );
    this.pending = job;
    void job.then(() => {
      if (this.pending === job) this.pending = undefined;
    });
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
    if (this.saveEveryBatches > 0 && this.checkpoints) {
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

/** One turn of the event loop (timers, I/O callbacks), then back. */
function nextTurn(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

function lossName(loss: unknown): unknown {
  if (typeof loss === "string") return loss;
  if (typeof loss === "function") return loss.name || "custom";
  if (Array.isArray(loss)) return loss.map(lossName);
  if (loss !== null && typeof loss === "object") return Object.fromEntries(Object.entries(loss).map(([k, v]) => [k, lossName(v)]));
  return undefined;
}
