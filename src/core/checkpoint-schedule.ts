import { InvalidValueError } from "./errors.js";

/**
 * When a checkpoint is due. Set `steps`, `seconds` or both (a checkpoint is then due when
 * either says so).
 *
 * @example { steps: 100 }              // at steps 100, 200, 300…
 * @example { seconds: 600 }            // at the first step 10 minutes after the previous one
 * @example { steps: 1000, seconds: 300 }
 */
export interface SaveEvery {
  /**
   * Due at each step that reaches a multiple of `steps` (`steps`, `2·steps`, …); when the loop
   * skips steps, at the first step past the multiple. Step 0 is never due. A positive integer.
   */
  steps?: number;
  /**
   * Due at the first step at least `seconds` of wall time after the hook was created or the
   * schedule last fired. A positive number.
   */
  seconds?: number;
}

/** A clock in milliseconds. Only differences between two readings are used. */
export type Clock = () => number;

/** The default clock: monotonic milliseconds, not affected by changes of the system time. */
export const monotonicClock: Clock = () => performance.now();

/** Checks `every` and returns a copy. @throws InvalidValueError naming the options. */
export function checkEvery(every: unknown, where: string): SaveEvery {
  const usage = `${where}: \`every\` must set \`steps\` (a positive integer), \`seconds\` (a positive number) or both, e.g. { steps: 100 }, { seconds: 600 } or { steps: 100, seconds: 600 }`;
  if (every === null || typeof every !== "object") throw new InvalidValueError(`${usage} (got ${JSON.stringify(every)}).`, every);
  const { steps, seconds } = every as SaveEvery;
  if (steps === undefined && seconds === undefined) throw new InvalidValueError(`${usage} (got neither).`, every);
  if (steps !== undefined && (typeof steps !== "number" || !Number.isSafeInteger(steps) || steps < 1)) {
    throw new InvalidValueError(`${usage} (got steps: ${JSON.stringify(steps)}).`, every);
  }
  if (seconds !== undefined && (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds <= 0)) {
    throw new InvalidValueError(`${usage} (got seconds: ${JSON.stringify(seconds)}).`, every);
  }
  return { ...(steps !== undefined && { steps }), ...(seconds !== undefined && { seconds }) };
}

/**
 * Decides at which steps a checkpoint is due, by step count and/or wall time. It only decides;
 * whether the checkpoint is then saved (`saveBestOnly`) is the policy's call.
 *
 * @example
 * const schedule = new SaveSchedule({ steps: 5 }, monotonicClock);
 * for (let step = 1; step <= 10; step++) if (schedule.due(step)) { schedule.fired(step); save(step); } // 5, 10
 */
export class SaveSchedule {
  private lastStep: number | undefined;
  private lastFiredMs: number;

  /** `startStep`: the step a resumed loop continues from (its next step is past it). */
  constructor(
    readonly every: SaveEvery,
    private readonly clock: Clock,
    startStep?: number,
  ) {
    this.lastStep = startStep;
    this.lastFiredMs = clock();
  }

  /** Whether a checkpoint is due at `step`. Does not change the schedule: call {@link advance} next. */
  due(step: number): boolean {
    const { steps, seconds } = this.every;
    if (steps !== undefined && step > 0) {
      const prev = this.lastStep ?? step - 1;
      if (Math.floor(step / steps) > Math.floor(prev / steps)) return true;
    }
    return seconds !== undefined && this.clock() - this.lastFiredMs >= seconds * 1000;
  }

  /** Records that the loop reached `step`; `fired` restarts the wall-time interval. */
  advance(step: number, fired: boolean): void {
    this.lastStep = step;
    if (fired) this.lastFiredMs = this.clock();
  }

  /** Continue from `step` (after a restore): the next step is counted from there. */
  resetTo(step: number): void {
    this.lastStep = step;
  }
}
