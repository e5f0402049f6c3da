import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The page's own files and the uPlot files it loads, by URL path. Nothing else is served from disk outside the runs root. */
export const STATIC_ROUTES = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/static/js/core.js": { file: "js/core.js", type: "text/javascript; charset=utf-8" },
  "/static/js/charts.js": { file: "js/charts.js", type: "text/javascript; charset=utf-8" },
  "/static/js/runs-view.js": { file: "js/runs-view.js", type: "text/javascript; charset=utf-8" },
  "/static/js/best-values.js": { file: "js/best-values.js", type: "text/javascript; charset=utf-8" },
  "/static/js/url-state.js": { file: "js/url-state.js", type: "text/javascript; charset=utf-8" },
  "/static/js/live.js": { file: "js/live.js", type: "text/javascript; charset=utf-8" },
  "/static/js/compare-views.js": { file: "js/compare-views.js", type: "text/javascript; charset=utf-8" },
  "/static/js/run-view.js": { file: "js/run-view.js", type: "text/javascript; charset=utf-8" },
  "/static/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/static/app.css": { file: "app.css", type: "text/css; charset=utf-8" },
  "/vendor/uPlot.iife.min.js": { file: "uplot/dist/uPlot.iife.min.js", type: "text/javascript; charset=utf-8" },
  "/vendor/uPlot.min.css": { file: "uplot/dist/uPlot.min.css", type: "text/css; charset=utf-8" },
} as const;

export type StaticRoute = keyof typeof STATIC_ROUTES;

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Where `index.html`, `app.js`, `js/*.js` and `app.css` live: next to this module when run from source
 * (`src/ui/static`), or `ui/static` next to a bundled entry point (`dist/ui/static`).
 */
export function staticDir(): string {
  const candidates = [join(here, "static"), join(here, "ui", "static"), join(here, "..", "src", "ui", "static"), join(here, "..", "..", "src", "ui", "static")];
  const found = candidates.find((c) => existsSync(join(c, "index.html")));
  if (!found) throw new Error(`the dashboard's page files were not found (looked in ${candidates.join(", ")})`);
  return found;
}

const cache = new Map<string, Buffer>();

/** The bytes of a static route (read once, then kept in memory). */
export function staticFile(route: StaticRoute): Buffer {
  const hit = cache.get(route);
  if (hit) return hit;
  const { file } = STATIC_ROUTES[route];
  const path = file.startsWith("uplot/") ? createRequire(import.meta.url).resolve(file) : join(staticDir(), file);
  const bytes = readFileSync(path);
  cache.set(route, bytes);
  return bytes;
}
