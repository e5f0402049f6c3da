import { statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { InvalidValueError } from "./errors.js";
import { fileTypeOf } from "./fs-safe.js";
import { show } from "./validate.js";

/** The largest delay Node's timers accept (2³¹−1 ms, ~24.8 days); above it they fire after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** What `init()` checks before it touches the disk (the fields of `InitOptions` it reads). */
interface CheckedOptions {
  project?: unknown;
  name?: unknown;
  description?: unknown;
  tags?: unknown;
  artifactsPath?: unknown;
  offlineRoot?: unknown;
  flushIntervalMs?: unknown;
  syncIntervalMs?: unknown;
  handleExit?: unknown;
  store?: unknown;
}

/**
 * Checks the options of `init()`: types, and intervals as whole milliseconds in 0..2³¹−1 (a
 * larger delay would silently become Node's 1 ms). Every message gives the allowed range.
 * @throws InvalidValueError naming the option, the value and what is allowed.
 */
export function checkInitOptions(opts: unknown): void {
  if (opts === null || typeof opts !== "object" || Array.isArray(opts)) {
    throw new InvalidValueError(`init: options must be an object such as { project: "p", name: "n" } (got ${show(opts)}).`, opts);
  }
  const o = opts as CheckedOptions;
  for (const key of ["project", "name", "description", "store"] as const) {
    if (o[key] !== undefined && typeof o[key] !== "string") {
      throw new InvalidValueError(`init: ${key} must be a string (got ${show(o[key])}).`, o[key]);
    }
  }
  for (const key of ["artifactsPath", "offlineRoot"] as const) {
    if (o[key] !== undefined && (typeof o[key] !== "string" || o[key].length === 0 || o[key].includes("\0"))) {
      throw new InvalidValueError(`init: ${key} must be a non-empty folder path (got ${show(o[key])}).`, o[key]);
    }
  }
  if (o.tags !== undefined && (!Array.isArray(o.tags) || !o.tags.every((t) => typeof t === "string"))) {
    throw new InvalidValueError(`init: tags must be an array of strings (got ${show(o.tags)}).`, o.tags);
  }
  if (o.handleExit !== undefined && typeof o.handleExit !== "boolean") {
    throw new InvalidValueError(`init: handleExit must be true or false (got ${show(o.handleExit)}).`, o.handleExit);
  }
  checkIntervalMs(o.flushIntervalMs, "flushIntervalMs", "0 writes only on flush(), end(), exit or full chunks");
  checkIntervalMs(o.syncIntervalMs, "syncIntervalMs", "0 syncs only at end()");
}

function checkIntervalMs(v: unknown, key: string, zero: string): void {
  if (v === undefined) return;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > MAX_TIMER_MS) {
    throw new InvalidValueError(
      `init: ${key} must be a whole number of milliseconds from 0 to ${MAX_TIMER_MS} (2^31-1, Node's largest timer; ${zero}), got ${show(v)}.`,
      v,
    );
  }
}

/**
 * Checks that `path` is a folder or can be created as one: it, or the nearest part of it that
 * exists, must be a folder. Only `stat` is used.
 * @param option the option it came from, for the message (`artifactsPath`, `offlineRoot`).
 * @throws InvalidValueError when it (or a parent) is a file, FIFO, device…
 */
export function checkFolderPath(path: string, option: string): void {
  const target = resolve(path);
  for (let p = target; ; p = dirname(p)) {
    let st;
    try {
      st = statSync(p);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code === "ENOENT" || code === "ENOTDIR") && dirname(p) !== p) continue;
      return; // permissions and the like: creating the folder reports them
    }
    if (st.isDirectory()) return;
    const where = p === target ? `${target} is a ${fileTypeOf(st)}` : `${target} cannot be created: ${p} is a ${fileTypeOf(st)}`;
    throw new InvalidValueError(`init: ${option} must be a folder, but ${where}. Give a folder path (a missing one is created).`, path);
  }
}
