export { Run } from "./core/run.js";
export type { InitOptions, StepOptions, PathOptions } from "./core/run.js";
export { init, tracking, getDefaultRun } from "./core/tracking.js";
export type { Tracking } from "./core/tracking.js";
export { V1ArtifactKind, isArtifactKind, isJsonlKind } from "./core/kinds.js";
export { readEvents, readMetricColumns, parseEvents } from "./core/events/reader.js";
export type { EventRow, MetricColumns, ParsedEvents } from "./core/events/reader.js";
export type {
  ArtifactValue,
  ChartValue,
  ConfusionValue,
  CurveValue,
  EventValue,
  EventValueByKind,
  HistogramValue,
  ImageValue,
  ModelValue,
} from "./core/events/values.js";
export { loadRun } from "./core/load-run.js";
export { listRuns, getRun } from "./core/read/list-runs.js";
export type { ListRunsOptions } from "./core/read/list-runs.js";
export type { RunSummary, MetricLast } from "./core/read/summary.js";
export { readLogs, readResources, parseLogs } from "./core/context/read.js";
export type { LogLine } from "./core/context/read.js";
export type { ContextOptions } from "./core/context/options.js";
export type { CodeRef } from "./core/context/coderef.js";
export type { RunEnv } from "./core/context/env.js";
export { RESOURCE_STREAMS } from "./core/context/resources.js";
export type { LoadedRun } from "./core/load-run.js";
export type { V1RunArtifact } from "./core/lineage.js";
export type { RunMeta, RunStatus, V1StatusCondition } from "./core/run-meta.js";
export type {
  ArtifactRefOptions,
  LoggedAsset,
  LogArtifactOptions,
  LogImageOptions,
  LogModelOptions,
  ModelRefOptions,
  SaveModelOptions,
} from "./core/assets.js";
export { toFqnName } from "./core/names.js";
export * from "./core/errors.js";
// Polyaxon fidelity (issue #14): curve math, media/table events, references, lineage names, pruned versions.
export type { EventOptions, SklearnCurveOptions, StatusOptions } from "./core/run.js";
export type { AudioValue, VideoValue } from "./core/media.js";
export type { DataframeValue } from "./core/events/values.js";
export type { LogAudioOptions, LogVideoOptions, LogDataframeOptions } from "./core/media-events.js";
export type { DataframeRow } from "./core/dataframe.js";
export type { SpanKind, SpanValue } from "./core/trace.js";
export type { DataRefOptions, PathRefOptions, TensorboardRefOptions } from "./core/refs.js";
export { uniqueLineageNames, streamOfRecord, LineageNameConflictError } from "./core/lineage-names.js";
export { prunedVersions, prunedStepsOfRow } from "./core/pruned-versions.js";
export { readPrunedVersions } from "./core/pruned-reader.js";
export type { VersionRow } from "./core/pruned-versions.js";
