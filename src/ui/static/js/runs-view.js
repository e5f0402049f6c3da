// The runs list: one row per run, a tick box to compare, a click to open the run.
/* global uPlot */
(function (RT) {
  "use strict";
  const { state, $, el, fmtNum, fmtDuration, runLabel, runColor, showError } = RT;

  // ---------- runs list ----------
  function renderRuns() {
    const tbody = $("#runs-table tbody");
    tbody.textContent = "";
    $("#runs-count").textContent = "(" + state.runs.length + ")";
    if (!state.runs.length) {
      tbody.append(el("tr", {}, el("td", { colspan: 5, class: "empty", text: "No runs in this folder yet." })));
      return;
    }
    for (const run of state.runs) {
      const metrics = Object.entries(run.metrics).slice(0, 4).map(([k, v]) => k + " " + fmtNum(v.value)).join("\n");
      const box = el("input", { type: "checkbox", class: "compare", "aria-label": "compare " + runLabel(run), dataset: { run: run.id } });
      box.checked = state.selected.has(run.id);
      box.addEventListener("click", (e) => e.stopPropagation());
      box.addEventListener("change", () => {
        if (box.checked) state.selected.add(run.id);
        else state.selected.delete(run.id);
        RT.renderMetrics().catch(showError);
      });
      const swatch = el("span", { class: "swatch" });
      swatch.style.background = runColor(run.id);
      const row = el(
        "tr",
        { class: "run-row" + (state.focus === run.id ? " focused" : ""), dataset: { run: run.id } },
        el("td", {}, box),
        el("td", { class: "run-name" }, swatch, runLabel(run), el("br"), el("small", { text: run.uuid.slice(0, 12) + (run.project ? " · " + run.project : "") })),
        el("td", {}, el("span", { class: "status status-" + (run.status || "damaged"), text: run.status || "damaged", title: (run.damaged || []).join("\n") })),
        el("td", { class: "duration", text: fmtDuration(run.duration) }),
        el("td", { class: "last-metrics", text: metrics || "–" }),
      );
      row.addEventListener("click", () => RT.focusRun(run.id).catch(showError));
      tbody.append(row);
    }
  }

  Object.assign(RT, { renderRuns });
})(window.RT = window.RT || {});
