import { createS3Store, type S3Store } from "./s3-client.js";
import { joinKey, parseS3Uri, type S3StoreOptions } from "./s3-location.js";

const UUID_RE = /^[0-9a-f]{32}$/;

/** Options of {@link listS3Runs}. */
export interface ListS3RunsOptions extends S3StoreOptions {
  signal?: AbortSignal;
  /** A client to reuse (see `createS3Store`); the store options above are then ignored. */
  store?: S3Store;
}

/**
 * The runs stored under `s3://bucket/prefix` by `syncRun`: every `<prefix>/<32 hex>/` "folder",
 * sorted by uuid, each with the `s3://…/<uuid>` location that `materializeS3Run` takes.
 *
 * @throws the S3 errors of `syncRun` (S3AuthError, S3BucketNotFoundError, …).
 */
export async function listS3Runs(uri: string, opts: ListS3RunsOptions = {}): Promise<Array<{ uuid: string; uri: string }>> {
  const loc = parseS3Uri(uri);
  const store = opts.store ?? (await createS3Store(opts));
  const base = loc.prefix ? `${loc.prefix}/` : "";
  const runs: Array<{ uuid: string; uri: string }> = [];
  try {
    let token: string | undefined;
    for (let page = 0; page < 100_000; page++) {
      const out = await store.call("ListObjectsV2", loc.bucket, base, () =>
        store.client.send(
          new store.sdk.ListObjectsV2Command({ Bucket: loc.bucket, Prefix: base, Delimiter: "/", ContinuationToken: token }),
          opts.signal === undefined ? {} : { abortSignal: opts.signal },
        ),
      );
      for (const p of out.CommonPrefixes ?? []) {
        const uuid = (p.Prefix ?? "").slice(base.length).replace(/\/$/, "");
        if (UUID_RE.test(uuid)) runs.push({ uuid, uri: `s3://${loc.bucket}/${joinKey(loc.prefix, uuid)}` });
      }
      if (!out.IsTruncated || !out.NextContinuationToken) break;
      token = out.NextContinuationToken;
    }
  } finally {
    if (opts.store === undefined) store.destroy();
  }
  return runs.sort((a, b) => (a.uuid < b.uuid ? -1 : 1));
}
