import { closeSync, fstatSync, openSync, readSync } from "node:fs";

const TAIL_BYTES = 4096;

/**
 * The step of the last row of a CSV event file, read from its tail only (files of batch
 * metrics grow large). A row cut by a kill still names its step, which is what a caller
 * continuing the numbering needs. Undefined when the file is missing or has no stepped row.
 */
export function lastStep(file: string): number | undefined {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch {
    return undefined;
  }
  try {
    const size = fstatSync(fd).size;
    const len = Math.min(size, TAIL_BYTES);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    const lines = buf.toString("utf8").split("\n");
    for (let i = lines.length - 1; i >= 0; i--) {
      const m = /^(\d+)\|/.exec(lines[i]!);
      if (m && (i > 0 || len === size)) return Number(m[1]);
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}
