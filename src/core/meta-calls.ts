import { InvalidValueError } from "./errors.js";
import { show } from "./validate.js";

/**
 * Polyaxon's `validate_tags`: a comma-separated string or a list; each tag trimmed, empty and
 * non-string entries dropped.
 * @throws InvalidValueError for anything else.
 */
export function normalizeTags(tags: unknown, method: string): string[] {
  let list: unknown[];
  if (typeof tags === "string") list = tags.split(",");
  else if (Array.isArray(tags)) list = tags;
  else throw new InvalidValueError(`${method}: tags must be a string ("a, b") or an array of strings (got ${show(tags)}).`, tags);
  return list.filter((t): t is string => typeof t === "string").map((t) => t.trim()).filter((t) => t.length > 0);
}

/** `log_progress`'s check: a number from 0 to 1. */
export function checkProgress(value: unknown): number {
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new InvalidValueError(`logProgress: pass a number from 0 to 1 (got ${show(value)} of type ${typeof value}).`, value);
  }
  if (value < 0 || value > 1) throw new InvalidValueError(`logProgress: ${value} is not a valid percentage; pass a value from 0 to 1.`, value);
  return value;
}

/**
 * Polyaxon's `_throttle_updates` for `log_progress`: once three small steps (under 0.025, below
 * 1) went through, a further small step in the same wall-clock second as the last one is skipped.
 */
export class ProgressThrottle {
  private second = -1;
  private updates = 0;

  /** True when this update should be skipped. */
  skip(current: number, value: number, nowMs = Date.now()): boolean {
    if (!(value - current < 0.025 && value < 1)) return false;
    const second = Math.floor(nowMs / 1000);
    if (second === this.second && this.updates > 2) return true;
    // As Python's `_last_update = (current_time, updates + 1)`: the count is never reset.
    this.second = second;
    this.updates++;
    return false;
  }
}
