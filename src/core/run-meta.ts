import { existsSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { CorruptRunError, RunWriteError } from "./errors.js";
import { writeFileAtomicSync } from "./fsutil.js";
import { noteRunChanged } from "./read/change-log.js";
import { readRegularTextSync } from "./fs-safe.js";
import { assignOwn, setOwn } from "./own-props.js";
import { compactJson, pyIsoTimestamp } from "./events/pyformat.js";
import { runLockPath, withRunLock } from "./run-lock.js";

export type RunStatus = "created" | "running" | "succeeded" | "failed" | "stopped";

/** One entry of `status_conditions` (Polyaxon's `V1StatusCondition`). */
export interface V1StatusCondition {
  type: RunStatus;
  status: boolean;
  reason: string;
  message: string;
  last_transition_time: string;
  last_update_time: string;
}

/** `run.plx.json`: an offline `V1Run` (polyaxon-format.md §5.5). Extra keys are allowed by Polyaxon. */
export interface RunMeta {
  uuid: string;
  name?: string;
  description?: string;
  /** Markdown set by `setReadme`. */
  readme?: string;
  tags?: string[];
  project?: string;
  kind: "job";
  runtime: "job";
  is_managed: false;
  managed_by: "user";
  status: RunStatus;
  status_conditions: V1StatusCondition[];
  created_at: string;
  updated_at?: string;
  started_at?: string;
  finished_at?: string;
  wait_time?: number;
  duration?: number;
  meta_info: Record<string, unknown>;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
}

const MESSAGES: Record<RunStatus, string> = {
  created: "Operation is created",
  running: "Operation is running",
  succeeded: "Operation has succeeded",
  failed: "Operation has failed",
  stopped: "Operation is stopped",
};

/**
 * Reads, updates and atomically rewrites `run.plx.json`. Processes sharing a run write under the
 * run's lock with a three-way merge: what this process changed since its last read or write
 * (keys of `inputs`, `outputs`, `meta_info`, new status conditions, other fields) is applied to
 * the file as it is now, so no process drops another's values.
 */
export class RunMetaStore {
  readonly meta: RunMeta;
  readonly resumed: boolean;
  /** The file's content as of our last read or write: what our changes are measured against. */
  private base: Record<string, unknown> = {};
  private readonly lock: string;

  constructor(
    private readonly file: string,
    init: { uuid: string; name?: string; project?: string; description?: string; tags?: string[] },
  ) {
    this.lock = runLockPath(file);
    if (existsSync(file)) {
      const text = readRegularTextSync(file, "resuming the run");
      try {
        this.meta = JSON.parse(text) as RunMeta;
      } catch (err) {
        throw new CorruptRunError(`${file} is not valid JSON; the run's metadata cannot be resumed.`, file, err);
      }
      this.base = structuredClone(this.meta) as unknown as Record<string, unknown>;
      this.meta.meta_info ??= {};
      this.meta.inputs ??= {};
      this.meta.outputs ??= {};
      this.meta.status_conditions ??= [];
      this.resumed = true;
      delete this.meta.finished_at;
      this.setStatus("running", "OfflineOperation", "Operation is resumed", false);
    } else {
      const now = pyIsoTimestamp(Date.now());
      this.meta = {
        uuid: init.uuid,
        ...(init.name !== undefined && { name: init.name }),
        ...(init.description !== undefined && { description: init.description }),
        ...(init.tags !== undefined && { tags: init.tags }),
        ...(init.project !== undefined && { project: init.project }),
        kind: "job",
        runtime: "job",
        is_managed: false,
        managed_by: "user",
        status: "created",
        status_conditions: [],
        created_at: now,
        meta_info: {},
        inputs: {},
        outputs: {},
      };
      this.resumed = false;
      this.setStatus("created", "OfflineOperation", MESSAGES.created, false);
      this.setStatus("running", "OfflineOperation", MESSAGES.running, false);
      this.meta.started_at = now;
      this.meta.wait_time = 0;
    }
    withRunLock(this.lock, () => {
      // Temp files of a process killed mid-write (such writes only happen under this lock).
      const root = dirname(file);
      for (const n of readdirSync(root)) if (/^\.[0-9a-f]{12}\.tmp$/.test(n)) rmSync(join(root, n), { force: true });
      this.persist();
    });
  }

  /** The uuid recorded in an existing `run.plx.json`, if it can be read. */
  static peekUuid(file: string): string | undefined {
    try {
      const uuid = (JSON.parse(readRegularTextSync(file, "resuming the run")) as Partial<RunMeta>).uuid;
      return typeof uuid === "string" ? uuid : undefined;
    } catch {
      return undefined;
    }
  }

  setStatus(status: RunStatus, reason: string, message: string = MESSAGES[status], persist = true): void {
    const now = pyIsoTimestamp(Date.now());
    this.meta.status = status;
    this.meta.updated_at = now;
    this.meta.status_conditions.push({ type: status, status: true, reason, message, last_transition_time: now, last_update_time: now });
    if (status === "succeeded" || status === "failed" || status === "stopped") {
      this.meta.finished_at = now;
      if (this.meta.started_at) {
        this.meta.duration = Math.round((Date.parse(now) - Date.parse(this.meta.started_at)) / 10) / 100;
      }
    }
    if (!persist) return;
    try {
      this.persist();
    } catch (err) {
      this.meta.status_conditions.pop(); // end() may be retried: do not record the condition twice
      throw err;
    }
  }

  /** Sets `meta_info[key] = true` once (has_metrics, has_model, has_events…). */
  flag(key: string): boolean {
    if (this.meta.meta_info[key] === true) return false;
    this.meta.meta_info[key] = true;
    return true;
  }

  /** @throws RunWriteError */
  persist(): void {
    withRunLock(this.lock, () => {
      const theirs = readJson(this.file);
      const merged = theirs ? merge3(this.base, this.meta as unknown as Record<string, unknown>, theirs) : { ...this.meta };
      try {
        writeFileAtomicSync(this.file, compactJson(merged));
      } catch (err) {
        throw new RunWriteError(`could not write ${this.file}: ${(err as Error).message}`, this.file, err);
      }
      noteRunChanged(dirname(this.file));
      const live = this.meta as unknown as Record<string, unknown>;
      for (const k of Object.keys(live)) if (!Object.hasOwn(merged, k)) delete live[k];
      assignOwn(live, merged);
      this.base = structuredClone(merged);
    });
  }
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    // A FIFO or device in its place is not read (it could block): our complete copy replaces it.
    const v = JSON.parse(readRegularTextSync(file, "updating the run's metadata")) as unknown;
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined; // missing (or unreadable: our complete copy replaces it)
  }
}

