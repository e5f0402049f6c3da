import { basename, isAbsolute, resolve } from "node:path";
import { InvalidValueError } from "./errors.js";
import type { LineageStore, V1RunArtifact } from "./lineage.js";
import { toFqnName } from "./names.js";
import { isPathInside, toRunRelative } from "./paths.js";
import type { RunMetaStore } from "./run-meta.js";
import { show } from "./validate.js";
import { lazyCrypto } from "./builtins.js";

/** Options of `logDataRef` (Polyaxon's `log_data_ref`): a data set by content, by path, or both. */
export interface DataRefOptions {
  /** Required: data references have no default name. */
  name: string;
  /** A known version hash of the data. */
  hash?: string;
  /** Where the data comes from (a file, a folder, a URI). Optional: a reference may be by content only. */
  path?: string;
  /** The data's content (a string): its hash (`md5(content)[:12]`, Polyaxon's `hash_value`) is recorded, not the content. */
  content?: string;
  summary?: Record<string, unknown>;
  /** Default true (data is usually an input). */
  isInput?: boolean;
  /** Record no hash even when `content` or a local `path` is given. */
  skipHashCalculation?: boolean;
}

/** Options of `logFileRef` / `logDirRef` (Polyaxon's `log_file_ref` / `log_dir_ref`). */
export interface PathRefOptions {
  path: string;
  /** Default: the file's base name up to its first dot (`log_file_ref`), or a folder's whole base name (`log_dir_ref`). */
  name?: string;
  hash?: string;
  summary?: Record<string, unknown>;
  isInput?: boolean;
  relPath?: string;
}

/** Options of `logTensorboardRef`. */
export interface TensorboardRefOptions {
  /** Default `"tensorboard"`. */
  name?: string;
  isInput?: boolean;
  relPath?: string;
}

/** Polyaxon's `hash_value` for a string: md5 of its UTF-8 bytes, first 12 hex characters. */
export function hashValue(content: string): string {
  return lazyCrypto().createHash("md5").update(content, "utf8").digest("hex").slice(0, 12);
}

/** `log_dir_ref`'s default name: the folder's base name, dots kept (they become `-` in `to_fqn_name`). */
export function dirRefName(path: string): string {
  return basename(path.replace(/[\\/]+$/, ""));
}

/** The lineage record of a reference whose summary is already known (no file is read). */
export function plainRef(
  root: string,
  lineage: LineageStore,
  rec: { name: string; kind: string; path?: string; summary: Record<string, unknown>; isInput: boolean; relPath?: string },
): V1RunArtifact {
  const out: V1RunArtifact = { name: toFqnName(rec.name), kind: rec.kind };
  const recPath = rec.relPath ?? runRecordPath(root, rec.path);
  if (recPath !== undefined) out.path = recPath;
  out.summary = rec.summary;
  out.is_input = rec.isInput;
  lineage.upsert(out);
  return out;
}

/** A record's `path` field as Polyaxon's `_sanitize_filepath` gives it: run-relative inside the run, else as given (URIs) or absolute. */
function runRecordPath(root: string, path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(path)) return path;
  const abs = resolve(path);
  return isPathInside(root, abs) ? toRunRelative(root, abs) : isAbsolute(path) ? path : abs;
}

/** Checks a data reference made by content only and returns its summary (user keys, then `hash`). */
export function contentOnlySummary(opts: DataRefOptions): Record<string, unknown> {
  if (opts.summary !== undefined && (opts.summary === null || typeof opts.summary !== "object" || Array.isArray(opts.summary))) {
    throw new InvalidValueError(`logDataRef: \`summary\` must be a plain object (got ${show(opts.summary)}).`, opts.summary);
  }
  const summary: Record<string, unknown> = { ...(opts.summary ?? {}) };
  if (opts.hash !== undefined) summary.hash = opts.hash;
  else if (opts.content !== undefined && !opts.skipHashCalculation) summary.hash = hashValue(opts.content);
  return summary;
}

/** Checks the common arguments of `logDataRef`. */
export function checkDataRef(opts: DataRefOptions): void {
  if (opts === null || typeof opts !== "object") throw new InvalidValueError("logDataRef: pass { name, content?, hash?, path?, summary? }.", opts);
  toFqnName(opts.name);
  if (opts.content !== undefined && typeof opts.content !== "string") {
    throw new InvalidValueError(
      `logDataRef: \`content\` must be a string (got ${show(opts.content)}); its hash is Polyaxon's hash_value(content), which is only defined the same way in both languages for text. Hash other data yourself and pass \`hash\`.`,
      opts.content,
    );
  }
  if (opts.hash !== undefined && (typeof opts.hash !== "string" || opts.hash === "")) {
    throw new InvalidValueError(`logDataRef: \`hash\` must be a non-empty string (got ${show(opts.hash)}).`, opts.hash);
  }
}

/**
 * `log_tensorboard_ref`: once per run (guarded by `meta_info.has_tensorboard`), a reference of
 * kind `tensorboard` with no hash (`skip_hash_calculation=True`); returns undefined when already logged.
 */
export function tensorboardRef(
  root: string,
  lineage: LineageStore,
  meta: RunMetaStore,
  path: string,
  opts: TensorboardRefOptions,
): V1RunArtifact | undefined {
  if (meta.meta.meta_info.has_tensorboard === true) return undefined;
  if (typeof path !== "string" || path === "") throw new InvalidValueError(`logTensorboardRef: \`path\` must be a non-empty string (got ${show(path)}).`, path);
  const local = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(path) ? path : resolve(path);
  const rec = plainRef(root, lineage, {
    name: opts.name ?? "tensorboard",
    kind: "tensorboard",
    path,
    summary: { path: local },
    isInput: !!opts.isInput,
    ...(opts.relPath !== undefined && { relPath: opts.relPath }),
  });
  meta.flag("has_tensorboard");
  meta.persist();
  return rec;
}
