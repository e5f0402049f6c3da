import { RuntrailError } from "../../core/errors.js";

/**
 * A checkpoint could not be saved: the `save(dir, step)` function threw, or committing the
 * version into the run failed. `value` is `{ name, step }` (with `steps` when several background
 * saves failed before the error could be reported); `cause` is the original error (an
 * `AggregateError` of all of them when there were several).
 *
 * In background mode the error is thrown by the next `hook.step()` or by `hook.close()`.
 */
export class CheckpointSaveError extends RuntrailError {
  constructor(message: string, value?: unknown, cause?: unknown) {
    super("RUNTRAIL_CHECKPOINT_SAVE_FAILED", message, { value, cause });
  }
}

/** `hook.step()` or `hook.restore()` was called after `hook.close()`. `value` is the stream name. */
export class CheckpointHookClosedError extends RuntrailError {
  constructor(name: string, method: string) {
    super(
      "RUNTRAIL_HOOK_CLOSED",
      `checkpoint hook "${name}" is closed; ${method}() cannot be called any more. Create a new CheckpointHook to keep checkpointing.`,
      { value: name },
    );
  }
}
