import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { parsePyTimestamp } from "../events/pyformat.js";
import { parsePyFloat, parseStep } from "../events/rows.js";
import type { MetricLast } from "./summary.js";

// The read side's one place for a metric's last value. It replaces the async lastMetricRow of
// src/ui/tail.ts for listings: one synchronous open/fstat/read/close per metric file costs a
// fraction of four thread-pool round trips, which is what a cold listing of 10,000 runs pays
// 50,000 times. The header-aware tail reader of src/core/read/tail.ts (issue #12, part B) takes
// this over when both halves meet.

const FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW;
const HEAD_BYTES = 256;
const TAIL_BYTES = 16 * 1024;

/**
 * The last complete row of a metric file, read from its header and last 16 KiB only. Follows the
 * header's column order; a row cut by a kill (only the last can be) is skipped. `undefined` for
 * a missing file, a symlink, a FIFO or device (opened without blocking), or a file with no row.
 */
export function lastMetricRow(path: string): MetricLast | undefined {
  let fd: number;
  try {
    fd = openSync(path, FLAGS);
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size === 0) return undefined;
    const whole = st.size <= TAIL_BYTES;
    const tail = Buffer.allocUnsafe(Math.min(st.size, TAIL_BYTES));
    const got = readSync(fd, tail, 0, tail.length, st.size - tail.length);
    const text = tail.toString("utf8", 0, got);
    let headerLine: string;
    if (whole) headerLine = text.slice(0, text.indexOf("\n") < 0 ? text.length : text.indexOf("\n"));
    else {
      const head = Buffer.allocUnsafe(HEAD_BYTES);
      headerLine = head.toString("utf8", 0, readSync(fd, head, 0, HEAD_BYTES, 0)).split("\n", 1)[0]!;
    }
    return lastRow(headerLine.split("|"), text.split("\n"));
  } catch {
    return undefined;
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
