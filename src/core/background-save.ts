import { isImprovement } from "./retention.js";

/** One save request: the step it is for, its monitored value (if any) and the work itself. */
export interface BackgroundJob {
  step: number;
  value?: number;
  run: () => Promise<unknown>;
}

/** A background job that failed, kept until the caller collects it. */
export interface BackgroundFailure {
  step: number;
  error: unknown;
}

/**
 * Runs save jobs off the caller's path with at most one in flight. A job requested while
 * another runs waits in a single slot; a newer request replaces the waiting one (the loop
 * has moved on, so the older state is no longer worth writing). Failures are kept, never
 * dropped, until {@link takeFailures} collects them.
 *
 * @example
 * const writer = new BackgroundWriter();
 * writer.request({ step: 10, run: () => save(10) }); // starts now
 * writer.request({ step: 20, run: () => save(20) }); // waits
 * writer.request({ step: 30, run: () => save(30) }); // replaces 20
 * await writer.drain();                               // 10 and 30 are written
 */
export class BackgroundWriter {
  private active: BackgroundJob | undefined;
  private queued: BackgroundJob | undefined;
  private failures: BackgroundFailure[] = [];
  private waiters: Array<() => void> = [];

  /**
   * Starts `job` now (synchronously) when nothing is in flight, else puts it in the waiting
   * slot. Returns the waiting job it replaced, if any.
   */
  request(job: BackgroundJob): BackgroundJob | undefined {
    if (this.active === undefined) {
      this.start(job);
      return undefined;
    }
    const replaced = this.queued;
    this.queued = job;
    return replaced;
  }

  /** The job in flight and the one waiting, in that order. */
  pending(): BackgroundJob[] {
    return [this.active, this.queued].filter((j): j is BackgroundJob => j !== undefined);
  }

  /** True while a job runs or waits. */
  get busy(): boolean {
    return this.active !== undefined;
  }

  /** The failures since the previous call, oldest first. */
  takeFailures(): BackgroundFailure[] {
    const out = this.failures;
    this.failures = [];
    return out;
  }

  /** Resolves once nothing runs or waits (never rejects: failures are kept for {@link takeFailures}). */
  drain(): Promise<void> {
    if (this.active === undefined) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private start(job: BackgroundJob): void {
    this.active = job;
    let work: Promise<unknown>;
    try {
      work = job.run();
    } catch (error) {
      work = Promise.reject(error);
    }
    void work.then(
      () => this.next(),
      (error: unknown) => {
        this.failures.push({ step: job.step, error });
        this.next();
      },
    );
  }

  private next(): void {
    this.active = undefined;
    const job = this.queued;
    this.queued = undefined;
    if (job !== undefined) return this.start(job);
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/**
 * Resolves after one turn of the event loop (the I/O callbacks that are ready run first).
 * @example while (writer.busy) await nextTurn();
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Whether `value` beats the monitored value of every save in flight or waiting (saves without a
 * value do not count): with `saveBestOnly`, a better checkpoint not committed yet already counts
 * as the best so far.
 */
export function beatsPending(writer: BackgroundWriter, value: number | undefined, mode: "min" | "max"): boolean {
  return writer.pending().every((job) => job.value === undefined || isImprovement(value, job.value, mode));
}