const same = (a: unknown, b: unknown): boolean => compactJson(a) === compactJson(b);
const DICTS = new Set(["meta_info", "inputs", "outputs"]);

/** `theirs` plus what `ours` changed relative to `base`: per key in the dict fields, appended status conditions, whole values elsewhere. */
function merge3(base: Record<string, unknown>, ours: Record<string, unknown>, theirs: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...theirs };
  for (const k of new Set([...Object.keys(ours), ...Object.keys(base)])) {
    if (DICTS.has(k)) {
      const b = (base[k] ?? {}) as Record<string, unknown>;
      const o = (ours[k] ?? {}) as Record<string, unknown>;
      const d: Record<string, unknown> = { ...((theirs[k] ?? {}) as Record<string, unknown>) };
      for (const kk of new Set([...Object.keys(o), ...Object.keys(b)])) {
        if (Object.hasOwn(o, kk) === Object.hasOwn(b, kk) && same(o[kk], b[kk])) continue;
        if (Object.hasOwn(o, kk)) setOwn(d, kk, o[kk]);
        else delete d[kk];
      }
      setOwn(out, k, d);
    } else if (k === "status_conditions") {
      const added = ((ours[k] ?? []) as unknown[]).slice(((base[k] ?? []) as unknown[]).length);
      setOwn(out, k, [...((theirs[k] ?? []) as unknown[]), ...added]);
    } else if (!same(ours[k], base[k])) {
      if (Object.hasOwn(ours, k) && ours[k] !== undefined) setOwn(out, k, ours[k]);
      else delete out[k];
    }
  }
  return out;
}
