import { dirname } from "node:path";

/**
 * The read side's one use of the S3 store: brings the metadata of every run stored under
 * `s3://bucket/prefix` into the local cache, and says which cached run folders are that
 * listing's (the cache may hold runs of other prefixes). Loaded only for an `s3://` root.
 */
export async function cacheStoredRuns(uri: string): Promise<{ runsRoot: string; only: Set<string> }> {
  const { listS3Runs, materializeS3Run, createS3Store } = await import("../../store/index.js");
  const store = await createS3Store();
  try {
    const stored = await listS3Runs(uri, { store });
    let runsRoot = "";
    for (const r of stored) runsRoot = dirname(await materializeS3Run(r.uri, { store, metadataOnly: true }));
    return { runsRoot: runsRoot || uri, only: new Set(stored.map((r) => r.uuid)) };
  } finally {
    store.destroy();
  }
}
