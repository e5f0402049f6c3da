import { createHash } from "node:crypto";
import { S3LocationError } from "./errors.js";

/** A parsed `s3://bucket/prefix` location. */
export interface S3Location {
  bucket: string;
  /** Key prefix without leading or trailing slashes; `""` for the bucket root. */
  prefix: string;
}

/** Explicit credentials; without them the standard AWS chain is used (env, shared config/profile, SSO, IMDS…). */
export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/**
 * How to reach an S3-compatible store. Every field is optional.
 *
 * @example
 * { endpoint: "http://127.0.0.1:7480", forcePathStyle: true } // Ceph RGW / MinIO
 */
export interface S3StoreOptions {
  /**
   * Endpoint URL for S3-compatible stores (Ceph RGW, MinIO…).
   * Default: env `RUNTRAIL_S3_ENDPOINT`, else env `AWS_ENDPOINT_URL_S3`, else AWS S3 itself.
   */
  endpoint?: string;
  /**
   * Address buckets as `<endpoint>/<bucket>` instead of `<bucket>.<endpoint>`.
   * Default: env `RUNTRAIL_S3_FORCE_PATH_STYLE` (`1`/`true`), else `true` when an endpoint is set, else `false`.
   */
  forcePathStyle?: boolean;
  /**
   * Region used to sign requests. Default: env `AWS_REGION`, else `AWS_DEFAULT_REGION`, else
   * `us-east-1` when an endpoint is set, else the region of the AWS profile.
   */
  region?: string;
  /** Default: the standard AWS credential chain (env `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, `AWS_PROFILE`, …). */
  credentials?: S3Credentials;
  /** Named profile of `~/.aws/credentials` / `~/.aws/config`. Default: env `AWS_PROFILE`, else `default`. */
  profile?: string;
  /** Attempts per request, including the first (the SDK retries with backoff). Default: 3. */
  maxAttempts?: number;
}

/** {@link S3StoreOptions} with the environment applied. */
export interface ResolvedS3Options {
  endpoint: string | undefined;
  /** `endpoint` without user-info, safe to print; `"AWS S3"` when no endpoint is set. */
  displayEndpoint: string;
  forcePathStyle: boolean;
  region: string | undefined;
  credentials: S3Credentials | undefined;
  profile: string | undefined;
  maxAttempts: number;
}

/**
 * Parses `s3://bucket[/prefix]`.
 *
 * @throws S3LocationError when the scheme, the bucket name or the prefix is invalid.
 */
export function parseS3Uri(uri: string): S3Location {
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(uri);
  if (!m) throw new S3LocationError(`not an s3:// location: "${uri}" (expected s3://bucket or s3://bucket/prefix)`, uri);
  const bucket = m[1]!;
  // S3 rules, relaxed to what Ceph RGW and MinIO also accept (underscores, upper case).
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{1,254}$/.test(bucket)) {
    throw new S3LocationError(`invalid bucket name "${bucket}" in ${uri}: use 3-63 letters, digits, dots or hyphens`, uri);
  }
  const prefix = (m[2] ?? "").replace(/^\/+|\/+$/g, "");
  if (prefix !== "" && prefix.split("/").some((seg) => seg === "" || seg === "." || seg === "..")) {
    throw new S3LocationError(`invalid prefix "${prefix}" in ${uri}: no empty, "." or ".." segments`, uri);
  }
  return { bucket, prefix };
}

/** `s3://bucket/prefix` back from its parts. */
export function formatS3Uri(loc: S3Location): string {
  return `s3://${loc.bucket}${loc.prefix ? `/${loc.prefix}` : ""}`;
}

/** Joins key segments with `/`, dropping empty ones. */
export function joinKey(...parts: string[]): string {
  return parts.filter((p) => p !== "").join("/");
}

/** Applies the environment defaults documented on {@link S3StoreOptions}. */
export function resolveS3Options(opts: S3StoreOptions = {}, env: NodeJS.ProcessEnv = process.env): ResolvedS3Options {
  const endpoint = nonEmpty(opts.endpoint) ?? nonEmpty(env.RUNTRAIL_S3_ENDPOINT) ?? nonEmpty(env.AWS_ENDPOINT_URL_S3);
  let displayEndpoint = "AWS S3";
  if (endpoint !== undefined) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new S3LocationError(`invalid S3 endpoint URL "${redactUrl(endpoint)}": expected e.g. http://127.0.0.1:7480`, redactUrl(endpoint));
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new S3LocationError(`invalid S3 endpoint URL "${redactUrl(endpoint)}": the scheme must be http or https`, redactUrl(endpoint));
    }
    displayEndpoint = redactUrl(endpoint);
  }
  const envPathStyle = nonEmpty(env.RUNTRAIL_S3_FORCE_PATH_STYLE);
  const forcePathStyle =
    opts.forcePathStyle ?? (envPathStyle !== undefined ? /^(1|true|yes)$/i.test(envPathStyle) : endpoint !== undefined);
  const region =
    nonEmpty(opts.region) ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? (endpoint ? "us-east-1" : undefined);
  const maxAttempts = opts.maxAttempts ?? 3;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new S3LocationError(`maxAttempts must be a positive integer, got ${String(maxAttempts)}`, maxAttempts);
  }
  return { endpoint, displayEndpoint, forcePathStyle, region, credentials: opts.credentials, profile: nonEmpty(opts.profile), maxAttempts };
}

/**
 * A short file-name-safe key naming one destination (endpoint + bucket + prefix), used for the
 * sync manifest and lock of a run. Readable part first, then a hash so distinct stores never collide.
 */
export function storeKey(displayEndpoint: string, loc: S3Location): string {
  const readable = `${loc.bucket}${loc.prefix ? `-${loc.prefix}` : ""}`.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 80);
  const digest = createHash("sha256").update(`${displayEndpoint}\n${loc.bucket}\n${loc.prefix}`).digest("hex").slice(0, 10);
  return `${readable}-${digest}`;
}

/** The URL without user-info (`http://user:pass@host` → `http://host`), so it is safe to print. */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    url.username = "";
    url.password = "";
    return url.toString().replace(/\/$/, "");
  } catch {
    return raw.replace(/\/\/[^/@]*@/, "//");
  }
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === "" ? undefined : v.trim();
}
