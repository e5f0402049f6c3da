// The single-run page: facts, model versions, curves, confusion matrices, images, lineage (the
// other sections and the live refresh are in run-page.js).
/* global uPlot */
(function (RT) {
  "use strict";
  const { state, $, el, api, enc, PALETTE, assetUrl, fmtNum, fmtDuration, fmtBytes, fmtTime, runColor, detail, chartWidth } = RT;

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
    // The run page's own sections (run-page.js) are drawn alongside and kept live while open.
    const [models, curves, confusions, images] = await Promise.all([
      api("/api/runs/" + enc(runId) + "/models"),
      fetchStreams(runId, d.streams, "curve", "curves"),
      fetchStreams(runId, d.streams, "confusion", "confusions"),
      fetchStreams(runId, d.streams, "image", "images"),
      RT.showRunPage(runId, d),
    ]);
    if (!current()) return;
    renderModels(runId, models);
    renderCurves(runId, curves);
    renderConfusions(confusions);
    renderImages(runId, images);
    renderLineage(d.lineage);
    section.dataset.ready = "1";
    document.body.dataset.focus = runId;
  }

  Object.assign(RT, { focusRun, withStepSlider });
})(window.RT = window.RT || {});
