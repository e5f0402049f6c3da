import type { BackgroundSync } from "../store/background-sync.js";
import type { parseS3Uri } from "../store/s3-location.js";

/** What the core needs of the S3 store layer (`src/store/`) for `init({ store })`. */
export interface StoreLayer {
  BackgroundSync: typeof BackgroundSync;
  parseS3Uri: typeof parseS3Uri;
}

/**
 * Loads the S3 store layer on first use: `import "runtrail"` loads none of its code (nor the
 * AWS SDK, which the layer itself loads only when it sends a request).
 */
export async function loadStoreLayer(): Promise<StoreLayer> {
  const [{ BackgroundSync }, { parseS3Uri }] = await Promise.all([import("../store/background-sync.js"), import("../store/s3-location.js")]);
  return { BackgroundSync, parseS3Uri };
}
