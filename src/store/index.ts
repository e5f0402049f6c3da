/**
 * S3-compatible artifact store: incremental, resumable sync of run folders, and a reader that
 * materialises a stored run into a local cache. The AWS SDK is an optional peer, loaded on first use.
 */
export { syncRun, DEFAULT_CONCURRENCY, DEFAULT_PART_SIZE, MD5_METADATA_KEY, SHA256_METADATA_KEY } from "./sync.js";
export type { SyncOptions, SyncProgress, SyncReport } from "./sync.js";
export { materializeS3Run } from "./s3-reader.js";
export type { MaterializeOptions } from "./s3-reader.js";
export { listS3Runs } from "./s3-runs.js";
export type { ListS3RunsOptions } from "./s3-runs.js";
export { createS3Store } from "./s3-client.js";
export type { S3Store } from "./s3-client.js";
export { parseS3Uri, formatS3Uri, resolveS3Options } from "./s3-location.js";
export type { S3Credentials, S3Location, S3StoreOptions, ResolvedS3Options } from "./s3-location.js";
export {
  S3AccessDeniedError,
  S3AuthError,
  S3BucketNotFoundError,
  S3EndpointUnreachableError,
  S3IntegrityError,
  S3LocationError,
  S3RequestError,
  S3SyncBusyError,
  S3TransferAbortedError,
} from "./errors.js";
