import { fileIOHandler } from "./file-io.js";
import type { IOHandler, TfModule } from "./types.js";

const SCHEME = "file://";

/** Maps `file://<path>` to a {@link fileIOHandler}; anything else (and path pairs) to null. */
export function fileRouter(url: string | string[]): IOHandler | null {
  if (typeof url !== "string" || !url.startsWith(SCHEME)) return null;
  return fileIOHandler(url.slice(SCHEME.length));
}

/**
 * Registers save and load routers for `file://` on `tf`'s IO registry, so
 * `model.save("file://dir")` and `tf.loadLayersModel("file://dir/model.json")` work without
 * tfjs-node, in tfjs-node's layout. Idempotent, and a no-op for whichever direction already has
 * a `file://` handler (tfjs-node registers its own): tfjs refuses URLs that two routers claim.
 * Nothing is registered at import time; call it once at start-up.
 *
 * @example
 * import * as tf from "@tensorflow/tfjs";
 * registerFileRouter(tf);
 * await model.save("file://./my-model");
 * const again = await tf.loadLayersModel("file://./my-model/model.json");
 */
export function registerFileRouter(tf: Pick<TfModule, "io">): void {
  const io = tf.io;
  // tfjs's IORouter type omits the null it documents for URLs a router does not handle.
  const router = fileRouter as (url: string | string[]) => IOHandler;
  if (io.getSaveHandlers(`${SCHEME}/runtrail-probe`).length === 0) io.registerSaveRouter(router);
  if (io.getLoadHandlers(`${SCHEME}/runtrail-probe/model.json`).length === 0) io.registerLoadRouter(router);
}
