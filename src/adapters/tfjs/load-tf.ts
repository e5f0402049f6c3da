import { localRequire } from "../../core/builtins.js";
import { InvalidValueError } from "../../core/errors.js";
import { requirePeer } from "../../core/peer.js";
import type { TfModule } from "./types.js";

/** Tried in this order when no `tf` is given: the native bindings first, as tfjs-node users expect. */
export const TF_PACKAGES = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node", "@tensorflow/tfjs"] as const;

/**
 * The TensorFlow.js module to work with: `explicit` when given (checked by shape), else one of
 * {@link TF_PACKAGES} the process already loaded, else the first that is installed. Preferring a
 * loaded copy avoids importing `@tensorflow/tfjs-node` (which switches the backend) into a
 * program that trains with plain `@tensorflow/tfjs`.
 *
 * @throws InvalidValueError when `explicit` is not a tfjs module.
 * @throws MissingPeerDependencyError naming `npm install @tensorflow/tfjs` when none is installed.
 */
export function resolveTf(explicit?: TfModule): TfModule {
  if (explicit !== undefined) {
    if (!isTfModule(explicit)) {
      throw new InvalidValueError(
        "`tf` must be the TensorFlow.js module the model is built with (e.g. `import * as tf from \"@tensorflow/tfjs\"`); it needs CustomCallback, io and loadLayersModel.",
        explicit,
      );
    }
    return explicit;
  }
  for (const name of TF_PACKAGES) {
    const loaded = loadedModule(name);
    if (loaded !== undefined && isTfModule(loaded)) return loaded;
  }
  return requirePeer<TfModule>(TF_PACKAGES, "runtrail/tfjs");
}

function loadedModule(name: string): unknown {
  try {
    return localRequire.cache[localRequire.resolve(name)]?.exports;
  } catch {
    return undefined; // not installed
  }
}

/** True for an object shaped like a tfjs module (no import needed to tell). */
export function isTfModule(x: unknown): x is TfModule {
  const t = x as Partial<TfModule> | null;
  return (
    typeof t === "object" &&
    t !== null &&
    typeof t.CustomCallback === "function" &&
    typeof t.loadLayersModel === "function" &&
    typeof t.io === "object" &&
    t.io !== null &&
    typeof t.io.registerSaveRouter === "function"
  );
}
