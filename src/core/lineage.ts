import { existsSync, readFileSync } from "node:fs";
import { CorruptRunError } from "./errors.js";
import { writeFileAtomicSync } from "./fsutil.js";
import { compactJson } from "./events/pyformat.js";

/** Polyaxon's `V1RunArtifact` (fields in declaration order, which is also the JSON key order). */
export interface V1RunArtifact {
  name?: string;
  kind?: string;
  path?: string;
  state?: string;
  summary?: Record<string, unknown>;
  meta_info?: Record<string, unknown>;
  run?: string;
  connection?: string;
  is_input?: boolean;
}

const FIELD_ORDER = ["name", "kind", "path", "state", "summary", "meta_info", "run", "connection", "is_input"] as const;

function ordered(rec: V1RunArtifact): V1RunArtifact {
  const out: Record<string, unknown> = {};
  for (const k of FIELD_ORDER) if (rec[k] !== undefined && rec[k] !== null) out[k] = rec[k];
  return out as V1RunArtifact;
}

/**
 * `lineages.plx.json`: a compact JSON array of `V1RunArtifact`. A record is keyed by whether
 * it describes an event stream (`events/…`, `resources/…`) or a reference, its kind and its
 * name: logging the same again updates it, while the same name under another kind, or a
 * reference named like an event stream, is a separate record (Polyaxon's offline cache would
 * silently replace it). The file is rewritten atomically on every change.
 */
export class LineageStore {
  private readonly records = new Map<string, V1RunArtifact>();

  constructor(private readonly file: string) {
    if (existsSync(file)) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(readFileSync(file, "utf8"));
      } catch (err) {
        throw new CorruptRunError(`${file} is not valid JSON; restore it or remove it to start the lineage afresh.`, file, err);
      }
      if (!Array.isArray(parsed)) throw new CorruptRunError(`${file} must hold a JSON array of lineage records.`, file);
      for (const rec of parsed as V1RunArtifact[]) this.records.set(keyOf(rec), rec);
    }
  }

  /** The record of the event stream `events/<kind>/<name>.plx` (kind `system` for resources). */
  getStream(kind: string, name: string): V1RunArtifact | undefined {
    return this.records.get(key(true, kind, name));
  }

  /** The reference record (not an event stream) of this kind and name. */
  getRef(kind: string, name: string): V1RunArtifact | undefined {
    return this.records.get(key(false, kind, name));
  }

  list(): V1RunArtifact[] {
    return [...this.records.values()];
  }

  get size(): number {
    return this.records.size;
  }

  /** Adds or replaces the record with the same (kind, name) and persists. */
  upsert(rec: V1RunArtifact, persist = true): void {
    this.records.set(keyOf(rec), ordered(rec));
    if (persist) this.persist();
  }

  persist(): void {
    if (this.records.size === 0) return; // Polyaxon only writes a non-empty lineage file.
    writeFileAtomicSync(this.file, compactJson(this.list()));
  }
}

function key(stream: boolean, kind: string | undefined, name: string | undefined): string {
  return `${stream ? "e" : "r"}\u0000${kind ?? ""}\u0000${name ?? ""}`;
}

function keyOf(rec: V1RunArtifact): string {
  const stream = typeof rec.path === "string" && /^(events|resources)\/[^/]+\/[^/]+\.plx$/.test(rec.path);
  return key(stream, rec.kind, rec.name);
}
