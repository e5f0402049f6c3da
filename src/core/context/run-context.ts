import { join } from "node:path";
import { InvalidValueError, RunWriteError } from "../errors.js";
import { compactJson } from "../events/pyformat.js";
import { hashBytes, writeFileAtomicSync } from "../fsutil.js";
import type { LineageStore, V1RunArtifact } from "../lineage.js";
import { RunLayout } from "../paths.js";
import { show } from "../validate.js";
import { readCodeRef, stripCredentials, type CodeRef } from "./coderef.js";
import { collectRunEnv } from "./env.js";
import { LogCapture } from "./log-capture.js";
import type { ContextSettings } from "./options.js";
import { ResourceSampler } from "./resources.js";

/** `outputs/env.json`, relative to the run. */
export const ENV_REL_PATH = `${RunLayout.outputs}/env.json`;

interface RunContextDeps {
  root: string;
  flushIntervalMs: number;
  lineage: LineageStore;
  settings: ContextSettings;
  /** Where background failures go (the run's writer keeps them for the next `flush()`/`end()`). */
  onError: (err: RunWriteError) => void;
  /** Registers a promise the run waits for before it ends. */
  track: <T>(p: Promise<T>) => Promise<T>;
}

/**
 * Everything a run records without being asked, started with the run and stopped by `end()`:
 * resource sampling, log capture, the code reference and the environment record.
 */
export class RunContext {
  private readonly resources: ResourceSampler | undefined;
  private readonly logs: LogCapture | undefined;

  constructor(private readonly deps: RunContextDeps) {
    const { root, settings, onError } = deps;
    if (settings.collectResources) this.resources = new ResourceSampler(root, settings.resourcesIntervalMs, onError);
    if (settings.collectLogs) this.logs = new LogCapture(root, deps.flushIntervalMs, onError);
  }

  /** Starts sampling and capturing; writes the environment; looks up the code reference in the background. */
  start(): void {
    this.resources?.start();
    this.logs?.start();
    if (this.deps.settings.trackEnv) {
      try {
        this.logEnv();
      } catch (err) {
        this.deps.onError(err instanceof RunWriteError ? err : new RunWriteError(`could not write ${ENV_REL_PATH}: ${(err as Error).message}`, ENV_REL_PATH, err));
      }
    }
    if (this.deps.settings.trackCode) void this.deps.track(this.logCodeRef().catch(() => undefined));
  }

  /**
   * Writes `outputs/env.json` (compact JSON) and its lineage reference `{ name: "env", kind: "env",
   * summary: { path, hash } }`, as Polyaxon's `log_env`. `content` replaces the collected environment.
   */
  logEnv(content?: Record<string, unknown>): V1RunArtifact {
    if (content !== undefined && (content === null || typeof content !== "object" || Array.isArray(content))) {
      throw new InvalidValueError(`logEnv: content must be a JSON object (got ${show(content)}).`, content);
    }
    const file = join(this.deps.root, ENV_REL_PATH);
    let text: string;
    try {
      text = compactJson(content ?? collectRunEnv());
    } catch (err) {
      throw new InvalidValueError(`logEnv: content cannot be written as JSON (${(err as Error).message}).`, content, err);
    }
    try {
      writeFileAtomicSync(file, text);
    } catch (err) {
      throw new RunWriteError(`could not write ${file}: ${(err as Error).message}`, file, err);
    }
    const rec: V1RunArtifact = { name: "env", kind: "env", path: ENV_REL_PATH, summary: { path: file, hash: hashBytes(text) }, is_input: false };
    this.deps.lineage.upsert(rec);
    return rec;
  }

  /**
   * Records a `coderef` lineage record named by the commit, as Polyaxon's `log_code_ref`: the given
   * reference, else the git repository of the working directory. Nothing is recorded (and
   * `undefined` returned) without a commit — not a repository, or no `git`.
   */
  async logCodeRef(codeRef?: Partial<CodeRef> & Record<string, unknown>, opts: { isInput?: boolean } = {}): Promise<V1RunArtifact | undefined> {
    if (codeRef !== undefined && (codeRef === null || typeof codeRef !== "object" || Array.isArray(codeRef))) {
      throw new InvalidValueError(`logCodeRef: codeRef must be an object like { commit, branch, url, is_dirty } (got ${show(codeRef)}).`, codeRef);
    }
    const ref: Record<string, unknown> | undefined = codeRef ? { ...codeRef } : await readCodeRef();
    if (!ref || typeof ref.commit !== "string" || ref.commit.length === 0) return undefined;
    if (typeof ref.url === "string") ref.url = stripCredentials(ref.url);
    const rec: V1RunArtifact = { name: ref.commit as string, kind: "coderef", summary: ref, is_input: opts.isInput ?? true };
    this.deps.lineage.upsert(rec);
    return rec;
  }

  /** Writes captured lines and resource rows now. @throws RunWriteError */
  flush(): void {
    this.logs?.flush();
  }

  /** Exit path: write what can be written, never throw. */
  flushQuietly(): void {
    this.logs?.flushQuietly();
    this.resources?.flushQuietly();
  }

  /** Stops sampling and capturing (restoring stdout/stderr) and writes the rest. Never throws. */
  stop(): void {
    this.resources?.stop();
    this.logs?.stop();
  }
}
