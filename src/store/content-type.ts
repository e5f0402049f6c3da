const TYPES: Record<string, string> = {
  json: "application/json",
  jsonl: "application/x-ndjson",
  plx: "text/plain; charset=utf-8",
  txt: "text/plain; charset=utf-8",
  log: "text/plain; charset=utf-8",
  csv: "text/csv",
  html: "text/html; charset=utf-8",
  md: "text/markdown; charset=utf-8",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  svg: "image/svg+xml",
  onnx: "application/octet-stream",
};

/** A Content-Type for an artifact, from its extension (so browsers and consoles show text as text). */
export function contentTypeFor(rel: string): string {
  const dot = rel.lastIndexOf(".");
  const ext = dot > rel.lastIndexOf("/") ? rel.slice(dot + 1).toLowerCase() : "";
  return TYPES[ext] ?? "application/octet-stream";
}
