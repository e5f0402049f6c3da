import { writeFile } from "node:fs/promises";
import { CheckpointManager, UnknownMonitorError, type CheckpointInfo } from "../../core/checkpoints.js";
import { RunEndedError, RunWriteError } from "../../core/errors.js";
import { toFqnName } from "../../core/names.js";
import { eventPath } from "../../core/paths.js";
import type { Run } from "../../core/run.js";
import { TfjsMismatchError } from "./errors.js";
import { lastStep } from "./last-step.js";
import { encodeOptimizerState, OptimizerStateUnsupported, saveLayersModel, type OptimizerState } from "./optimizer-state.js";
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
      await this.describe(model, params ?? {});
    }
  }

  async batchEnd(batch: number, logs: UnresolvedLogs | undefined): Promise<void> {
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
    if (!wrote) await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Everything this callback started is awaited in its hooks; what is left is the run's own buffered work. */
  async trainEnd(): Promise<void> {
    try {
      await this.run.flush();
    } catch (err) {
      this.nonFatal("the run could not write its buffered events at the end of training", err);
    }
  }

  /**
   * Saves a checkpoint when the policy wants one. An unknown monitor throws (fit rejects with
   * UnknownMonitorError); a failed write is recorded and training goes on.
   * @returns whether anything was written (or attempted).
   */
  private async checkpoint(step: number, metrics: Record<string, number>, extra: Record<string, unknown>): Promise<boolean> {
    const manager = this.checkpoints!;
    if (!manager.shouldSave(metrics)) return false;
    const model = this.model!;
    try {
      await manager.save(step, metrics, (dir) => this.write(model, dir), extra);
    } catch (err) {
      if (err instanceof UnknownMonitorError) throw err;
      this.nonFatal(`checkpoint "${manager.name}" at step ${step} could not be saved; nothing of it was kept`, err, { name: manager.name, step });
    }
    return true;
  }

  private async write(model: LayersModel, dir: string): Promise<void> {
    let state: OptimizerState | undefined;
    if (this.includeOptimizer) {
      try {
        state = await encodeOptimizerState(this.tf, model);
      } catch (err) {
        if (!(err instanceof OptimizerStateUnsupported)) throw err;
        this.includeOptimizer = false;
        process.emitWarning(`runtrail/tfjs: ${err.message}; checkpoints are saved without optimizer state from now on.`, {
          code: "RUNTRAIL_OPTIMIZER_STATE",
        });
      }
    }
    await saveLayersModel(model, dir, state);
  }

  /** Parameters once (`layers` — input layers not counted —, `optimizer`, `loss`, `batch_size`, `epochs`) and `outputs/model_summary.txt`. */
  private async describe(model: LayersModel, params: FitParams): Promise<void> {
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
    try {
      const lines: string[] = [];
      model.summary(undefined, undefined, (...args: unknown[]) => lines.push(args.join(" ")));
      const path = this.run.getOutputsPath("model_summary.txt");
      await writeFile(path, lines.join("\n") + "\n", "utf8");
      await this.run.logArtifactRef({ path, name: "model_summary" });
    } catch (err) {
      this.nonFatal("the model summary could not be saved", err);
    }
  }

  /** Where the global batch step resumes: after the last one this run's files know of. */
  private async resumeStep(): Promise<number> {
    try {
      await this.run.flush(); // rows of an earlier fit on this run may still be buffered
    } catch (err) {
      this.nonFatal("the run could not write its buffered events", err);
    }
    const root = this.run.artifactsPath;
    let last = lastStep(eventPath(root, "metric", toFqnName(this.batchName("loss"))));
    if (this.saveEveryBatches > 0 && this.checkpoints) {
      const ckpt = lastStep(eventPath(root, "model", this.checkpoints.name));
      if (ckpt !== undefined && (last === undefined || ckpt > last)) last = ckpt;
    }
    return last ?? 0;
  }

  private batchName(key: string): string {
    let n = this.batchNames.get(key);
    if (n === undefined) this.batchNames.set(key, (n = `batch_${key}`));
    return n;
  }

  private nonFatal(what: string, err: unknown, value?: unknown): void {
    if (err instanceof RunEndedError) throw err;
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
