import { InvalidValueError } from "../errors.js";
import { show } from "../validate.js";

/** What a run records without being asked; each on by default, as Polyaxon's offline client. */
export interface ContextOptions {
  /**
   * Sample system resources into `resources/metric/<name>.plx` (metric rows without a step).
   * Default true; env `POLYAXON_COLLECT_RESOURCES=false` (or `POLYAXON_COLLECT_ARTIFACTS=false`,
   * which also turns Polyaxon's resource collection off) disables it when the option is not given.
   */
  collectResources?: boolean;
  /** Sampling interval of `collectResources`, in ms. Default 10 000 (Polyaxon's `flush_secs`). At least 100. */
  resourcesIntervalMs?: number;
  /**
   * Capture what the process writes to stdout and stderr into `plxlogs/logs.jsonl` (it still
   * reaches the terminal unchanged). Default true; env `RUNTRAIL_COLLECT_LOGS=false` disables it.
   * Only new runs capture, as in Polyaxon (a resumed run appends nothing unless `true` is given).
   */
  collectLogs?: boolean;
  /**
   * Record the git commit of the working directory as a `coderef` lineage record. Default true for
   * new runs; env `RUNTRAIL_TRACK_CODE=false` disables it.
   */
  trackCode?: boolean;
  /** Write `outputs/env.json` and an `env` lineage record. Default true; env `RUNTRAIL_TRACK_ENV=false` disables it. */
  trackEnv?: boolean;
}

/** The resolved switches. */
export interface ContextSettings {
  collectResources: boolean;
  resourcesIntervalMs: number;
  collectLogs: boolean;
  trackCode: boolean;
  trackEnv: boolean;
}

/** Reads a boolean env var as Polyaxon's `to_bool` does (`true/false`, `1/0`, `yes/no`, `y/n`); undefined when unset. */
export function envBool(name: string, env: NodeJS.ProcessEnv = process.env): boolean | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return undefined;
  const v = raw.trim().toLowerCase();
  if (["true", "1", "yes", "y", "t", "on"].includes(v)) return true;
  if (["false", "0", "no", "n", "f", "off"].includes(v)) return false;
  throw new InvalidValueError(`environment variable ${name}=${JSON.stringify(raw)} is not a boolean; use true or false.`, raw);
}

function checkBool(value: unknown, name: string): boolean | undefined {
  if (value === undefined || typeof value === "boolean") return value;
  throw new InvalidValueError(`init: ${name} must be true or false (got ${show(value)}).`, value);
}

/**
 * The options given, else the environment, else the defaults (everything on; logs, code and env
 * only for a new run, as Polyaxon's `is_new`).
 * @throws InvalidValueError for a non-boolean switch, a bad env value, or an interval below 100 ms.
 */
export function resolveContextOptions(opts: ContextOptions, resumed: boolean, env: NodeJS.ProcessEnv = process.env): ContextSettings {
  const interval = opts.resourcesIntervalMs ?? 10_000;
  if (typeof interval !== "number" || !Number.isFinite(interval) || interval < 100) {
    throw new InvalidValueError(`init: resourcesIntervalMs must be a number of milliseconds ≥ 100 (got ${show(interval)}).`, interval);
  }
  const artifacts = envBool("POLYAXON_COLLECT_ARTIFACTS", env);
  return {
    collectResources: checkBool(opts.collectResources, "collectResources") ?? envBool("POLYAXON_COLLECT_RESOURCES", env) ?? artifacts ?? true,
    resourcesIntervalMs: interval,
    collectLogs: checkBool(opts.collectLogs, "collectLogs") ?? envBool("RUNTRAIL_COLLECT_LOGS", env) ?? !resumed,
    trackCode: checkBool(opts.trackCode, "trackCode") ?? envBool("RUNTRAIL_TRACK_CODE", env) ?? !resumed,
    // A resumed run keeps the env.json it has: rewriting it races a kill between the file and its lineage hash.
    trackEnv: checkBool(opts.trackEnv, "trackEnv") ?? envBool("RUNTRAIL_TRACK_ENV", env) ?? !resumed,
  };
}
