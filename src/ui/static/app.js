// runtrail dashboard page: vanilla JS, no build step. It reads the live JSON API, or, in a
// report written by `runtrail report`, the same answers embedded as window.RUNTRAIL_SNAPSHOT.
/* global uPlot */
(function () {
  "use strict";

  const SNAP = window.RUNTRAIL_SNAPSHOT || null;
  const PALETTE = ["#3867d6", "#eb3b5a", "#20bf6b", "#f7b731", "#8854d0", "#0fb9b1", "#fa8231", "#4b6584", "#a55eea", "#2d98da"];
  const POINTS = 2000;

  /** Page state; exposed as window.runtrail for tests and for poking at in the console. */
  const state = {
    runs: [],
    selected: new Set(),
    focus: null,
    x: "step",
    smoothing: 0,
    /** metric name → { parts: [{ runId, series }], chart: uPlot } */
    metrics: new Map(),
    details: new Map(),
    curves: new Map(),
    renders: 0,
  };
  window.runtrail = state;

  const $ = (sel, root) => (root || document).querySelector(sel);
  const enc = encodeURIComponent;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (k === "dataset") Object.assign(node.dataset, v);
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) node.append(c instanceof Node ? c : String(c));
    return node;
  }

  async function api(path) {
    if (SNAP) {
      if (Object.prototype.hasOwnProperty.call(SNAP.api, path)) return SNAP.api[path];
      throw new Error("this report does not contain " + path);
    }
    const res = await fetch(path, { headers: { accept: "application/json" } });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error((body && body.error) || res.status + " " + res.statusText);
    return body;
  }

  function assetUrl(runId, path) {
    if (SNAP) return (SNAP.assets && SNAP.assets[runId + "/" + path]) || "";
    return "/api/runs/" + enc(runId) + "/" + path.split("/").map(enc).join("/");
  }

  function showError(err) {
    const box = $("#error");
    box.textContent = String((err && err.message) || err);
    box.hidden = false;
    console.error(err);
  }

  // ---------- formatting ----------
  function fmtNum(v) {
    if (v === null || v === undefined) return "–";
    if (typeof v !== "number") return String(v);
    if (!Number.isFinite(v)) return String(v);
    if (Number.isInteger(v)) return String(v);
    const a = Math.abs(v);
    return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(3) : String(Number(v.toPrecision(4)));
  }
  function fmtDuration(s) {
    if (s === null || s === undefined) return "–";
    if (s < 1) return (s * 1000).toFixed(0) + " ms";
    if (s < 60) return s.toFixed(1) + " s";
    const m = Math.floor(s / 60), sec = Math.round(s % 60);
    if (m < 60) return m + "m " + sec + "s";
    return Math.floor(m / 60) + "h " + (m % 60) + "m";
  }
  function fmtBytes(n) {
    if (n === null || n === undefined) return "–";
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i ? n.toFixed(1) : n) + " " + units[i];
  }
  function fmtTime(iso) {
    if (!iso) return "–";
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
  }
  function runLabel(run) { return run.name || run.uuid.slice(0, 8); }
  function runColor(runId) {
    const i = state.runs.findIndex((r) => r.id === runId);
    return PALETTE[(i < 0 ? 0 : i) % PALETTE.length];
  }
  function alpha(hex, a) {
    const n = parseInt(hex.slice(1), 16);
    return "rgba(" + (n >> 16) + "," + ((n >> 8) & 255) + "," + (n & 255) + "," + a + ")";
  }

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
        renderMetrics().catch(showError);
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
      row.addEventListener("click", () => focusRun(run.id).catch(showError));
      tbody.append(row);
    }
  }

  async function detail(runId) {
    if (!state.details.has(runId)) state.details.set(runId, await api("/api/runs/" + enc(runId)));
    return state.details.get(runId);
  }

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

  /** Fetches every selected run's series, then swaps the charts in at once; a newer call wins. */
  async function renderMetrics() {
    const gen = ++metricsGen;
    const runIds = state.runs.map((r) => r.id).filter((id) => state.selected.has(id));
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

  // ---------- one run ----------
  function stepSlider(count, initial, onChange, label) {
    const input = el("input", { type: "range", min: 0, max: Math.max(0, count - 1), step: 1, value: initial, "aria-label": label });
    input.addEventListener("input", () => onChange(Number(input.value)));
    return input;
  }

  function factList(pairs) {
    const dl = el("dl", { class: "version-facts" });
    for (const [k, v] of pairs) dl.append(el("dt", { text: k }), el("dd", {}, v));
    return dl;
  }

  function flatMetrics(obj, prefix, out) {
    out = out || [];
    for (const [k, v] of Object.entries(obj || {})) {
      const key = prefix ? prefix + "." + k : k;
      if (v && typeof v === "object" && !Array.isArray(v) && out.length < 40) flatMetrics(v, key, out);
      else out.push([key, Array.isArray(v) ? JSON.stringify(v) : fmtNum(v)]);
    }
    return out;
  }

  function renderModels(runId, streams) {
    const body = $("#models .body");
    body.textContent = "";
    if (!streams.length) return body.append(el("p", { class: "empty", text: "No versioned models in this run." }));
    for (const m of streams) {
      const card = el("div", { class: "card model-card", dataset: { model: m.name } });
      const versions = m.versions;
      let current = Math.max(0, versions.findIndex((v) => v.latest));
      if (!versions.some((v) => v.latest)) current = versions.length - 1;
      const stepLabel = el("strong", { class: "model-step" });
      const marks = el("span", { class: "marks" });
      const facts = el("div", { class: "facts" });
      const ticks = el("div", { class: "ticks" });
      const slider = stepSlider(versions.length, current, (i) => show(i), "checkpoint of " + m.name);
      function show(i) {
        current = i;
        const v = versions[i];
        if (!v) return;
        card.dataset.step = String(v.step);
        slider.value = String(i);
        stepLabel.textContent = "step " + (v.step === null ? "–" : v.step);
        marks.textContent = "";
        if (v.best) marks.append(el("span", { class: "badge badge-best", text: "★ best" + (m.best && m.best.monitor ? " " + m.best.monitor : "") }));
        if (v.latest) marks.append(el("span", { class: "badge badge-latest", text: "latest" }));
        if (!v.exists) marks.append(el("span", { class: "badge badge-gone", text: "removed" }));
        const metricRows = flatMetrics(v.metrics);
        const details = Object.fromEntries(Object.entries(v.spec || {}).filter(([k]) => k !== "metrics" && k !== "step" && !(k in v.metrics)));
        const detailRows = flatMetrics(details).slice(0, 16);
        facts.textContent = "";
        facts.append(
          factList([
            ["framework", v.framework || m.framework || "–"],
            ["size", fmtBytes(v.size)],
            ["path", v.path],
            ["logged", fmtTime(v.timestamp)],
          ]),
          metricRows.length
            ? el("table", { class: "model-metrics" }, el("thead", {}, el("tr", {}, el("th", { text: "metric" }), el("th", { text: "value" }))), el("tbody", {}, metricRows.map(([k, val]) => el("tr", { dataset: { metric: k } }, el("td", { text: k }), el("td", { class: "value", text: val })))))
            : el("p", { class: "empty", text: "no metrics recorded with this version" }),
          // DOM append() would print a null as the text "null": add the details only when there are some.
          ...(detailRows.length ? [el("dl", { class: "version-facts spec-details" }, detailRows.flatMap(([k, val]) => [el("dt", { text: k }), el("dd", { text: val.length > 120 ? val.slice(0, 119) + "…" : val })]))] : []),
        );
        for (const [j, b] of [...ticks.children].entries()) b.classList.toggle("current", j === i);
      }
      versions.forEach((v, j) => {
        const b = el("button", { type: "button", class: v.exists ? "" : "gone", title: v.exists ? "" : "removed by retention", text: (v.step === null ? "–" : v.step) + (v.best ? " ★" : "") });
        b.addEventListener("click", () => show(j));
        ticks.append(b);
      });
      card.append(
        el("h4", {}, m.name, el("small", { text: " · " + (m.framework || "?") + " · " + versions.length + " versions" + (m.best ? " · best step " + m.best.step : "") })),
        el("div", { class: "slider-row" }, slider, stepLabel, marks),
        facts,
        ticks,
      );
      body.append(card);
      show(current);
    }
  }

  function curveTitle(v) {
    if (!v.annotation) return v.kind;
    const a = String(v.annotation).trim();
    const shown = a !== "" && Number.isFinite(Number(a)) ? fmtNum(Number(a)) : a;
    return v.kind + " · " + (v.kind === "roc" ? "AUC " : "") + shown;
  }

  function curveChart(holder, row, color) {
    const v = row.value;
    const title = curveTitle(v);
    const axes = v.kind === "roc" ? ["false positive rate", "true positive rate"] : v.kind === "pr" ? ["precision", "recall"] : ["x", "y"];
    holder.textContent = "";
    return new uPlot(
      {
        mode: 2,
        width: chartWidth(holder.parentNode),
        height: 220,
        scales: { x: { time: false } },
        axes: [{ label: axes[0] }, { label: axes[1] }],
        legend: { show: false },
        series: [{}, { label: title, stroke: color, width: 2, paths: uPlot.paths.linear(), points: { show: v.x.length < 30 } }],
      },
      [null, [v.x, v.y]],
      holder,
    );
  }

  function withStepSlider(card, rows, render, label) {
    let i = rows.length - 1;
    const stepLabel = el("span", { class: "event-step" });
    const go = (j) => {
      i = j;
      const row = rows[i];
      card.dataset.step = String(row.step);
      stepLabel.textContent = "step " + (row.step === null ? "–" : row.step) + (rows.length > 1 ? " (" + (i + 1) + "/" + rows.length + ")" : "");
      render(row);
    };
    if (rows.length > 1) card.append(el("div", { class: "slider-row" }, stepSlider(rows.length, i, go, label), stepLabel));
    else card.append(el("div", { class: "slider-row" }, stepLabel));
    return () => go(i);
  }

  function renderCurves(runId, streams) {
    const body = $("#curves .body");
    for (const c of state.curves.values()) c.destroy();
    state.curves.clear();
    body.textContent = "";
    if (!streams.length) return body.append(el("p", { class: "empty", text: "No curves in this run." }));
    for (const { name, rows } of streams) {
      if (!rows.length) continue;
      const caption = el("small", { class: "curve-title" });
      const card = el("div", { class: "card curve-card", dataset: { curve: name } }, el("h4", {}, name + " ", caption));
      const holder = el("div", { class: "chart" });
      body.append(card);
      const start = withStepSlider(card, rows, (row) => {
        const old = state.curves.get(name);
        if (old) old.destroy();
        caption.textContent = curveTitle(row.value);
        state.curves.set(name, curveChart(holder, row, runColor(runId)));
        card.dataset.points = String(row.value.x.length);
      }, "step of " + name);
      card.append(holder);
      start();
    }
  }

  function confusionTable(v) {
    let max = 0;
    for (const r of v.z) for (const c of r) if (typeof c === "number" && c > max) max = c;
    const table = el("table", { class: "confusion" });
    table.append(el("thead", {}, el("tr", {}, el("th", { text: "actual \\ predicted" }), v.x.map((l) => el("th", { text: String(l) })))));
    const tbody = el("tbody");
    v.z.forEach((row, i) => {
      const tr = el("tr", {}, el("th", { text: String(v.y[i]) }));
      row.forEach((cell) => {
        const td = el("td", { text: fmtNum(cell) });
        const t = max ? cell / max : 0;
        td.style.background = "rgba(56,103,214," + (0.08 + 0.85 * t).toFixed(3) + ")";
        td.style.color = t > 0.55 ? "#fff" : "#1d2433";
        tr.append(td);
      });
      tbody.append(tr);
    });
    table.append(tbody);
    return table;
  }

  function renderConfusions(streams) {
    const body = $("#confusions .body");
    body.textContent = "";
    if (!streams.length) return body.append(el("p", { class: "empty", text: "No confusion matrices in this run." }));
    for (const { name, rows } of streams) {
      if (!rows.length) continue;
      const card = el("div", { class: "card confusion-card", dataset: { confusion: name } }, el("h4", { text: name }));
      const holder = el("div");
      body.append(card);
      const start = withStepSlider(card, rows, (row) => {
        holder.textContent = "";
        holder.append(confusionTable(row.value));
      }, "step of " + name);
      card.append(holder);
      start();
    }
  }

  function renderImages(runId, streams) {
    const body = $("#images .body");
    body.textContent = "";
    if (!streams.length) return body.append(el("p", { class: "empty", text: "No images in this run." }));
    for (const { name, rows } of streams) {
      if (!rows.length) continue;
      const card = el("div", { class: "card image-box", dataset: { image: name } }, el("h4", { text: name }));
      const img = el("img", { alt: name });
      body.append(card);
      const start = withStepSlider(card, rows, (row) => {
        img.src = row.exists ? assetUrl(runId, row.path) : "";
        img.alt = row.exists ? name + " at step " + row.step : "image removed";
        img.dataset.path = row.path;
      }, "step of " + name);
      card.append(img);
      start();
    }
  }

  /** Fetches every stream of one kind of a run: [{ name, rows }]. */
  function fetchStreams(runId, streams, kind, endpoint) {
    const names = streams.filter((s) => s.kind === kind).map((s) => s.name);
    return Promise.all(names.map(async (name) => ({ name: name, rows: await api("/api/runs/" + enc(runId) + "/" + endpoint + "/" + enc(name)) })));
  }

  function lineageSummary(rec) {
    const s = rec.summary || {};
    const bits = [];
    if (s.framework) bits.push("framework " + s.framework);
    if (s.step && typeof s.step === "object") bits.push("steps " + s.step.min + "…" + s.step.max + " (" + s.step.count + ")");
    if (s.metric && typeof s.metric === "object" && "last" in s.metric) bits.push("last " + fmtNum(s.metric.last));
    if (s.latest && typeof s.latest === "object") bits.push("latest step " + s.latest.step);
    if (s.best && typeof s.best === "object") bits.push("best step " + s.best.step + (s.best.monitor ? " by " + s.best.monitor + " = " + fmtNum(s.best.value) : ""));
    if (Array.isArray(s.versions)) bits.push("kept " + s.versions.join(", "));
    if (s.hash) bits.push("hash " + s.hash);
    if (typeof s.path === "string" && !rec.path) bits.push(s.path);
    return bits.join(" · ");
  }

  function renderLineage(lineage) {
    const body = $("#lineage .body");
    body.textContent = "";
    if (!lineage.length) return body.append(el("p", { class: "empty", text: "No lineage recorded yet (it is written as the run logs and when it ends)." }));
    const table = el("table", { class: "lineage" }, el("thead", {}, el("tr", {}, ["name", "kind", "path", "direction", "summary"].map((h) => el("th", { text: h })))));
    const tbody = el("tbody");
    for (const rec of lineage) {
      tbody.append(
        el("tr", { dataset: { name: rec.name || "", kind: rec.kind || "" } },
          el("td", { text: rec.name || "–" }),
          el("td", { text: rec.kind || "–" }),
          el("td", { text: rec.path || "–" }),
          el("td", { text: rec.is_input ? "input" : "output" }),
          el("td", { class: "summary", text: lineageSummary(rec) }),
        ),
      );
    }
    table.append(tbody);
    body.append(table);
  }

  /** System resource charts (x = time): one small chart per stream under resources/metric/. */
  function renderSystem(series) {
    const body = $("#system .body");
    body.textContent = "";
    if (!series || !series.length) return body.append(el("p", { class: "empty", text: "No system resources recorded (collectResources was off, or the run is older)." }));
    for (const s of series) {
      const holder = el("div", { class: "chart" });
      const card = el("div", { class: "card", dataset: { resource: s.name, points: String(s.x.length) } }, el("h4", { text: s.name }), holder);
      body.append(card);
      new uPlot(
        {
          width: chartWidth(body) / 2 - 12,
          height: 160,
          scales: { x: { time: true } },
          legend: { show: false },
          axes: [{}, { size: 60 }],
          series: [{}, { label: s.name, stroke: PALETTE[0], width: 1.5, spanGaps: true, points: { show: s.x.length < 30 } }],
        },
        [s.x, s.y],
        holder,
      );
    }
  }

  /** The captured stdout/stderr lines, as text (never as HTML). */
  function renderLogs(logs) {
    const body = $("#logs .body");
    body.textContent = "";
    if (!logs || !logs.lines.length) return body.append(el("p", { class: "empty", text: "No captured logs (collectLogs was off, or the run printed nothing)." }));
    if (logs.truncated) body.append(el("p", { class: "hint", text: "Last " + logs.lines.length + " lines; `runtrail logs <run>` prints them all." }));
    const pre = el("pre", { class: "logs" });
    pre.textContent = logs.lines.map((l) => l.t.slice(11, 19) + "  " + l.v).join("\n");
    body.append(pre);
  }

  /** Resources and logs of a run; a report made before this existed simply has none. */
  async function fetchContext(runId) {
    const base = "/api/runs/" + enc(runId);
    const names = await api(base + "/resources").catch(() => []);
    const series = await Promise.all(names.map((n) => api(base + "/resources/" + enc(n) + "?points=500").catch(() => null)));
    const logs = await api(base + "/logs?tail=500").catch(() => null);
    return { series: series.filter(Boolean), logs: logs };
  }

  async function focusRun(runId) {
    state.focus = runId;
    const current = () => state.focus === runId;
    for (const tr of document.querySelectorAll("#runs-table tr.run-row")) tr.classList.toggle("focused", tr.dataset.run === runId);
    const d = await detail(runId);
    if (!current()) return;
    const section = $("#run-detail");
    section.dataset.ready = "0";
    section.hidden = false;
    section.dataset.run = runId;
    $("#run-title").textContent = d.name || d.uuid;
    const status = $("#run-status");
    status.textContent = "";
    status.append(el("span", { class: "status status-" + (d.status || "damaged"), text: d.status || "damaged", title: (d.damaged || []).join("\n") }));
    const info = $("#run-info");
    info.textContent = "";
    const outputs = Object.entries(d.metrics).map(([k, v]) => k + "=" + fmtNum(v.value) + (v.step !== null ? " @" + v.step : "")).join("  ");
    const facts = [
      ["uuid", d.uuid],
      ["project", d.project || "–"],
      ["created", fmtTime(d.createdAt)],
      ["finished", fmtTime(d.finishedAt)],
      ["duration", fmtDuration(d.duration)],
      ["last metrics", outputs || "–"],
    ];
    for (const [k, v] of facts) info.append(el("dt", { text: k }), el("dd", { text: v }));
    const [models, curves, confusions, images, context] = await Promise.all([
      api("/api/runs/" + enc(runId) + "/models"),
      fetchStreams(runId, d.streams, "curve", "curves"),
      fetchStreams(runId, d.streams, "confusion", "confusions"),
      fetchStreams(runId, d.streams, "image", "images"),
      fetchContext(runId),
    ]);
    if (!current()) return;
    renderModels(runId, models);
    renderCurves(runId, curves);
    renderConfusions(confusions);
    renderImages(runId, images);
    renderSystem(context.series);
    renderLogs(context.logs);
    renderLineage(d.lineage);
    section.dataset.ready = "1";
    document.body.dataset.focus = runId;
  }

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
    state.runs = await api("/api/runs");
    const first = state.runs[0];
    if (first) state.selected.add(first.id);
    renderRuns();
    await renderMetrics();
    if (first) await focusRun(first.id);
    document.body.dataset.ready = "1";
  }

  main().catch(showError);
})();
