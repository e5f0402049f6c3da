// Renders one Vega or Vega-Lite spec sent by the dashboard page with postMessage. This page is
// an opaque origin (sandbox without allow-same-origin, CSP without 'unsafe-eval'): whatever a
// spec from a run file contains, it cannot reach the dashboard's DOM, cookies or API, and
// Vega's expressions are interpreted (vega-interpreter), never compiled with eval/Function.
(function () {
  "use strict";
  const holder = document.getElementById("chart");

  function reply(msg) {
    window.parent.postMessage(Object.assign({ runtrailChart: true }, msg), "*");
  }

  function isVegaLite(spec) {
    const schema = typeof spec.$schema === "string" ? spec.$schema : "";
    if (schema.includes("vega-lite")) return true;
    if (schema.includes("/vega/")) return false;
    // Vega specs have marks/signals at the top; Vega-Lite has mark/layer/concat/facet/repeat.
    return !("marks" in spec) && ("mark" in spec || "layer" in spec || "hconcat" in spec || "vconcat" in spec || "concat" in spec || "facet" in spec || "repeat" in spec);
  }

  async function render(spec, width) {
    holder.textContent = "";
    const vegaSpec = isVegaLite(spec) ? vegaLite.compile(spec).spec : spec;
    const runtime = vega.parse(vegaSpec, null, { ast: true });
    const view = new vega.View(runtime, { expr: vegaInterpreter.expressionInterpreter, renderer: "svg", container: holder, hover: true });
    if (width && !spec.width && vegaSpec.autosize === undefined) view.width(Math.max(100, width - 80));
    await view.runAsync();
    const marks = holder.querySelectorAll("path, rect, circle, line, text").length;
    reply({ ok: true, height: document.documentElement.scrollHeight, marks: marks });
  }

  window.addEventListener("message", (event) => {
    if (event.source !== window.parent || !event.data || typeof event.data !== "object" || !event.data.spec) return;
    render(event.data.spec, Number(event.data.width) || 0).catch((err) => {
      holder.textContent = "";
      const p = document.createElement("p");
      p.className = "error";
      p.textContent = "This chart cannot be drawn: " + (err && err.message ? err.message : String(err));
      holder.append(p);
      reply({ ok: false, error: p.textContent, height: document.documentElement.scrollHeight });
    });
  });
  reply({ ready: true });
})();
