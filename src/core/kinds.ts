/**
 * Polyaxon's `V1ArtifactKind` values, in declaration order (traceml `artifacts/enums.py`).
 * The kind names the event folder (`events/<kind>/`), the asset folder (`assets/<kind>/`)
 * and the value column of a CSV event file.
 */
export const V1ArtifactKind = {
  MODEL: "model",
  AUDIO: "audio",
  VIDEO: "video",
  HISTOGRAM: "histogram",
  IMAGE: "image",
  TENSOR: "tensor",
  DATAFRAME: "dataframe",
  CHART: "chart",
  CSV: "csv",
  TSV: "tsv",
  PSV: "psv",
  SSV: "ssv",
  METRIC: "metric",
  ENV: "env",
  HTML: "html",
  TEXT: "text",
  FILE: "file",
  DIR: "dir",
  DOCKERFILE: "dockerfile",
  DOCKER_IMAGE: "docker_image",
  DATA: "data",
  CODEREF: "coderef",
  TABLE: "table",
  TENSORBOARD: "tensorboard",
  CURVE: "curve",
  CONFUSION: "confusion",
  ANALYSIS: "analysis",
  ITERATION: "iteration",
  MARKDOWN: "markdown",
  SYSTEM: "system",
  ARTIFACT: "artifact",
  SPAN: "span",
} as const;

export type V1ArtifactKind = (typeof V1ArtifactKind)[keyof typeof V1ArtifactKind];

const ALL_KINDS: ReadonlySet<string> = new Set(Object.values(V1ArtifactKind));
const JSONL_KINDS: ReadonlySet<string> = new Set(["html", "text", "chart", "span"]);

export function isArtifactKind(value: unknown): value is V1ArtifactKind {
  return typeof value === "string" && ALL_KINDS.has(value);
}

/** `V1ArtifactKind.is_jsonl_file_event`: these kinds' event files are JSONL, every other kind is pipe-CSV. */
export function isJsonlKind(kind: string): boolean {
  return JSONL_KINDS.has(kind);
}

export const allArtifactKinds: readonly V1ArtifactKind[] = Object.values(V1ArtifactKind);
