// runtrail dashboard page: vanilla JS, no build step. The views are classic scripts under
// /static/js/ sharing the window.RT namespace (so `runtrail report` can inline them in order);
// this file wires the controls and starts the page.
(function (RT) {
  "use strict";
  const { SNAP, state, $, showError, renderRuns, renderMetrics, drawMetric, chartWidth, focusRun } = RT;

  // ---------- wiring ----------
  function wireControls() {
    for (const radio of document.querySelectorAll("input[name=x]")) {
      radio.addEventListener("change", () => {
        state.x = radio.value;
        renderMetrics().catch(showError);
      });
    }
    const slider = $("#smoothing");
    slider.addEventListener("input", () => {
      state.smoothing = Number(slider.value);
      $("#smoothing-value").textContent = slider.value;
      for (const name of state.metrics.keys()) drawMetric(name);
    });
    let t = 0;
    window.addEventListener("resize", () => {
      clearTimeout(t);
      t = setTimeout(() => {
        for (const e of state.metrics.values()) if (e.chart) e.chart.setSize({ width: chartWidth(e.box), height: 220 });
      }, 150);
    });
  }

  async function main() {
    wireControls();
    if (SNAP) {
      $("#subtitle").textContent = "report · " + SNAP.generatedAt;
      document.title = "runtrail report · " + (SNAP.title || "");
    }
    const linked = RT.readUrl();
    RT.wireRunsControls();
    await RT.loadRuns();
    const ids = new Set(state.runs.map((r) => r.id));
    const first = state.runs[0];
    if (SNAP && SNAP.selected) linked.sel = SNAP.selected;
    if (linked.sel) for (const id of linked.sel) state.selected.add(id);
    else if (first) state.selected.add(first.id);
    renderRuns();
    await renderMetrics();
    const open = linked.run && ids.has(linked.run) ? linked.run : first && first.id;
    if (open) await focusRun(open);
    RT.saveUrl();
    RT.startLive();
    document.body.dataset.ready = "1";
  }

  main().catch(showError);
})(window.RT);
