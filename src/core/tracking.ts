import { NoActiveRunError } from "./errors.js";
import { Run, type InitOptions } from "./run.js";
import { loadStoreLayer } from "./store-layer.js";

// Kept on globalThis so the ESM and CJS builds (and every adapter bundle) share one default run.
const DEFAULT_RUN = Symbol.for("runtrail.defaultRun");
type Holder = { [DEFAULT_RUN]?: Run };

/** The module-level default run set by the latest `init()`, or undefined. */
export function getDefaultRun(): Run | undefined {
  return (globalThis as Holder)[DEFAULT_RUN];
}

export function setDefaultRun(run: Run | undefined): void {
  (globalThis as Holder)[DEFAULT_RUN] = run;
}

/** The given run, else the default one. @throws NoActiveRunError naming `caller` (e.g. `"withOnnxExport()"`). */
export function resolveRun(run: Run | undefined, caller: string): Run {
  const r = run ?? getDefaultRun();
  if (!r) throw new NoActiveRunError(caller);
  return r;
}

/**
 * Starts (or resumes, with an existing `runUuid`) a run and makes it the default run used by
 * `tracking.*` and by adapters given no `run`.
 *
 * @example
 * const run = await init({ project: "mnist", name: "baseline" });
 * run.logMetric("loss", 0.25, { step: 1 });
 * await run.end();
 */
export async function init(opts: InitOptions = {}): Promise<Run> {
  const run = new Run(opts, opts?.store === undefined ? undefined : await loadStoreLayer());
  setDefaultRun(run);
  return run;
}

type RunMethodName = {
  [K in keyof Run]: Run[K] extends (...args: any[]) => any ? (K extends `_${string}` ? never : K) : never;
}[keyof Run];

/**
 * The public methods of `Run`, by name. TypeScript's `private` methods are on the prototype too,
 * so the facade is built from this list, not from the prototype; the check below makes a public
 * method missing from it a compile error.
 */
const PUBLIC_METHODS = [
  "getArtifactsPath",
  "getOutputsPath",
  "getTensorboardPath",
  "logMetric",
  "logMetrics",
  "logCurve",
  "logRocAucCurve",
  "logPrCurve",
  "logSklearnRocAucCurve",
  "logSklearnPrCurve",
  "logConfusionMatrix",
  "logHistogram",
  "logText",
  "logHtml",
  "logChart",
  "logTrace",
  "logImage",
  "logAudio",
  "logVideo",
  "logDataframe",
  "logInputs",
  "logOutputs",
  "logTags",
  "setName",
  "setDescription",
  "setReadme",
  "logProgress",
  "logCodeRef",
  "logEnv",
  "logArtifactRef",
  "logModelRef",
  "logDataRef",
  "logFileRef",
  "logDirRef",
  "logTensorboardRef",
  "logArtifact",
  "logModel",
  "saveModel",
  "logSucceeded",
  "logFailed",
  "logStopped",
  "flush",
  "end",
] as const satisfies readonly RunMethodName[];
type Unlisted = Exclude<RunMethodName, (typeof PUBLIC_METHODS)[number]>;
const everyPublicMethodListed: [Unlisted] extends [never] ? true : { missingFromPublicMethods: Unlisted } = true;
void everyPublicMethodListed;

/** Every public `Run` method, bound to the default run, plus `init`, `run`, `uuid` and `artifactsPath`. */
export type Tracking = { [K in RunMethodName]: Run[K] } & {
  init: typeof init;
  /** The default run, or undefined before `init()`. */
  readonly run: Run | undefined;
  readonly uuid: string;
  readonly artifactsPath: string;
};

function buildTracking(): Tracking {
  const facade: Record<string, unknown> = { init };
  for (const key of PUBLIC_METHODS) {
    facade[key] = (...args: unknown[]) => {
      const run = resolveRun(undefined, `tracking.${key}()`);
      return (run[key] as (...a: unknown[]) => unknown).apply(run, args);
    };
  }
  Object.defineProperty(facade, "run", { get: getDefaultRun, enumerable: true });
  Object.defineProperty(facade, "uuid", { get: () => resolveRun(undefined, "tracking.uuid").uuid, enumerable: true });
  Object.defineProperty(facade, "artifactsPath", { get: () => resolveRun(undefined, "tracking.artifactsPath").artifactsPath, enumerable: true });
  return Object.freeze(facade) as Tracking;
}

/**
 * The module-level API, as `from polyaxon import tracking`: every public Run method (and only
 * those) logs to the default run; calls before `init()` throw NoActiveRunError.
 *
 * @example
 * await tracking.init({ project: "demo" });
 * tracking.logMetric("loss", 0.1, { step: 0 });
 * await tracking.end();
 */
export const tracking: Tracking = buildTracking();
