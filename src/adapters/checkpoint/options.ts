import { InvalidValueError } from "../../core/errors.js";
import type { RetentionOptions } from "../../core/retention.js";
import type { Run } from "../../core/run.js";
import { checkEvery, type Clock, type SaveEvery } from "../../core/checkpoint-schedule.js";

/**
 * Writes one checkpoint into `dir`, an existing, empty folder inside the run that is committed
 * by rename to `assets/model/<name>_<step>` once the promise resolves. `snapshot` is what the
 * hook's `snapshot(step)` option returned at that step (undefined without it).
 */
export type CheckpointSaveFn<S> = (dir: string, step: number, snapshot: S) => Promise<void>;

/**
 * Options of a {@link CheckpointHook}. The retention options (`monitor`, `mode`, `saveBestOnly`,
 * `keepLast`, `keepBest`) are the ones of the tfjs callback, applied by the same code.
 *
 * @example
 * {
 *   name: "regressor", framework: "custom", every: { steps: 100 },
 *   monitor: "val_loss", keepBest: 2, keepLast: 1,
 *   snapshot: () => Float32Array.from(weights),
 *   save: async (dir, step, weights) => writeFile(join(dir, "weights.bin"), weights),
 * }
 */
export interface CheckpointHookOptions<S = undefined> extends RetentionOptions {
  /** Run to log to. @default the default run (the latest `init()` / `tracking.init()`) */
  run?: Run;
  /** Stream name: versions are `assets/model/<name>_<step>`, rows `events/model/<name>.plx`. Sanitised with Polyaxon's `to_fqn_name`. */
  name: string;
  /** Recorded in the lineage of every version, e.g. `"custom"`, `"brainjs"`, `"tfjs"`. */
  framework: string;
  /** Writes one checkpoint into an existing, empty folder. See {@link CheckpointSaveFn}. */
  save: CheckpointSaveFn<S>;
  /** When a checkpoint is due: every N steps, every S seconds of wall time, or both. No default. */
  every: SaveEvery;
  /**
   * Write checkpoints while the loop goes on: at most one save in flight; a newer request
   * replaces one still waiting; `close()` waits for both; a failed save is thrown by the next
   * `step()` or by `close()`. Needs `snapshot`, since the loop changes the weights meanwhile.
   * @default false
   */
  background?: boolean;
  /**
   * Captures the state to save, synchronously inside `step()` when a checkpoint is due; the
   * result is passed to `save` as its third argument. Copy what the loop will change (e.g.
   * `Float32Array.from(weights)`). Required with `background: true`. @default none
   */
  snapshot?: (step: number) => S;
  /** Milliseconds for `every.seconds`; inject a fake clock in tests. @default `performance.now` */
  clock?: Clock;
}

/** Checks the options that are the hook's own (retention options are checked by the core). */
export function checkHookOptions<S>(opts: CheckpointHookOptions<S>): SaveEvery {
  const where = "CheckpointHook";
  if (opts === null || typeof opts !== "object") {
    throw new InvalidValueError(`${where}: pass an options object { name, framework, save, every, … }.`, opts);
  }
  if (typeof opts.framework !== "string" || opts.framework.length === 0) {
    throw new InvalidValueError(`${where}: \`framework\` is required, a non-empty string recorded in the lineage (e.g. "custom").`, opts.framework);
  }
  if (typeof opts.save !== "function") {
    throw new InvalidValueError(`${where}: \`save(dir, step)\` must be a function that writes the checkpoint into \`dir\`.`, opts.save);
  }
  if (opts.snapshot !== undefined && typeof opts.snapshot !== "function") {
    throw new InvalidValueError(`${where}: \`snapshot(step)\` must be a function that returns the state to save.`, opts.snapshot);
  }
  if (opts.background !== undefined && typeof opts.background !== "boolean") {
    throw new InvalidValueError(`${where}: \`background\` must be true or false (got ${JSON.stringify(opts.background)}).`, opts.background);
  }
  if (opts.background && opts.snapshot === undefined) {
    throw new InvalidValueError(
      `${where}: \`background: true\` needs \`snapshot(step)\`: a queued save starts after the loop has changed the weights, so the state must be copied inside step(), e.g. snapshot: () => Float32Array.from(weights).`,
      opts.background,
    );
  }
  if (opts.clock !== undefined && typeof opts.clock !== "function") {
    throw new InvalidValueError(`${where}: \`clock\` must be a function returning milliseconds.`, opts.clock);
  }
  return checkEvery(opts.every, where);
}
