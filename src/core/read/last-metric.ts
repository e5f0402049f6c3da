import { closeSync, fstatSync, readSync } from "node:fs";
import { openRunFile } from "./read-file.js";
import { parsePyTimestamp } from "../events/pyformat.js";
import { parsePyFloat, parseStep } from "../events/rows.js";
import type { MetricLast } from "./summary.js";

// The read side's one place for a metric's last value. It replaces the async lastMetricRow of
// src/ui/tail.ts for listings: one synchronous open/fstat/read/close per metric file costs a
// fraction of four thread-pool round trips, which is what a cold listing of 10,000 runs pays
// 50,000 times. The header-aware tail reader of src/core/read/tail.ts (issue #12, part B) takes
// this over when both halves meet.

const HEAD_BYTES = 256;
const TAIL_BYTES = 16 * 1024;

/**
 * The last complete row of a metric file, read from its header and last 16 KiB only. Follows the
 * header's column order; a row cut by a kill (only the last can be) is skipped. `undefined` for
 * a missing file, a symlink, a FIFO or device (opened without blocking), or a file with no row.
 */
export function lastMetricRow(path: string): MetricLast | undefined {
  const fd = openRunFile(path);
  if (fd === undefined) return undefined;
  try {
    // Most metric files are smaller than the tail window: one read from the start gets all of
    // them, with no fstat. A full window means there may be more: then size, header and tail.
    const buf = Buffer.allocUnsafe(TAIL_BYTES);
    const first = readSync(fd, buf, 0, TAIL_BYTES, 0);
    const st = first < TAIL_BYTES ? undefined : fstatSync(fd);
    if (st && !st.isFile()) return undefined; // a device that never ends
    let text: string;
    let headerLine: string;
    if (!st || st.size <= TAIL_BYTES) {
      text = buf.toString("utf8", 0, first);
      const nl = text.indexOf("\n");
      headerLine = nl < 0 ? text : text.slice(0, nl);
    } else {
      headerLine = buf.toString("utf8", 0, Math.min(first, HEAD_BYTES)).split("\n", 1)[0]!;
      text = buf.toString("utf8", 0, readSync(fd, buf, 0, TAIL_BYTES, st.size - TAIL_BYTES));
    }
    return lastRow(headerLine.split("|"), text.split("\n"));
  } catch {
    return undefined; // a FIFO (EAGAIN), a folder (EISDIR), a file that vanished
  } finally {
    closeSync(fd);
  }
}

/** Line 0 is the header (whole file) or possibly the second half of a row (a tail): never a value. */
function lastRow(header: string[], lines: string[]): MetricLast | undefined {
  const iStep = header.indexOf("step");
  const iTs = header.indexOf("timestamp");
  const iVal = header.indexOf("metric");
  if (iVal < 0 || iTs < 0) return undefined;
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
}
