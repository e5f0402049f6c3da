// The runs table: one row per run with its inputs and last metric values as columns, a Polyaxon
// query box, server-side sort by any column, "only columns that differ", grouping by project,
// selection of many runs, and paging so 10,000 runs render at once. Every value from a run file
// is set as text, never as HTML.
(function (RT) {
  "use strict";
  const { SNAP, state, $, el, api, fmtNum, fmtDuration, runLabel, runColor, showError } = RT;

  /** Rows drawn per page: the DOM stays small however many runs match. */
  const PAGE_ROWS = 200;

  Object.assign(state, { query: "", sort: "", page: 0, onlyDiff: true, groupByProject: false, brush: null, listError: null });

  /** The list URL for the current query and sort (a report has one answer, for its own runs). */
  function listUrl() {
    if (SNAP) return "/api/runs";
    const p = new URLSearchParams();
    if (state.query) p.set("q", state.query);
    if (state.sort) p.set("sort", state.sort);
    const s = p.toString();
    return "/api/runs" + (s ? "?" + s : "");
  }

  /**
   * Fetches the runs matching the query box; a query or sort the server refuses is shown under
   * the box and the table keeps its rows. Returns whether the list changed.
   */
  async function loadRuns() {
    let runs;
    try {
      runs = await api(listUrl());
    } catch (err) {
      state.listError = String((err && err.message) || err);
      showListError();
      return false;
    }
    state.listError = null;
    showListError();
    const before = state.runsKey;
    state.runsKey = JSON.stringify(runs);
    state.runs = runs;
    return before !== state.runsKey;
  }

  function showListError() {
    const box = $("#query-error");
    box.textContent = state.listError || "";
    box.hidden = !state.listError;
    $("#query").setAttribute("aria-invalid", state.listError ? "true" : "false");
  }

  /** The runs the table shows: the query's answer, narrowed by a parallel-coordinates brush if any. */
  function visibleRuns() {
    const brush = state.brush;
    let runs = state.runs;
    if (brush && RT.passesBrush) runs = runs.filter((r) => RT.passesBrush(r, brush));
    if (state.groupByProject) {
      // A stable sort keeps the server's order inside each project.
      runs = runs.map((r, i) => [r, i]).sort((a, b) => String(a[0].project || "").localeCompare(String(b[0].project || "")) || a[1] - b[1]).map((p) => p[0]);
    }
    return runs;
  }

  function cellValue(run, col) {
    if (col.kind === "fixed") return run[col.key];
    if (col.kind === "input") return run.inputs ? run.inputs[col.key] : undefined;
    if (col.kind === "output") return run.outputs ? run.outputs[col.key] : undefined;
    const m = run.metrics && run.metrics[col.key];
    return m ? m.value : undefined;
  }

  /** Input, output and metric columns over the runs; with onlyDiff, those whose value is not the same in every run. */
  function dynamicColumns(runs) {
    const cols = [];
    const keys = (kind, pick) => {
      const set = new Set();
      for (const r of runs) for (const k of Object.keys(pick(r) || {})) set.add(k);
      for (const k of [...set].sort()) cols.push({ kind: kind, key: k, field: (kind === "input" ? "inputs." : kind === "output" ? "outputs." : "metrics.") + k });
    };
    keys("input", (r) => r.inputs);
    keys("output", (r) => r.outputs);
    keys("metric", (r) => r.metrics);
    if (!state.onlyDiff || runs.length < 2) return cols;
    return cols.filter((c) => {
      const first = JSON.stringify(cellValue(runs[0], c));
      return runs.some((r) => JSON.stringify(cellValue(r, c)) !== first);
    });
  }

  const FIXED = [
    { kind: "fixed", key: "name", field: "name", label: "run" },
    { kind: "fixed", key: "project", field: "project", label: "project" },
    { kind: "fixed", key: "status", field: "status", label: "status" },
    { kind: "fixed", key: "tags", field: null, label: "tags" },
    { kind: "fixed", key: "duration", field: "duration", label: "duration" },
  ];

  function fmtCell(v) {
    if (v === undefined) return "–";
    if (v === null) return "null";
    if (typeof v === "number") return fmtNum(v);
    if (typeof v === "object") return JSON.stringify(v);
    return String(v);
  }

  function headerCell(col) {
    const label = col.label || col.key;
    const th = el("th", { class: "col-" + col.kind, dataset: { field: col.field || "", col: col.kind + ":" + col.key }, title: col.field || label });
    if (col.kind === "input") th.append(el("span", { class: "col-tag", text: "in " }));
    if (col.kind === "output") th.append(el("span", { class: "col-tag", text: "out " }));
    th.append(label);
    if (col.kind === "metric" && state.showBest) th.append(el("span", { class: "col-tag", text: " best" }));
    if (!col.field || SNAP) return th;
    const desc = state.sort === "-" + col.field;
    if (state.sort === col.field || desc) th.append(el("span", { class: "sort-mark", text: desc ? " ▼" : " ▲" }));
    th.classList.add("sortable");
    th.addEventListener("click", () => setSort(state.sort === col.field ? "-" + col.field : col.field).catch(showError));
    return th;
  }

  function runRow(run, cols) {
    const box = el("input", { type: "checkbox", class: "compare", "aria-label": "compare " + runLabel(run), dataset: { run: run.id } });
    box.checked = state.selected.has(run.id);
    box.addEventListener("click", (e) => e.stopPropagation());
    box.addEventListener("change", () => {
      if (box.checked) state.selected.add(run.id);
      else state.selected.delete(run.id);
      selectionChanged();
    });
    const swatch = el("span", { class: "swatch" });
    swatch.style.background = runColor(run.id);
    const cells = [
      el("td", {}, box),
      el("td", { class: "run-name" }, swatch, runLabel(run), el("br"), el("small", { text: run.uuid.slice(0, 12) })),
      el("td", { class: "project", text: run.project || "–" }),
      el("td", {}, el("span", { class: "status status-" + (run.status || "damaged"), text: run.status || "damaged", title: (run.damaged || []).join("\n") })),
      el("td", { class: "tags" }, (run.tags || []).map((t) => el("span", { class: "tag", text: t }))),
      el("td", { class: "duration", text: fmtDuration(run.duration) }),
    ];
    for (const c of cols) cells.push(el("td", { class: "num col-" + c.kind, dataset: { col: c.kind + ":" + c.key }, text: fmtCell(cellValue(run, c)) }));
    const row = el("tr", { class: "run-row" + (state.focus === run.id ? " focused" : ""), dataset: { run: run.id, status: run.status || "" } }, cells);
    row.addEventListener("click", () => {
      RT.focusRun(run.id).catch(showError);
      RT.saveUrl && RT.saveUrl();
    });
    return row;
  }

  /** Redraws the table from state (no fetch). */
  function renderRuns() {
    const runs = visibleRuns();
    const cols = dynamicColumns(runs);
    state.columns = cols;
    const table = $("#runs-table");
    const thead = table.querySelector("thead");
    const tbody = table.querySelector("tbody");
    thead.textContent = "";
    tbody.textContent = "";
    thead.append(el("tr", {}, el("th", {}), FIXED.map(headerCell), cols.map(headerCell)));
    const pages = Math.max(1, Math.ceil(runs.length / PAGE_ROWS));
    state.page = Math.min(state.page, pages - 1);
    const shown = state.runs.length === runs.length ? String(runs.length) : runs.length + " of " + state.runs.length;
    $("#runs-count").textContent = "(" + shown + ", " + state.selected.size + " ticked)";
    $("#runs-table").dataset.rows = String(runs.length);
    if (!runs.length) {
      const text = state.runs.length ? "No run inside the brushed ranges." : state.query ? "No run matches the query." : "No runs in this folder yet.";
      tbody.append(el("tr", {}, el("td", { colspan: FIXED.length + cols.length + 1, class: "empty", text: text })));
    }
    const start = state.page * PAGE_ROWS;
    let group = null;
    const pageRuns = runs.slice(start, start + PAGE_ROWS);
    for (const run of pageRuns) {
      if (state.groupByProject && (run.project || "") !== group) {
        group = run.project || "";
        const n = runs.filter((r) => (r.project || "") === group).length;
        tbody.append(el("tr", { class: "group-row" }, el("td", { colspan: FIXED.length + cols.length + 1, text: (group || "(no project)") + " · " + n + " runs" })));
      }
      tbody.append(runRow(run, cols));
    }
    if (RT.fillBest) RT.fillBest(pageRuns, cols);
    const pager = $("#runs-pager");
    pager.textContent = "";
    if (pages > 1) {
      const go = (p) => { state.page = p; renderRuns(); };
      pager.append(
        el("button", { type: "button", disabled: state.page === 0, text: "‹ prev", onclick: () => go(state.page - 1) }),
        el("span", { class: "page-of", text: " rows " + (start + 1) + "–" + Math.min(start + PAGE_ROWS, runs.length) + " of " + runs.length + " " }),
        el("button", { type: "button", disabled: state.page >= pages - 1, text: "next ›", onclick: () => go(state.page + 1) }),
      );
    }
    scheduleComparisons();
  }

  let comparisonsQueued = false;

  /** Redraws the comparison views after the table has painted, once per burst of changes. */
  function scheduleComparisons() {
    if (!RT.renderComparisons || comparisonsQueued) return;
    comparisonsQueued = true;
    setTimeout(() => {
      comparisonsQueued = false;
      RT.renderComparisons();
    }, 0);
  }

  function selectionChanged() {
    $("#runs-count").textContent = $("#runs-count").textContent.replace(/\d+ ticked/, state.selected.size + " ticked");
    RT.renderMetrics().catch(showError);
    scheduleComparisons();
    if (RT.saveUrl) RT.saveUrl();
  }

  /** Ticks the filtered runs: "all", "none" or "invert". */
  function selectMany(how) {
    const runs = visibleRuns();
    for (const r of runs) {
      const on = how === "all" ? true : how === "none" ? false : !state.selected.has(r.id);
      if (on) state.selected.add(r.id);
      else state.selected.delete(r.id);
    }
    if (how === "none") state.selected.clear();
    renderRuns();
    selectionChanged();
  }

  async function setSort(sort) {
    state.sort = sort;
    $("#sort").value = sort;
    state.page = 0;
    await loadRuns();
    renderRuns();
    if (RT.saveUrl) RT.saveUrl();
    document.body.dataset.sorted = sort;
  }

  async function setQuery(query) {
    state.query = query;
    state.page = 0;
    const ok = await loadRuns();
    if (ok || !state.listError) renderRuns();
    if (RT.saveUrl) RT.saveUrl();
    document.body.dataset.queried = state.listError ? "error" : query;
  }

  /** Wires the query box, the column and grouping toggles and the selection buttons. */
  function wireRunsControls() {
    const form = $("#query-form");
    const input = $("#query");
    input.value = state.query;
    $("#sort").value = state.sort;
    form.hidden = !!SNAP;
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      setQuery(input.value.trim()).catch(showError);
    });
    $("#sort").addEventListener("change", () => setSort($("#sort").value.trim()).catch(showError));
    const diff = $("#only-diff");
    diff.checked = state.onlyDiff;
    diff.addEventListener("change", () => { state.onlyDiff = diff.checked; renderRuns(); });
    const best = $("#show-best");
    best.checked = !!state.showBest;
    best.addEventListener("change", () => { state.showBest = best.checked; renderRuns(); });
    const grp = $("#group-project");
    grp.checked = state.groupByProject;
    grp.addEventListener("change", () => { state.groupByProject = grp.checked; renderRuns(); });
    for (const b of document.querySelectorAll("#select-buttons button")) b.addEventListener("click", () => selectMany(b.dataset.select));
  }

  Object.assign(RT, { PAGE_ROWS, dynamicColumns, listUrl, loadRuns, visibleRuns, cellValue, renderRuns, wireRunsControls, selectionChanged, setSort, setQuery });
})(window.RT = window.RT || {});
