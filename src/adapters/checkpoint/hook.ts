import { CheckpointManager, type CheckpointInfo } from "../../core/checkpoints.js";
import { InvalidValueError } from "../../core/errors.js";
import type { Run } from "../../core/run.js";
import { resolveRun } from "../../core/tracking.js";
import { checkStep } from "../../core/validate.js";
import { BackgroundWriter, beatsPending, nextTurn, type BackgroundFailure } from "../../core/background-save.js";
import { CheckpointHookClosedError, CheckpointSaveError } from "./errors.js";
import { checkHookOptions, type CheckpointHookOptions } from "./options.js";
import { monotonicClock, SaveSchedule } from "../../core/checkpoint-schedule.js";

/** Which checkpoint {@link CheckpointHook.restore} loads. */
export interface RestoreOptions {
  /** `"latest"`: the newest version on disk; `"best"`: the best by `monitor` (needs `monitor`). @default "latest" */
  which?: "latest" | "best";
}

/** Reads a checkpoint back: `path` is its folder (`assets/model/<name>_<step>`), `info` its step and metrics. */
export type CheckpointLoadFn = (path: string, info: CheckpointInfo) => unknown;

/**
 * Checkpoints any hand-written training loop: `await hook.step(step, metrics)` once per step
 * logs the metrics (`run.logMetrics(metrics, { step })`) and, when the schedule says a
 * checkpoint is due and the policy agrees (`saveBestOnly`), saves one through the core's
 * `saveModel` as `assets/model/<name>_<step>` with `framework` in the lineage. Selection and
 * retention (`monitor`, `mode`, `saveBestOnly`, `keepLast`, `keepBest`) are the core's
 * `CheckpointManager`, the same as the tfjs callback's.
 *
 * On a resumed run (`init({ runUuid })`) a new hook sees the versions still on disk and the
 * best value so far; `restore(load)` loads the latest (or best) one and the loop continues
 * from `info.step + 1`.
 *
 * @example
 * const hook = new CheckpointHook({
 *   name: "regressor", framework: "custom", every: { steps: 100 },
 *   monitor: "val_loss", keepBest: 2, keepLast: 1,
 *   save: async (dir) => writeFile(join(dir, "weights.json"), JSON.stringify(weights)),
 * });
 * const from = (await hook.restore(async (dir) => { weights = JSON.parse(await readFile(join(dir, "weights.json"), "utf8")); }))?.step ?? 0;
 * for (let step = from + 1; step <= 1000; step++) {
 *   const metrics = trainOneStep();
 *   await hook.step(step, metrics);
 * }
 * await hook.close();
 */
export class CheckpointHook<S = undefined> {
  /** The run the checkpoints and metrics go to. */
  readonly run: Run;
  /** The stream name once sanitised (`assets/model/<name>_<step>`). */
  readonly name: string;
  private readonly manager: CheckpointManager;
  private readonly schedule: SaveSchedule;
  private readonly writer: BackgroundWriter | undefined;
  private lastStep: number | undefined;
  private closed = false;

  /**
   * @throws InvalidValueError for bad options (e.g. `every` with neither `steps` nor `seconds`);
   * NoActiveRunError without `run` before `init()`.
   */
  constructor(private readonly options: CheckpointHookOptions<S>) {
    const every = checkHookOptions(options);
    this.run = resolveRun(options.run, "new CheckpointHook()");
    const { name, framework, monitor, mode, saveBestOnly, keepLast, keepBest } = options;
    this.manager = new CheckpointManager(this.run, { name, framework, monitor, mode, saveBestOnly, keepLast, keepBest });
    this.name = this.manager.name;
    this.lastStep = this.manager.latest()?.step;
    this.schedule = new SaveSchedule(every, options.clock ?? monotonicClock, this.lastStep);
    this.writer = options.background ? new BackgroundWriter() : undefined;
  }

  /**
   * Call once per training step. Logs `metrics` at `step`, then saves a checkpoint when one is
   * due. In the foreground it resolves once the checkpoint is committed; in background mode it
   * starts (or queues) the save and, while a save is in flight, waits one event-loop turn so
   * the save's file I/O progresses between steps. A background save that failed since the
   * previous call is thrown here first, before anything of this step is recorded.
   *
   * @param step a non-negative integer, not lower than the previous step.
   * @param metrics name → number, e.g. `{ loss: 0.31, val_loss: 0.35 }`. Must hold `monitor` at steps where a checkpoint is due. @default {}
   * @throws CheckpointSaveError when a save failed (`cause` is the original error);
   * UnknownMonitorError when a checkpoint is due and `metrics` lacks `monitor`;
   * InvalidValueError for a bad or decreasing step or a non-number metric.
   * @example await hook.step(step, { loss, val_loss: validationLoss() });
   */
  async step(step: number, metrics: Record<string, number> = {}): Promise<void> {
    if (this.closed) throw new CheckpointHookClosedError(this.name, "step");
    this.throwFailures();
    checkStep(step, "CheckpointHook.step");
    if (this.lastStep !== undefined && step < this.lastStep) {
      throw new InvalidValueError(
        `CheckpointHook.step: step ${step} is lower than the previous step ${this.lastStep} of checkpoint "${this.name}"; steps must not go back. To resume, call hook.restore(load) and continue from the step it returns + 1.`,
        { step, previous: this.lastStep },
      );
    }
    if (metrics === null || typeof metrics !== "object" || Array.isArray(metrics)) {
      throw new InvalidValueError("CheckpointHook.step: `metrics` must be an object of name → number.", metrics);
    }
    const values = { ...metrics };
    const due = this.schedule.due(step);
    const save = due && this.wantsSave(values);
    this.run.logMetrics(values, { step });
    this.lastStep = step;
    this.schedule.advance(step, due);
    if (save) {
      const snapshot = this.options.snapshot?.(step) as S;
      const run = () => this.manager.save(step, values, (dir) => this.options.save(dir, step, snapshot));
      if (this.writer === undefined) {
        try {
          await run();
        } catch (error) {
          throw this.saveError([{ step, error }], false);
        }
        return;
      }
      const value = this.manager.monitorValue(values);
      this.writer.request({ step, ...(value !== undefined && { value }), run });
    }
    // A loop that only awaits step() never lets the event loop run, and a save's file I/O
    // completes only there: give it one turn per step while a save is in flight.
    if (this.writer?.busy) await nextTurn();
  }

