/** The last logged value of one metric stream. `step` is null for rows logged without one. */
export interface MetricLast {
  step: number | null;
  value: number;
}

/**
 * One run as `listRuns` and `getRun` return it. Every field comes from the run folder:
 * `run.plx.json` and the last row of each `events/metric/<name>.plx`.
 */
export interface RunSummary {
  /** `run.plx.json`'s uuid (the folder name when the file has none). */
  uuid: string;
  name: string | null;
  project: string | null;
  /** `created`, `running`, `succeeded`, `failed`, `stopped`; null when the metadata has none or cannot be read. */
  status: string | null;
  tags: string[];
  /** ISO times as written in `run.plx.json`. */
  createdAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  /** Seconds: `duration` when recorded, else finished − started, else (still going) now − started. */
  duration: number | null;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  /** The last row of every metric stream: live while the run is going. */
  metrics: Record<string, MetricLast>;
  /** The run folder (absolute). */
  path: string;
  /**
   * Only present when something of the run could not be read: one line per problem (a field of
   * the wrong JSON type is read as absent, `run.plx.json` that is not JSON…). The run is still listed.
   */
  damaged?: string[];
}

/** The fields of `run.plx.json` a summary uses, each checked for its JSON type. */
export interface MetaFields {
  uuid: string | null;
  name: string | null;
  project: string | null;
  status: string | null;
  tags: string[];
  createdAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  duration: number | null;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  damaged: string[];
}

const FINAL = new Set(["succeeded", "failed", "stopped", "done", "skipped", "upstream_failed"]);

/** True for a status after which a run writes nothing more (unless it is resumed, which rewrites `run.plx.json`). */
export function isFinalStatus(status: string | null): boolean {
  return status !== null && FINAL.has(status);
}

function jsonType(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
}

function isDict(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Reads the fields readers use from parsed `run.plx.json`. A field of the wrong JSON type (a
 * numeric uuid, an object status, a string `tags`…) is treated as absent and named in `damaged`;
 * nothing here throws, so one damaged run never fails a listing.
 */
export function metaFields(raw: unknown): MetaFields {
  const damaged: string[] = [];
  const m: Record<string, unknown> = isDict(raw) ? raw : {};
  if (!isDict(raw)) damaged.push(`run.plx.json: expected a JSON object, got ${jsonType(raw)}`);
  const wrong = (key: string, expected: string): void => {
    damaged.push(`${key}: expected ${expected}, got ${jsonType(m[key])}`);
  };
  const text = (key: string): string | null => {
    const v = m[key];
    if (v === undefined || v === null) return null;
    if (typeof v === "string") return v.length ? v : null;
    wrong(key, "a string");
    return null;
  };
  const time = (key: string): string | null => {
    const v = text(key);
    if (v !== null && Number.isNaN(Date.parse(v))) {
      damaged.push(`${key}: ${JSON.stringify(v).slice(0, 60)} is not a time`);
      return null;
    }
    return v;
  };
  const dict = (key: string): Record<string, unknown> => {
    const v = m[key];
    if (v === undefined || v === null) return {};
    if (isDict(v)) return v;
    wrong(key, "an object");
    return {};
  };
  let tags: string[] = [];
  if (Array.isArray(m.tags) && m.tags.every((t) => typeof t === "string")) tags = m.tags as string[];
  else if (m.tags !== undefined && m.tags !== null) wrong("tags", "an array of strings");
  let duration: number | null = null;
  if (typeof m.duration === "number" && Number.isFinite(m.duration)) duration = m.duration;
  else if (m.duration !== undefined && m.duration !== null) wrong("duration", "a number");
  return {
    uuid: text("uuid"),
    name: text("name"),
    project: text("project"),
    status: text("status"),
    tags,
    createdAt: time("created_at"),
    startedAt: time("started_at"),
    finishedAt: time("finished_at"),
    duration,
    inputs: dict("inputs"),
    outputs: dict("outputs"),
    damaged,
  };
}

/** Duration in seconds: the recorded one, else finished − started, else now − started while the run is going. */
export function runDuration(f: Pick<MetaFields, "duration" | "startedAt" | "createdAt" | "finishedAt" | "status">, now = Date.now()): number | null {
  if (f.duration !== null) return f.duration;
  const started = Date.parse(f.startedAt ?? f.createdAt ?? "");
  if (Number.isNaN(started)) return null;
  const finished = Date.parse(f.finishedAt ?? "");
  if (!Number.isNaN(finished)) return Math.max(0, (finished - started) / 1000);
  return f.status === "running" || f.status === "created" ? Math.max(0, (now - started) / 1000) : null;
}
