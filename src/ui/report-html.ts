import { STATIC_ROUTES, staticFile, type StaticRoute } from "./static-files.js";
import type { Snapshot } from "./snapshot.js";

/** JSON that is safe inside a `<script>` element: no `</script>`, no `<!--`. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

/** JavaScript source that is safe inside a `<script>` element. */
function scriptJs(src: string): string {
  return src.replace(/<\/(script)/gi, "<\\/$1");
}

/** Replaces one literal tag of the page, failing loudly if the page changed shape. */
function swap(html: string, tag: string, replacement: string): string {
  const i = html.indexOf(tag);
  if (i < 0) throw new Error(`report: the page template no longer contains ${tag}`);
  return html.slice(0, i) + replacement + html.slice(i + tag.length);
}

/**
 * The dashboard page as one self-contained HTML file: uPlot's script and styles, the page's
 * own script and styles, and the snapshot's data are all inlined, so it opens from disk
 * with no server and no network.
 */
export function renderReportHtml(snapshot: Snapshot): string {
  let html = staticFile("/").toString("utf8");
  html = swap(html, '<link rel="stylesheet" href="/vendor/uPlot.min.css">', `<style>${staticFile("/vendor/uPlot.min.css").toString("utf8")}</style>`);
  html = swap(html, '<link rel="stylesheet" href="/static/app.css">', `<style>${staticFile("/static/app.css").toString("utf8")}</style>`);
  html = swap(html, '<link rel="stylesheet" href="/static/run-page.css">', `<style>${staticFile("/static/run-page.css").toString("utf8")}</style>`);
  html = swap(html, '<script src="/vendor/uPlot.iife.min.js"></script>', `<script>${scriptJs(staticFile("/vendor/uPlot.iife.min.js").toString("utf8"))}</script>`);
  // The snapshot goes before the page's first script; then every script of the page is inlined in order.
  html = swap(html, '<script src="/static/js/', `<script>window.RUNTRAIL_SNAPSHOT = ${scriptJson(snapshot)};</script>\n<script src="/static/js/`);
  html = html.replace(/<script src="(\/static\/[\w/.-]+\.js)"><\/script>/g, (_tag, src: string) => {
    if (!Object.hasOwn(STATIC_ROUTES, src)) throw new Error(`report: the page loads ${src}, which is not one of its static files`);
    return `<script>${scriptJs(staticFile(src as StaticRoute).toString("utf8"))}</script>`;
  });
  return swap(html, "<title>runtrail</title>", `<title>runtrail report · ${escapeHtml(snapshot.title)}</title>`);
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
