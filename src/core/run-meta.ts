import { existsSync, readFileSync } from "node:fs";
import { CorruptRunError } from "./errors.js";
import { writeFileAtomicSync } from "./fsutil.js";
import { compactJson, pyIsoTimestamp } from "./events/pyformat.js";

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

/** Reads, updates and atomically rewrites `run.plx.json`. */
export class RunMetaStore {
  readonly meta: RunMeta;
  readonly resumed: boolean;

  constructor(
    private readonly file: string,
    init: { uuid: string; name?: string; project?: string; description?: string; tags?: string[] },
  ) {
    if (existsSync(file)) {
      try {
        this.meta = JSON.parse(readFileSync(file, "utf8")) as RunMeta;
      } catch (err) {
        throw new CorruptRunError(`${file} is not valid JSON; the run's metadata cannot be resumed.`, file, err);
      }
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
    this.persist();
  }

  /** The uuid recorded in an existing `run.plx.json`, if it can be read. */
  static peekUuid(file: string): string | undefined {
    try {
      const uuid = (JSON.parse(readFileSync(file, "utf8")) as Partial<RunMeta>).uuid;
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
    if (persist) this.persist();
  }

  /** Sets `meta_info[key] = true` once (has_metrics, has_model, has_events…). */
  flag(key: string): boolean {
    if (this.meta.meta_info[key] === true) return false;
    this.meta.meta_info[key] = true;
    return true;
  }

  persist(): void {
    writeFileAtomicSync(this.file, compactJson(this.meta));
  }
}
