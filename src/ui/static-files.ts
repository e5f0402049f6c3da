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
  "/static/js/run-page.js": { file: "js/run-page.js", type: "text/javascript; charset=utf-8" },
  "/static/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/static/app.css": { file: "app.css", type: "text/css; charset=utf-8" },
  "/vendor/uPlot.iife.min.js": { file: "uplot/dist/uPlot.iife.min.js", type: "text/javascript; charset=utf-8" },
  "/vendor/uPlot.min.css": { file: "uplot/dist/uPlot.min.css", type: "text/css; charset=utf-8" },
  "/static/run-page.css": { file: "run-page.css", type: "text/css; charset=utf-8" },
  "/static/chart-frame.html": { file: "chart-frame.html", type: "text/html; charset=utf-8" },
  "/static/chart-frame.js": { file: "chart-frame.js", type: "text/javascript; charset=utf-8" },
  "/vendor/vega.min.js": { file: "vega:vega.min.js", type: "text/javascript; charset=utf-8" },
  "/vendor/vega-lite.min.js": { file: "vega-lite:vega-lite.min.js", type: "text/javascript; charset=utf-8" },
  "/vendor/vega-interpreter.js": { file: "vega-interpreter:vega-interpreter.js", type: "text/javascript; charset=utf-8" },
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
  const bytes = file.includes(":") ? vendorFile(file) : readFileSync(file.startsWith("uplot/") ? createRequire(import.meta.url).resolve(file) : join(staticDir(), file));
  cache.set(route, bytes);
  return bytes;
}

/**
 * `<package>:<file>`: a file next to the package's entry point (its `exports` hide the build
 * folder from `require.resolve`). vega-interpreter ships only as an ES module importing
 * vega-util; the chart frame is an opaque origin, where module scripts would need CORS, so it
 * is served as a classic script that takes vega-util's three functions from the `vega` global.
 */
function vendorFile(spec: string): Buffer {
  const [pkg, file] = spec.split(":") as [string, string];
  const bytes = readFileSync(join(dirname(createRequire(import.meta.url).resolve(pkg)), file));
  if (pkg !== "vega-interpreter") return bytes;
  const text = bytes
    .toString("utf8")
    .replace(/^import \{([^}]*)\} from 'vega-util';$/m, "const {$1} = globalThis.vega;")
    .replace(/^export \{ expression as expressionInterpreter \};$/m, "globalThis.vegaInterpreter = { expressionInterpreter: expression };");
  if (/^(import|export) /m.test(text)) throw new Error("vega-interpreter's build changed shape: the dashboard cannot serve it as a classic script");
  return Buffer.from(`(function () {\n${text}\n})();\n`);
}
