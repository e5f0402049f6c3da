import { InvalidQueryError } from "../core/errors.js";
import type { ApiRun } from "./runs.js";
import type { DashboardApp } from "./server.js";
import { buildSnapshot, type Snapshot, type SnapshotOptions } from "./snapshot.js";

/** A snapshot of several runs: the page opens with all of them ticked and compared. */
export interface ComparisonSnapshot extends Snapshot {
  /** Run folder names ticked when the report opens, in table order. */
  selected: string[];
}

/**
 * Asks the dashboard app every question the page asks about each run (its table row, metric
 * series and run page), so a report of several runs shows the runs table, the overlaid charts,
 * the parallel coordinates and the scatter, and opens any of the runs, with no server.
 * The image budget of {@link SnapshotOptions.maxAssetBytes} is shared by all the runs.
 */
export async function buildComparisonSnapshot(app: DashboardApp, runIds: string[], opts: SnapshotOptions = {}): Promise<ComparisonSnapshot> {
  if (!runIds.length) throw new Error("a comparison report needs at least one run");
  let budget = opts.maxAssetBytes ?? 20 * 1024 * 1024;
  const merged: ComparisonSnapshot = { title: "", generatedAt: new Date().toISOString(), api: {}, assets: {}, skippedAssets: [], selected: [] };
  const rows: unknown[] = [];
  for (const id of runIds) {
    const one = await buildSnapshot(app, id, { ...opts, maxAssetBytes: budget });
    for (const url of Object.values(one.assets)) budget -= Math.floor((url.length * 3) / 4);
    budget = Math.max(0, budget);
    rows.push(...(one.api["/api/runs"] as unknown[]));
    Object.assign(merged.api, one.api);
    Object.assign(merged.assets, one.assets);
    merged.skippedAssets.push(...one.skippedAssets.map((p) => `${id}/${p}`));
    merged.selected.push(id);
  }
  merged.api["/api/runs"] = rows;
  merged.title = runIds.length === 1 ? (rows[0] as ApiRun).name ?? runIds[0]! : `${runIds.length} runs`;
  return merged;
}

/** The folder names of the runs a query matches, in its sort order, as `GET /api/runs` answers. */
export async function runIdsForQuery(app: DashboardApp, query: string, sort: string | undefined, limit: number): Promise<{ ids: string[]; total: number }> {
  const params = new URLSearchParams({ q: query });
  if (sort) params.set("sort", sort);
  const res = await app.handle("GET", `/api/runs?${params.toString()}`);
  const body = JSON.parse(res.body.toString("utf8")) as ApiRun[] | { error: string };
  if (!Array.isArray(body)) throw new InvalidQueryError(body.error, query);
  return { ids: body.slice(0, limit).map((r) => r.id), total: body.length };
}
