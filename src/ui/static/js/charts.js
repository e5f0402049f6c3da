// Overlaid metric charts (uPlot) of the runs ticked in the runs table.
/* global uPlot */
(function (RT) {
  "use strict";
  const { state, $, el, api, enc, POINTS, runLabel, runColor, alpha, detail, showError } = RT;

  // ---------- metric charts ----------
  /** TensorBoard's debiased exponential moving average; gaps stay gaps. */
  function smooth(ys, w) {
    if (!w) return ys;
    let last = 0, n = 0;
    return ys.map((v) => {
      if (v === null || !Number.isFinite(v)) return v;
      last = last * w + (1 - w) * v;
      n++;
      return last / (1 - Math.pow(w, n));
    });
  }

  function chartWidth(node) {
    return Math.max(280, Math.floor(node.getBoundingClientRect().width) - 4);
  }

  function drawMetric(name) {
    const entry = state.metrics.get(name);
    if (!entry) return;
    if (entry.chart) entry.chart.destroy();
    const holder = entry.box.querySelector(".chart");
    holder.textContent = "";
    const tables = [];
    const series = [{ label: state.x }];
    for (const { runId, s } of entry.parts) {
      const run = state.runs.find((r) => r.id === runId);
      const color = runColor(runId);
      const label = run ? runLabel(run) : runId;
      if (state.smoothing > 0) {
        tables.push([s.x, s.y]);
        series.push({ label: label + " (raw)", stroke: alpha(color, 0.25), width: 1, spanGaps: true, points: { show: false } });
        tables.push([s.x, smooth(s.y, state.smoothing)]);
      } else {
        tables.push([s.x, s.y]);
      }
      series.push({ label: label, stroke: color, width: 1.5, spanGaps: true, points: { show: s.x.length < 60 } });
    }
    const data = tables.length === 1 ? tables[0] : uPlot.join(tables);
    entry.chart = new uPlot(
      {
        width: chartWidth(entry.box),
        height: 220,
        scales: { x: { time: state.x === "time" } },
        series: series,
        axes: [{ label: state.x === "time" ? "" : "step" }, { size: 60 }],
        legend: { live: true },
      },
      data,
      holder,
    );
    entry.box.dataset.points = entry.parts.map((p) => p.s.x.length).join(",");
    entry.box.dataset.total = entry.parts.map((p) => p.s.total).join(",");
    entry.box.dataset.runs = entry.parts.map((p) => p.runId).join(",");
    entry.box.dataset.x = state.x;
  }

  let metricsGen = 0;
  /** Most runs overlaid per chart: each is one series request per metric, and more lines are unreadable. */
  const MAX_OVERLAID = 50;

  /** Fetches every selected run's series, then swaps the charts in at once; a newer call wins. */
  async function renderMetrics() {
    const gen = ++metricsGen;
    const ticked = state.runs.map((r) => r.id).filter((id) => state.selected.has(id));
    const runIds = ticked.slice(0, MAX_OVERLAID);
    const details = await Promise.all(runIds.map(detail));
    const names = [...new Set(details.flatMap((d) => d.streams.filter((s) => s.kind === "metric").map((s) => s.name)))].sort();
    const fetched = await Promise.all(
      names.map(async (name) => {
        const withName = runIds.filter((id, i) => details[i].streams.some((s) => s.kind === "metric" && s.name === name));
        const parts = await Promise.all(
          withName.map(async (runId) => ({
            runId: runId,
            s: await api("/api/runs/" + enc(runId) + "/metrics/" + enc(name) + "?x=" + state.x + "&points=" + POINTS),
          })),
        );
        return { name: name, parts: parts };
      }),
    );
    if (gen !== metricsGen) return;
    const container = $("#metric-charts");
    for (const entry of state.metrics.values()) if (entry.chart) entry.chart.destroy();
    state.metrics.clear();
    container.textContent = "";
    if (!runIds.length) container.append(el("p", { class: "empty", text: "Tick a run to see its metrics." }));
    else if (!names.length) container.append(el("p", { class: "empty", text: "No metrics logged." }));
    if (ticked.length > runIds.length) container.append(el("p", { class: "hint", text: "Charts overlay the first " + MAX_OVERLAID + " of the " + ticked.length + " ticked runs, in table order." }));
    for (const { name, parts } of fetched) {
      const box = el("div", { class: "card metric-card", dataset: { metric: name } }, el("h4", { text: name }), el("div", { class: "chart" }));
      container.append(box);
      state.metrics.set(name, { box: box, parts: parts, chart: null });
      drawMetric(name);
    }
    state.renders++;
    document.body.dataset.renders = String(state.renders);
    document.body.dataset.compared = runIds.join(",");
  }

  Object.assign(RT, { smooth, chartWidth, drawMetric, renderMetrics });
})(window.RT = window.RT || {});
