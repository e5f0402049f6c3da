import type { AudioValue, VideoValue } from "../media.js";
import { compactJson, csvSafeJson, jsonFloat, jsonFloatList, pyFloatRepr, pyJsonString } from "./pyformat.js";

/** `V1EventCurve`: a ROC, PR or custom curve. */
export interface CurveValue {
  kind: "roc" | "pr" | "custom";
  x: number[];
  y: number[];
  annotation?: string;
}
/** `V1EventConfusionMatrix`: labels `x`, `y` and the square matrix `z`. */
export interface ConfusionValue {
  x: Array<string | number>;
  y: Array<string | number>;
  z: number[][];
}
/** `V1EventHistogram`. Polyaxon's naming quirk: `values` holds the per-bin counts, `counts` the bin edges (n+1). */
export interface HistogramValue {
  values: number[];
  counts: number[];
}
/** `V1EventImage`: `path` is relative to the run root. */
export interface ImageValue {
  height?: number;
  width?: number;
  colorspace?: number;
  path: string;
}
/** `V1EventModel`: one version of a model; `spec` is the caller's summary of it. */
export interface ModelValue {
  framework?: string;
  path: string;
  spec?: Record<string, unknown>;
}
/** `V1EventArtifact`: one version of a logged artifact. */
export interface ArtifactValue {
  kind: string;
  path: string;
}
/** `V1EventChart`. */
export interface ChartValue {
  kind: "plotly" | "bokeh" | "vega";
  figure: Record<string, unknown>;
}

/** `V1EventDataframe`: a table file behind the row (`content_type` `csv` or `html`). */
export interface DataframeValue {
  path: string;
  content_type?: string;
}

/** What `readEvents` returns as `value`, by kind. */
export interface EventValueByKind {
  metric: number;
  curve: CurveValue;
  confusion: ConfusionValue;
  histogram: HistogramValue;
  image: ImageValue;
  model: ModelValue;
  text: string;
  html: string;
  chart: ChartValue;
  audio: AudioValue;
  video: VideoValue;
  dataframe: DataframeValue;
}
export type EventValue<K extends string> = K extends keyof EventValueByKind ? EventValueByKind[K] : unknown;

/** The value column of a CSV row, in the field order Polyaxon's schemas declare. */
export function csvValue(kind: string, value: unknown): string {
  switch (kind) {
    case "metric":
      return pyFloatRepr(value as number);
    case "curve": {
      const c = value as CurveValue;
      let out = `{"kind":${JSON.stringify(c.kind)},"x":${jsonFloatList(c.x)},"y":${jsonFloatList(c.y)}`;
      if (c.annotation) out += `,"annotation":${JSON.stringify(c.annotation)}`;
      return csvSafeJson(out + "}");
    }
    case "histogram": {
      const h = value as HistogramValue;
      return `{"values":${jsonFloatList(h.values)},"counts":${jsonFloatList(h.counts)}}`;
    }
    case "audio": {
      // `sample_rate` is a float field in V1EventAudio (44100 → 44100.0).
      const { sample_rate: rate, ...rest } = value as AudioValue;
      const tail = compactJson(rest);
      if (rate === undefined) return csvSafeJson(tail);
      return csvSafeJson(`{"sample_rate":${jsonFloat(rate)}${tail === "{}" ? "}" : `,${tail.slice(1)}`}`);
    }
    default:
      return csvSafeJson(compactJson(value));
  }
}

/** The value of a JSONL row (`text`/`html` as strings, `chart`/`span` double-encoded). */
export function jsonlValue(kind: string, value: unknown): string {
  if (kind === "text" || kind === "html") return pyJsonString(value as string);
  return pyJsonString(compactJson(value));
}
