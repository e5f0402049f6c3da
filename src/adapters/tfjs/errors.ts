import { RuntrailError } from "../../core/errors.js";

/**
 * tfjs called a {@link TrackingCallback} hook on something that is not the callback: the callback
 * was built against another copy of TensorFlow.js than the one that trains the model, so tfjs's
 * `standardizeCallbacks` took it for a plain `{ onEpochEnd, … }` object. `value` is the hook name.
 * Fix: pass the module that trains the model, `new TrackingCallback({ tf })`.
 */
export class TfjsMismatchError extends RuntrailError {
  constructor(hook: string) {
    super(
      "RUNTRAIL_TFJS_MISMATCH",
      `TrackingCallback.${hook}() was called without its model: the callback was built against another copy of TensorFlow.js than the one training the model, so tfjs treated it as a plain object. Pass that module explicitly: \`new TrackingCallback({ tf })\` with the same \`tf\` you build the model with.`,
      { value: hook },
    );
  }
}
