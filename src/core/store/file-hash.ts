import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

/** What {@link md5OfFile} read. */
export interface FileDigest {
  /** Lowercase hex md5 of the bytes read. */
  md5: string;
  /** How many bytes were read (may be fewer than `length` if the file shrank). */
  bytes: number;
}

/**
 * md5 of the first `length` bytes of a file (all of it when `length` is undefined), streamed
 * in 1 MiB chunks so memory stays flat whatever the file size.
 */
export async function md5OfFile(path: string, length?: number, signal?: AbortSignal): Promise<FileDigest> {
  const hash = createHash("md5");
  let bytes = 0;
  if (length === 0) return { md5: hash.digest("hex"), bytes };
  const stream = createReadStream(path, {
    highWaterMark: 1 << 20,
    ...(length === undefined ? {} : { end: length - 1 }),
    ...(signal === undefined ? {} : { signal }),
  });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { md5: hash.digest("hex"), bytes };
}

/** md5 of an in-memory buffer, as hex and as the base64 `Content-MD5` header value. */
export function md5OfBuffer(buf: Uint8Array): { hex: string; base64: string } {
  const digest = createHash("md5").update(buf).digest();
  return { hex: digest.toString("hex"), base64: digest.toString("base64") };
}
