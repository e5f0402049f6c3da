import { RuntrailError } from "../core/errors.js";

// Messages name the endpoint, bucket and key, never a credential: the SDK's own error
// (kept as `cause`) carries request ids, not keys, and we never copy its fields wholesale.

/** An `s3://` location or an S3 option is malformed. */
export class S3LocationError extends RuntrailError {
  constructor(message: string, value?: unknown) {
    super("RUNTRAIL_S3_LOCATION", message, { value });
  }
}

/** The store refused the credentials (unknown key, bad signature, expired token), or none were found. */
export class S3AuthError extends RuntrailError {
  constructor(detail: string, endpoint: string, cause?: unknown) {
    super(
      "RUNTRAIL_S3_AUTH",
      `S3 at ${endpoint} rejected the credentials (${detail}). Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY ` +
        `(and AWS_SESSION_TOKEN for temporary keys), or AWS_PROFILE for a profile in ~/.aws/credentials, to keys this store accepts.`,
      { value: endpoint, cause },
    );
  }
}

/** The credentials are valid but not allowed to do what the sync or the reader needs on the bucket. */
export class S3AccessDeniedError extends RuntrailError {
  constructor(bucket: string, operation: string, cause?: unknown) {
    super(
      "RUNTRAIL_S3_ACCESS_DENIED",
      `S3 denied ${operation} on bucket "${bucket}": the credentials are valid but lack permission ` +
        `(runtrail needs s3:ListBucket, s3:GetObject, s3:PutObject, s3:DeleteObject, s3:AbortMultipartUpload on it).`,
      { value: bucket, cause },
    );
  }
}

/** The bucket does not exist on the store (runtrail never creates buckets). */
export class S3BucketNotFoundError extends RuntrailError {
  readonly bucket: string;
  constructor(bucket: string, endpoint: string, cause?: unknown) {
    super(
      "RUNTRAIL_S3_NO_BUCKET",
      `S3 bucket "${bucket}" does not exist at ${endpoint}; create it first (e.g. \`aws s3 mb s3://${bucket}\`), runtrail never creates buckets.`,
      { value: bucket, cause },
    );
    this.bucket = bucket;
  }
}

/** The endpoint could not be reached (connection refused, unknown host, timeout, reset). */
export class S3EndpointUnreachableError extends RuntrailError {
  constructor(endpoint: string, detail: string, cause?: unknown) {
    super(
      "RUNTRAIL_S3_UNREACHABLE",
      `could not reach the S3 endpoint ${endpoint} (${detail}). Check that it is running and that ` +
        `--endpoint / RUNTRAIL_S3_ENDPOINT / AWS_ENDPOINT_URL_S3 point at it.`,
      { value: endpoint, cause },
    );
  }
}

/** Any other failed S3 request; carries the S3 error code and HTTP status. */
export class S3RequestError extends RuntrailError {
  readonly s3Code: string;
  readonly status: number | undefined;
  constructor(operation: string, target: string, s3Code: string, status: number | undefined, cause?: unknown) {
    super(
      "RUNTRAIL_S3_REQUEST",
      `S3 ${operation} of ${target} failed: ${s3Code}${status === undefined ? "" : ` (HTTP ${status})`}.`,
      { value: target, cause },
    );
    this.s3Code = s3Code;
    this.status = status;
  }
}

/** Another process is already syncing this run to this store (see the lock file named in the message). */
export class S3SyncBusyError extends RuntrailError {
  constructor(lockPath: string, holder: string) {
    super(
      "RUNTRAIL_S3_SYNC_BUSY",
      `another sync of this run to this store is in progress (${holder}); lock file ${lockPath}. ` +
        `Try again when it has finished, or delete the lock file if that process is gone.`,
      { value: lockPath },
    );
  }
}

/** The sync or download was cancelled through its `signal`; files completed so far are recorded. */
export class S3TransferAbortedError extends RuntrailError {
  constructor(what: string, cause?: unknown) {
    super("RUNTRAIL_ABORTED", `${what} was aborted; run it again to send or fetch the rest.`, { cause });
  }
}

/** An object read back does not match the hash recorded when it was written. */
export class S3IntegrityError extends RuntrailError {
  constructor(key: string, algorithm: string, expected: string, actual: string) {
    super(
      "RUNTRAIL_S3_INTEGRITY",
      `object ${key} does not match its recorded ${algorithm} (expected ${expected}, got ${actual}); it may be being rewritten, retry.`,
      { value: key },
    );
  }
}

const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENETUNREACH",
  "ECONNABORTED", "UND_ERR_SOCKET", "UND_ERR_CONNECT_TIMEOUT",
]);
const AUTH_CODES = new Set([
  "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "TokenRefreshRequired",
  "AuthorizationHeaderMalformed", "CredentialsProviderError",
]);

/** Context for {@link toS3Error}: where the failed request went. */
export interface S3ErrorContext {
  /** The endpoint as shown to users (no user-info). */
  endpoint: string;
  bucket: string;
  /** The object key, when the request was about one object. */
  key?: string;
  /** A short name of the request, e.g. "PutObject". */
  operation: string;
}

/**
 * Turns an AWS SDK (or socket) error into one of the named errors above. Errors that are
 * already runtrail errors, and aborts, pass through unchanged.
 */
export function toS3Error(err: unknown, ctx: S3ErrorContext): Error {
  if (err instanceof RuntrailError) return err;
  const e = (err ?? {}) as { name?: string; code?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  if (e.name === "AbortError") return new S3TransferAbortedError(`${ctx.operation} of s3://${ctx.bucket}/${ctx.key ?? ""}`, err);
  const s3Code = e.Code ?? (e.name && e.name !== "Error" ? e.name : undefined) ?? e.code ?? "UnknownError";
  const status = e.$metadata?.httpStatusCode;
  const sysCode = e.code ?? findSysCode(err);
  if (sysCode && UNREACHABLE_CODES.has(sysCode)) return new S3EndpointUnreachableError(ctx.endpoint, sysCode, err);
  if (e.name === "TimeoutError" || /socket hang up/i.test(e.message ?? "")) {
    return new S3EndpointUnreachableError(ctx.endpoint, e.name === "TimeoutError" ? "timeout" : "connection closed", err);
  }
  if (/^Region is missing/.test(e.message ?? "")) {
    return new S3LocationError(`no AWS region for ${ctx.endpoint}: set AWS_REGION, pass --region / the \`region\` option, or set one in the AWS profile`, ctx.endpoint);
  }
  if (AUTH_CODES.has(s3Code)) {
    const detail = s3Code === "CredentialsProviderError" ? "no credentials found" : s3Code;
    return new S3AuthError(detail, ctx.endpoint, err);
  }
  if (s3Code === "NoSuchBucket" || (ctx.operation === "HeadBucket" && status === 404)) {
    return new S3BucketNotFoundError(ctx.bucket, ctx.endpoint, err);
  }
  if (s3Code === "AccessDenied" || (status === 403 && ctx.operation === "HeadBucket")) {
    return new S3AccessDeniedError(ctx.bucket, ctx.operation, err);
  }
  const target = `s3://${ctx.bucket}/${ctx.key ?? ""}`;
  return new S3RequestError(ctx.operation, target, s3Code, status, err);
}

function findSysCode(err: unknown): string | undefined {
  let cur: unknown = err;
  for (let depth = 0; depth < 5 && cur && typeof cur === "object"; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === "string" && UNREACHABLE_CODES.has(code)) return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}
