import type { S3Client } from "@aws-sdk/client-s3";
import { importPeer } from "../core/peer.js";
import { toS3Error } from "./errors.js";
import { resolveS3Options, type ResolvedS3Options, type S3StoreOptions } from "./s3-location.js";

/** The `@aws-sdk/client-s3` module, loaded on first use. */
export type S3Sdk = typeof import("@aws-sdk/client-s3");
/** The `@aws-sdk/lib-storage` module, loaded on first use. */
export type S3Storage = typeof import("@aws-sdk/lib-storage");

/**
 * A ready S3 client plus the lazily loaded SDK modules. Create one with {@link createS3Store}
 * and pass it as `store` to repeated `syncRun` / `materializeS3Run` calls to reuse connections.
 */
export interface S3Store {
  readonly client: S3Client;
  readonly sdk: S3Sdk;
  readonly storage: S3Storage;
  readonly options: ResolvedS3Options;
  /**
   * Runs one request and turns its failure into a named runtrail error
   * (`S3AuthError`, `S3BucketNotFoundError`, `S3EndpointUnreachableError`, …).
   */
  call<T>(operation: string, bucket: string, key: string | undefined, fn: () => Promise<T>): Promise<T>;
  /** Closes the client's sockets; only needed when the process should exit without waiting for keep-alive. */
  destroy(): void;
}

/**
 * Loads the AWS SDK (optional peers) and builds a client from `options` and the environment.
 *
 * @throws MissingPeerDependencyError when `@aws-sdk/client-s3` or `@aws-sdk/lib-storage` is not installed.
 */
export async function createS3Store(options: S3StoreOptions = {}): Promise<S3Store> {
  const resolved = resolveS3Options(options);
  const sdk = await importPeer<S3Sdk>(["@aws-sdk/client-s3"], "S3 artifact storage");
  const storage = await importPeer<S3Storage>(["@aws-sdk/lib-storage"], "S3 artifact storage");
  const client = new sdk.S3Client({
    ...(resolved.endpoint === undefined ? { followRegionRedirects: true } : { endpoint: resolved.endpoint }),
    forcePathStyle: resolved.forcePathStyle,
    ...(resolved.region === undefined ? {} : { region: resolved.region }),
    ...(resolved.credentials === undefined ? {} : { credentials: resolved.credentials }),
    ...(resolved.profile === undefined ? {} : { profile: resolved.profile }),
    maxAttempts: resolved.maxAttempts,
    // Newer SDKs add CRC32 checksums (aws-chunked trailers) to every upload; Ceph RGW before
    // Squid and older MinIO reject those. Integrity comes from Content-MD5 and our sha256 metadata.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  return {
    client,
    sdk,
    storage,
    options: resolved,
    async call(operation, bucket, key, fn) {
      try {
        return await fn();
      } catch (err) {
        throw toS3Error(err, { endpoint: resolved.displayEndpoint, bucket, operation, ...(key === undefined ? {} : { key }) });
      }
    },
    destroy() {
      client.destroy();
    },
  };
}
