import { createHash } from "node:crypto";
import { openRegular } from "../core/fs-safe.js";

/**
 * The content digest of synced objects. sha256 rather than md5: with SHA extensions (most
 * x86-64 and ARMv8 CPUs since about 2017) OpenSSL's sha256 runs about 2.3× faster than its
 * md5, and the digest must be computed in a pass of its own before a multipart upload starts.
 */
export const CONTENT_DIGEST = "sha256";

/** What {@link digestOfFile} read. */
export interface FileDigest {
  /** Lowercase hex sha256 of the bytes read. */
  sha256: string;
  /** How many bytes were read (may be fewer than `length` if the file shrank). */
  bytes: number;
}

/**
 * sha256 of the first `length` bytes of a file (all of it when `length` is undefined),
 * streamed in 1 MiB chunks so memory stays flat whatever the file size.
 */
export async function digestOfFile(path: string, length?: number, signal?: AbortSignal): Promise<FileDigest> {
  const hash = createHash(CONTENT_DIGEST);
  let bytes = 0;
  if (length === 0) return { sha256: hash.digest("hex"), bytes };
  const fh = await openRegular(path, "r", "hashing a file to sync");
  try {
    const stream = fh.createReadStream({
      start: 0,
      highWaterMark: 1 << 20,
      autoClose: false,
      ...(length === undefined ? {} : { end: length - 1 }),
      ...(signal === undefined ? {} : { signal }),
    });
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      hash.update(chunk);
      bytes += chunk.length;
    }
  } finally {
    await fh.close();
  }
  return { sha256: hash.digest("hex"), bytes };
}

/** sha256 (hex) of an in-memory buffer. */
export function digestOfBuffer(buf: Uint8Array): string {
  return createHash(CONTENT_DIGEST).update(buf).digest("hex");
}

/** md5 of an in-memory buffer as the base64 `Content-MD5` header value (the server checks it on PutObject). */
export function contentMd5(buf: Uint8Array): string {
  return createHash("md5").update(buf).digest("base64");
}