  /**
   * Loads the latest checkpoint on disk (or the best, with `{ which: "best" }`) by calling
   * `load(path, info)`, and returns its info; the loop continues from `info.step + 1`, and the
   * hook accepts steps from `info.step` on. Resolves to undefined, without calling `load`,
   * when there is no checkpoint yet. Waits for background saves first.
   *
   * @example
   * const run = await init({ runUuid });            // the run to resume
   * const hook = new CheckpointHook({ run, ...options });
   * const info = await hook.restore(async (dir) => loadWeights(dir));
   * for (let step = (info?.step ?? 0) + 1; step <= total; step++) { … }
   */
  async restore(load: CheckpointLoadFn, opts: RestoreOptions = {}): Promise<CheckpointInfo | undefined> {
    if (this.closed) throw new CheckpointHookClosedError(this.name, "restore");
    if (typeof load !== "function") {
      throw new InvalidValueError("CheckpointHook.restore: pass `load(path, info)`, a function that reads the checkpoint folder back.", load);
    }
    const which = opts.which ?? "latest";
    if (which !== "latest" && which !== "best") {
      throw new InvalidValueError(`CheckpointHook.restore: \`which\` must be "latest" or "best" (got ${JSON.stringify(which)}).`, which);
    }
    if (which === "best" && !this.options.monitor) {
      throw new InvalidValueError(`CheckpointHook.restore: { which: "best" } needs the hook's \`monitor\` option, the metric that ranks checkpoints.`, which);
    }
    await this.writer?.drain();
    const info = which === "best" ? this.manager.best() : this.manager.latest();
    if (info === undefined) return undefined;
    await load(info.path, info);
    this.lastStep = info.step;
    this.schedule.resetTo(info.step);
    return info;
  }

  /**
   * The newest checkpoint on disk, or undefined. Background saves count once committed.
   * @example const { step, path, metrics } = hook.latest() ?? {};
   */
  latest(): CheckpointInfo | undefined {
    return this.manager.latest();
  }

  /**
   * The best checkpoint on disk by `monitor`, or undefined (always without `monitor`).
   * @example console.log(`best val_loss ${hook.best()?.metrics.val_loss} at step ${hook.best()?.step}`);
   */
  best(): CheckpointInfo | undefined {
    return this.manager.best();
  }

  /**
   * Every checkpoint still on disk, oldest first.
   * @example hook.list().map((c) => c.step) // e.g. [40, 70, 100]
   */
  list(): CheckpointInfo[] {
    return this.manager.list();
  }

  /**
   * The best monitored value this stream has saved, including versions already pruned and
   * those of earlier sessions of a resumed run; undefined without `monitor` or before any save.
   * @example if (hook.bestValue !== undefined) console.log("best so far", hook.bestValue);
   */
  get bestValue(): number | undefined {
    return this.manager.bestValue;
  }

  /**
   * Waits for the background save in flight and the one waiting, then closes the hook. Throws
   * a background save's failure not reported yet. Does not end the run: call it before
   * `run.end()`. Calling it again does nothing.
   * @throws CheckpointSaveError
   * @example await hook.close(); await run.end();
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writer?.drain();
    this.throwFailures();
  }

  /** Whether the policy wants a checkpoint with these metrics; a better one still in flight or queued counts as the best so far. */
  private wantsSave(metrics: Record<string, number>): boolean {
    if (!this.manager.shouldSave(metrics)) return false;
    if (!this.options.saveBestOnly || this.writer === undefined) return true;
    return beatsPending(this.writer, this.manager.monitorValue(metrics), this.manager.mode);
  }

  private throwFailures(): void {
    const failures = this.writer?.takeFailures() ?? [];
    if (failures.length > 0) throw this.saveError(failures, true);
  }

  private saveError(failures: BackgroundFailure[], background: boolean): CheckpointSaveError {
    const first = failures[0]!;
    const reason = first.error instanceof Error ? first.error.message : String(first.error);
    const what = background ? "background save" : "save";
    const steps = failures.map((f) => f.step);
    const message =
      failures.length === 1
        ? `checkpoint "${this.name}": the ${what} of step ${first.step} failed: ${reason}`
        : `checkpoint "${this.name}": ${failures.length} ${what}s failed (steps ${steps.join(", ")}); the first: ${reason}`;
    const cause = failures.length === 1 ? first.error : new AggregateError(failures.map((f) => f.error), message);
    return new CheckpointSaveError(message, { name: this.name, step: first.step, ...(failures.length > 1 && { steps }) }, cause);
  }
}
