import { existsSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { InvalidValueError } from "./errors.js";
import { toFqnName } from "./names.js";
import { eventPath, resolveInside } from "./paths.js";
import { readVersionsSync } from "./read/versions.js";
import { bestVersion, checkRetentionOptions, isImprovement, resolveMode, selectRetained, type RetentionOptions } from "./retention.js";
import type { Run } from "./run.js";

/** One checkpoint on disk: its step, absolute path and the metrics it was saved with. */
export interface CheckpointInfo {
  step: number;
  path: string;
  metrics: Record<string, number>;
}

/** Options of a {@link CheckpointManager}. */
export interface CheckpointPolicy extends RetentionOptions {
  /** Stream name: versions are `assets/model/<name>_<step>`. */
  name: string;
  /** Recorded in the lineage (`tfjs`, `onnx`, …). */
  framework: string;
}

/** Raised when `monitor` names a metric the training loop does not report. */
export class UnknownMonitorError extends InvalidValueError {
  constructor(monitor: string, available: string[]) {
    super(
      `monitor "${monitor}" is not among the metrics reported at this step (${available.length ? available.map((k) => `"${k}"`).join(", ") : "none"}); pick one of them, or log "${monitor}" yourself.`,
      monitor,
    );
  }
}

interface Version extends CheckpointInfo {
  relPath: string;
  value?: number;
}

/**
 * Versioned checkpoints of one model stream under a selection and retention policy — the one
 * implementation behind the tfjs callback and the generic checkpoint hook. It saves through
 * `run.saveModel` (staged in the run, committed by rename), deletes the versions the policy
 * drops, and keeps `best` and `versions` in the stream's lineage record. On a resumed run it
 * picks up the versions still on disk and the best value so far from the stream's event rows.
 */
export class CheckpointManager {
  readonly name: string;
  readonly mode: "min" | "max";
  private readonly versions: Version[] = [];
  private bestSoFar: number | undefined;

  constructor(
    readonly run: Run,
    readonly policy: CheckpointPolicy,
  ) {
    checkRetentionOptions(policy, `checkpoint "${policy.name}"`);
    this.name = toFqnName(policy.name);
    this.mode = resolveMode(policy.monitor, policy.mode);
    this.loadExisting();
  }

  /** The monitored value among `metrics`; undefined when no monitor is set. @throws UnknownMonitorError */
  monitorValue(metrics: Record<string, number>): number | undefined {
    const monitor = this.policy.monitor;
    if (!monitor) return undefined;
    const v = metrics[monitor];
    if (typeof v !== "number") throw new UnknownMonitorError(monitor, Object.keys(metrics));
    return v;
  }

  /** Whether a checkpoint with these metrics should be saved (`saveBestOnly` compares with the best so far). */
  shouldSave(metrics: Record<string, number>): boolean {
    const value = this.monitorValue(metrics);
    if (!this.policy.saveBestOnly) return true;
    return isImprovement(value, this.bestSoFar, this.mode);
  }

  /**
   * Saves a version through `run.saveModel`, then applies retention. The summary of the version
   * holds `step`, `metrics` and `extra` (e.g. the epoch).
   */
  async save(
    step: number,
    metrics: Record<string, number>,
    write: (dir: string) => Promise<void>,
    extra: Record<string, unknown> = {},
  ): Promise<CheckpointInfo> {
    const value = this.monitorValue(metrics);
    const saved = await this.run.saveModel({
      name: this.name,
      step,
      framework: this.policy.framework,
      summary: { ...extra, step, metrics },
      write,
    });
    const idx = this.versions.findIndex((v) => v.step === step);
    if (idx >= 0) this.versions.splice(idx, 1);
    const version: Version = { step, path: saved.path, relPath: saved.relPath, metrics: { ...metrics }, ...(value !== undefined && { value }) };
    this.versions.push(version);
    this.versions.sort((a, b) => a.step - b.step);
    if (isImprovement(value, this.bestSoFar, this.mode)) this.bestSoFar = value;
    this.applyRetention();
    return { step, path: saved.path, metrics: version.metrics };
  }

  /** The newest version on disk. */
  latest(): CheckpointInfo | undefined {
    const v = this.versions[this.versions.length - 1];
    return v && publicInfo(v);
  }

  /** The best version on disk by `monitor`. */
  best(): CheckpointInfo | undefined {
    const v = bestVersion(this.versions, this.mode);
    return v && publicInfo(v);
  }

  /** Every version still on disk, oldest first. */
  list(): CheckpointInfo[] {
    return this.versions.map(publicInfo);
  }

  /** The best monitored value seen by this stream, including versions already pruned. */
  get bestValue(): number | undefined {
    return this.bestSoFar;
  }

  private applyRetention(): void {
    const keep = selectRetained(this.versions, this.policy);
    const pruned = this.versions.filter((v) => !keep.has(v.step));
    const kept = this.versions.filter((v) => keep.has(v.step));
    // Lineage first, then the folders: a kill in between leaves complete versions the lineage no
    // longer lists (pruned on the next save after resuming), never a listed version that is gone.
    const best = this.policy.monitor ? bestVersion(kept, this.mode) : undefined;
    this.run._versions.select("model", this.name, {
      ...(best && {
        best: { step: best.step, path: best.relPath, monitor: this.policy.monitor!, mode: this.mode, value: best.value!, summary: { step: best.step, metrics: best.metrics } },
      }),
      versions: kept.map((v) => v.step),
    });
    const deleted: number[] = [];
    for (const v of pruned) {
      try {
        // A rename makes the version vanish at once; a kill during the recursive delete then only
        // leaves a staging folder (removed when the run is resumed), never a half-deleted version.
        const trash = this.run._stagingPath();
        renameSync(resolveInside(this.run.artifactsPath, v.relPath, "checkpoint path"), trash);
        this.versions.splice(this.versions.indexOf(v), 1);
        deleted.push(v.step);
        rmSync(trash, { recursive: true, force: true });
      } catch (err) {
        process.emitWarning(`runtrail could not remove checkpoint ${v.path}: ${(err as Error).message}`, { code: "RUNTRAIL_WRITE_FAILED" });
      }
    }
    this.run._markPruned("model", this.name, deleted);
  }

  private loadExisting(): void {
    if (!existsSync(eventPath(this.run.artifactsPath, "model", this.name))) return;
    const view = readVersionsSync(this.run.artifactsPath, "model", this.name, { lineage: this.run._lineage.list() });
    const monitor = this.policy.monitor;
    for (const v of view.versions) {
      if (v.step === null || !v.path) continue;
      const monitored = monitor ? v.metrics[monitor] : undefined;
      // Pruned versions count for the best so far: saveBestOnly must beat them too.
      if (isImprovement(monitored, this.bestSoFar, this.mode)) this.bestSoFar = monitored;
      if (!v.exists) continue;
      this.versions.push({ step: v.step, path: join(this.run.artifactsPath, v.path), relPath: v.path, metrics: v.metrics, ...(monitored !== undefined && { value: monitored }) });
    }
    this.versions.sort((a, b) => a.step - b.step);
  }
}

function publicInfo(v: Version): CheckpointInfo {
  return { step: v.step, path: v.path, metrics: v.metrics };
}
