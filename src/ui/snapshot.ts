import type { DashboardApp } from "./server.js";
import type { RunDetail } from "../core/read/detail.js";
import type { ImageVersion } from "../core/read/versions.js";

/** Everything the page needs to show one run without a server (see `runtrail report`). */
export interface Snapshot {
  title: string;
  generatedAt: string;
  /** API URL (exactly as the page requests it) → JSON answer. */
  api: Record<string, unknown>;
  /** `<runId>/<asset path>` → `data:` URL of the image. */
  assets: Record<string, string>;
  /** Images left out because the size budget was spent. */
  skippedAssets: string[];
}

/** Options of {@link buildSnapshot}. */
export interface SnapshotOptions {
  /** Most points per metric stream (as the live page asks). Default 2000. */
  points?: number;
  /** Total bytes of images to inline. Default 20 MiB. */
  maxAssetBytes?: number;
}

const IMAGE_MIME: Record<string, string> = { png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg", gif: "image/gif", webp: "image/webp", bmp: "image/bmp" };

/**
 * Asks the dashboard app, in memory, every question the page asks about one run, so a report
 * shows exactly what the live dashboard shows.
 */
export async function buildSnapshot(app: DashboardApp, runId: string, opts: SnapshotOptions = {}): Promise<Snapshot> {
  const points = opts.points ?? 2000;
  let budget = opts.maxAssetBytes ?? 20 * 1024 * 1024;
  const api: Record<string, unknown> = {};
  const get = async (url: string): Promise<unknown> => {
    const res = await app.handle("GET", url);
    const body = JSON.parse(res.body.toString("utf8")) as unknown;
    if (res.status !== 200) throw new Error(`${url}: ${(body as { error?: string }).error ?? res.status}`);
    api[url] = body;
    return body;
  };
  const base = `/api/runs/${encodeURIComponent(runId)}`;
  const detail = (await get(base)) as RunDetail;
  const { meta: _meta, lineage: _lineage, streams: _streams, ...summary } = detail;
  api["/api/runs"] = [summary];
  await get(`${base}/models`);
  const assets: Record<string, string> = {};
  const skippedAssets: string[] = [];
  for (const s of detail.streams) {
    const name = encodeURIComponent(s.name);
    if (s.kind === "metric") {
      for (const x of ["step", "time"]) await get(`${base}/metrics/${name}?x=${x}&points=${points}`);
    } else if (s.kind === "curve") await get(`${base}/curves/${name}`);
    else if (s.kind === "confusion") await get(`${base}/confusions/${name}`);
    else if (s.kind === "text" || s.kind === "html" || s.kind === "chart" || s.kind === "histogram") await get(`${base}/events/${s.kind}/${name}`);
    else if (s.kind === "image") {
      const images = (await get(`${base}/images/${name}`)) as ImageVersion[];
      for (const img of images) {
        if (!img.exists) continue;
        const res = await app.handle("GET", `${base}/${img.path.split("/").map(encodeURIComponent).join("/")}`);
        const mime = IMAGE_MIME[img.path.split(".").pop()?.toLowerCase() ?? ""];
        if (res.status !== 200 || !mime) continue;
        if (res.body.length > budget) {
          skippedAssets.push(img.path);
          continue;
        }
        budget -= res.body.length;
        assets[`${runId}/${img.path}`] = `data:${mime};base64,${res.body.toString("base64")}`;
      }
    }
  }
  // The same URLs the page asks for: system charts and the last log lines.
  for (const r of (await get(`${base}/resources`)) as string[]) await get(`${base}/resources/${encodeURIComponent(r)}?points=500`);
  await get(`${base}/logs?tail=500`);
  await get(`${base}/env`);
  return { title: detail.name ?? detail.uuid, generatedAt: new Date().toISOString(), api, assets, skippedAssets };
}
