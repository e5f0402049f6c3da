/**
 * `runtrail/s3`: the S3-compatible artifact store (AWS S3, MinIO, Ceph RGW…) — incremental,
 * resumable sync of run folders and reading stored runs back. `@aws-sdk/client-s3` and
 * `@aws-sdk/lib-storage` are optional peers, loaded on first use.
 *
 * @example
 * import { syncRun } from "runtrail/s3";
 * await syncRun("./plx/runs/<uuid>", "s3://bucket/prefix", { endpoint: "http://127.0.0.1:7480", forcePathStyle: true });
 */
export * from "./store/index.js";
export { BackgroundSync } from "./store/background-sync.js";
