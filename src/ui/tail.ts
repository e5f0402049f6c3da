import type * as fsp from "node:fs/promises";
import { openRegular } from "../core/fs-safe.js";
import { parsePyTimestamp } from "../core/events/pyformat.js";
import { parsePyFloat, parseStep } from "../core/events/rows.js";

const HEAD_BYTES = 128;
const TAIL_BYTES = 8192;

/**
 * The last complete row of a metric file, read from its last few KiB only, so listing runs
 * with million-row metrics stays instant. Follows the header's column order; a row cut by a
 * kill (the only row that can be incomplete) is skipped.
 */
export async function lastMetricRow(path: string): Promise<{ step: number | null; value: number } | undefined> {
  let fh: fsp.FileHandle;
  try {
    fh = await openRegular(path, "r", "reading a metric");
  } catch {
    return undefined; // missing, or a FIFO/device in its place: no last value
  }
  try {
    const { size } = await fh.stat();
    const head = Buffer.alloc(Math.min(HEAD_BYTES, size));
    await fh.read(head, 0, head.length, 0);
    const header = head.toString("utf8").split("\n", 1)[0]!.split("|");
    const iStep = header.indexOf("step");
    const iTs = header.indexOf("timestamp");
    const iVal = header.indexOf("metric");
    if (iVal < 0 || iTs < 0) return undefined;
    const start = Math.max(0, size - TAIL_BYTES);
    const tail = Buffer.alloc(size - start);
    await fh.read(tail, 0, tail.length, start);
    const lines = tail.toString("utf8").split("\n");
    // Line 0 is the header, or (for a partial read) possibly the second half of a row.
    for (let i = lines.length - 1; i >= 1; i--) {
      const f = lines[i]!.split("|");
      if (f.length !== header.length) continue;
      const raw = f[iVal]!;
      const value = parsePyFloat(raw);
      if (Number.isNaN(value) && raw !== "nan") continue;
      if (Number.isNaN(parsePyTimestamp(f[iTs]!))) continue;
      try {
        return { step: iStep < 0 ? null : parseStep(f[iStep]), value };
      } catch {
        continue;
      }
    }
    return undefined;
  } finally {
    await fh.close();
  }
}
