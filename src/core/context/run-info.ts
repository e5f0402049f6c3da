import { InvalidValueError } from "../errors.js";
import type { RunMetaStore } from "../run-meta.js";
import { show } from "../validate.js";

/** Smallest progress change that is written, as Polyaxon's `log_progress` (1 is always written). */
export const PROGRESS_STEP = 0.025;

/**
 * Progress, tags, name and description of a run (Polyaxon's `log_progress`, `log_tags`,
 * `set_name`, `set_description`), each written at once through the run's atomic, merging
 * `run.plx.json` writer.
 */
export class RunInfo {
  constructor(private readonly meta: RunMetaStore) {}

  /** @throws InvalidValueError unless 0 ≤ value ≤ 1. */
  logProgress(value: number): void {
    if (typeof value !== "number" || !(value >= 0 && value <= 1)) {
      throw new InvalidValueError(`logProgress: the value must be a number between 0 and 1 (got ${show(value)}).`, value);
    }
    const last = this.meta.meta.meta_info.progress;
    if (typeof last === "number" && value !== 1 && Math.abs(value - last) < PROGRESS_STEP) return;
    this.meta.meta.meta_info.progress = value;
    this.meta.persist();
  }

  /** @throws InvalidValueError for anything but non-empty strings. */
  logTags(tags: string | string[], reset: boolean): void {
    const list = typeof tags === "string" ? [tags] : tags;
    if (!Array.isArray(list) || list.some((t) => typeof t !== "string" || t.trim() === "")) {
      throw new InvalidValueError(`logTags: pass a tag or an array of non-empty strings (got ${show(tags)}).`, tags);
    }
    const merged = reset ? [] : [...(this.meta.meta.tags ?? [])];
    for (const t of list) if (!merged.includes(t)) merged.push(t);
    this.meta.meta.tags = merged;
    this.meta.persist();
  }

  /** @throws InvalidValueError for a non-string. */
  setField(field: "name" | "description", value: string, method: string): void {
    if (typeof value !== "string") throw new InvalidValueError(`${method}: pass a string (got ${show(value)}).`, value);
    this.meta.meta[field] = value;
    this.meta.persist();
  }
}
