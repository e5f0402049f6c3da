// The run page's own sections: code and environment, text and HTML events, Vega charts,
// histograms, system charts and logs (search, follow), and the live refresh of all of them
// while the run is open: it polls /api/runs/<run>/changes (one stat per file, no content) and
// re-asks only for the streams whose size or mtime changed. Nothing from a run file is ever
// inserted as HTML in this page: text goes through textContent, HTML events into an
// <iframe sandbox> without scripts, chart specs into an opaque-origin frame (chart-frame.html).
/* global uPlot */
(function (RT) {
  "use strict";
  const { SNAP, $, el, api, enc, PALETTE, chartWidth, withStepSlider } = RT;
  const POLL_MS = 2000;
  const LOG_TAIL = 1000;
  const RESOURCE_POINTS = 500;
  const DONE = new Set(["succeeded", "failed", "stopped", "skipped", "upstream_failed", "done"]);

  /** Exposed for tests: the open run, its stamps, and how many refreshes each part had. */
  const live = { runId: null, stamps: {}, polls: 0, refreshed: { system: 0, logs: 0, events: 0 }, timer: 0, generation: 0, running: false };
  window.runtrailRunPage = live;

  function base(runId) {
    return "/api/runs/" + enc(runId);
  }

  function section(id) {
    return $("#" + id + " .body");
  }

  function empty(body, text) {
    body.textContent = "";
    body.append(el("p", { class: "empty", text: text }));
  }

  /** A card with a step slider over `rows` (the newest shown first); `show(view, row)` draws one row. */
  function steppedCard(holder, name, kind, rows, show) {
    const card = el("div", { class: "card", dataset: { kind: kind, stream: name } }, el("h4", { text: name }));
    const view = el("div", { class: "stepped" });
    const draw = withStepSlider(card, rows, (row) => {
      view.textContent = "";
      show(view, row);
    }, name + " step");
    card.append(view);
    holder.append(card);
    draw();
    return card;
  }

  // ---------- code and environment ----------
  function renderCodeEnv(detail, env) {
    const body = section("code-env");
    body.textContent = "";
    const refs = ((detail.lineage || [])).filter((r) => r && r.kind === "coderef");
    const dl = el("dl", { class: "version-facts" });
    for (const r of refs) {
      const s = r.summary || {};
      for (const k of ["commit", "branch", "url", "is_dirty"]) if (s[k] !== undefined) dl.append(el("dt", { text: k }), el("dd", { text: String(s[k]) }));
    }
    if (!refs.length) dl.append(el("dt", { text: "code" }), el("dd", { class: "muted", text: "no code reference recorded" }));
    body.append(el("h4", { text: "Code reference" }), dl);
    if (env && typeof env === "object") {
      const envDl = el("dl", { class: "version-facts env" });
      for (const [k, v] of Object.entries(env)) envDl.append(el("dt", { text: k }), el("dd", { text: typeof v === "object" ? JSON.stringify(v) : String(v) }));
      body.append(el("h4", { text: "Environment (outputs/env.json)" }), envDl);
    } else body.append(el("p", { class: "empty", text: "No environment recorded (trackEnv was off)." }));
  }

  // ---------- text, HTML, charts, histograms ----------
  function showText(view, row) {
    view.append(el("pre", { class: "event-text", text: String(row.value) }));
  }

  function showHtml(view, row) {
    // No allow-scripts, no allow-same-origin: the snippet renders, but nothing in it runs or
    // reaches this page; the page's CSP is inherited by the srcdoc document as well.
    view.append(el("iframe", { class: "event-html", sandbox: "", referrerpolicy: "no-referrer", srcdoc: String(row.value), title: "HTML event" }));
  }

  window.addEventListener("message", (event) => {
    const frame = Array.from(document.querySelectorAll("iframe.event-chart")).find((f) => f.contentWindow === event.source);
    if (!frame || !event.data || event.data.runtrailChart !== true) return;
    if (event.data.ready) frame.contentWindow.postMessage({ spec: frame._spec, width: frame.clientWidth }, "*");
    else {
      frame.dataset.rendered = event.data.ok ? "1" : "error";
      if (event.data.error) frame.dataset.error = String(event.data.error).slice(0, 300);
      if (event.data.marks !== undefined) frame.dataset.marks = String(event.data.marks);
      if (event.data.height) frame.style.height = Math.min(900, Math.max(60, Number(event.data.height) + 4)) + "px";
    }
  });

  function showChart(view, row) {
    const chart = row.value && typeof row.value === "object" ? row.value : {};
    if (chart.kind === "vega" && chart.figure && typeof chart.figure === "object" && !SNAP) {
      const frame = el("iframe", { class: "event-chart", sandbox: "allow-scripts", referrerpolicy: "no-referrer", src: "/static/chart-frame.html", title: "chart" });
      frame._spec = chart.figure;
      view.append(frame);
      return;
    }
    const why = SNAP ? "Charts are drawn by the live dashboard; the figure is:" : "A " + String(chart.kind) + " figure is drawn by Polyaxon's UI; runtrail draws Vega and Vega-Lite. The figure is:";
    view.append(el("p", { class: "hint", text: why }), el("pre", { class: "event-text", text: JSON.stringify(chart.figure, null, 1) }));
  }

  /** Polyaxon's histogram layout: `values` are the n bin counts, `counts` the n+1 bin edges. */
  function showHistogramOverSteps(rows) {
    return function (view, row) {
      const canvas = el("canvas", { class: "histogram", width: 560, height: 220 });
      view.append(canvas);
      const ctx = canvas.getContext("2d");
      const shown = rows.length > 30 ? rows.filter((_, i) => i % Math.ceil(rows.length / 30) === 0 || rows[i] === row) : rows;
      let lo = Infinity;
      let hi = -Infinity;
      let top = 0;
      for (const r of shown) {
        const e = r.value.counts;
        lo = Math.min(lo, e[0]);
        hi = Math.max(hi, e[e.length - 1]);
        for (const c of r.value.values) top = Math.max(top, c);
      }
      if (!(hi > lo) || !(top > 0)) return view.append(el("p", { class: "empty", text: "empty histogram" }));
      const W = canvas.width;
      const H = canvas.height;
      const ridge = shown.length > 1 ? (H * 0.5) / (shown.length - 1) : 0;
      const band = H - 20 - ridge * (shown.length - 1);
      const px = (x) => 30 + ((x - lo) / (hi - lo)) * (W - 40);
      shown.forEach((r, k) => {
        const baseY = H - 20 - ridge * (shown.length - 1 - k);
        const current = r === row;
        ctx.beginPath();
        ctx.moveTo(px(r.value.counts[0]), baseY);
        r.value.values.forEach((c, i) => {
          const y = baseY - (c / top) * band;
          ctx.lineTo(px(r.value.counts[i]), y);
          ctx.lineTo(px(r.value.counts[i + 1]), y);
        });
        ctx.lineTo(px(r.value.counts[r.value.counts.length - 1]), baseY);
        ctx.fillStyle = current ? "rgba(56,103,214,0.55)" : "rgba(75,101,132," + (0.05 + (0.15 * k) / shown.length) + ")";
        ctx.strokeStyle = current ? PALETTE[0] : "rgba(75,101,132,0.5)";
        ctx.fill();
        ctx.stroke();
      });
      ctx.fillStyle = "#6b7385";
      ctx.font = "11px system-ui";
      ctx.fillText(String(+lo.toPrecision(4)), 30, H - 4);
      const hiText = String(+hi.toPrecision(4));
      ctx.fillText(hiText, W - 10 - ctx.measureText(hiText).width, H - 4);
      canvas.dataset.bins = String(row.value.values.length);
      canvas.dataset.total = String(row.value.values.reduce((a, b) => a + b, 0));
    };
  }

  const EVENT_SECTIONS = {
    text: { id: "texts", none: "No text events.", show: () => showText },
    html: { id: "htmls", none: "No HTML events.", show: () => showHtml },
    chart: { id: "charts", none: "No chart events.", show: () => showChart },
    histogram: { id: "histograms", none: "No histograms.", show: (rows) => showHistogramOverSteps(rows) },
  };

  async function renderEventStream(runId, kind, name) {
    const rows = await api(base(runId) + "/events/" + kind + "/" + enc(name));
    const holder = section(EVENT_SECTIONS[kind].id);
    const old = Array.from(holder.querySelectorAll(".card")).find((c) => c.dataset.stream === name);
    const fresh = el("div");
    if (rows.length) steppedCard(fresh, name, kind, rows, EVENT_SECTIONS[kind].show(rows));
    const card = fresh.firstChild;
    if (old && card) old.replaceWith(card);
    else if (old) old.remove();
    else if (card) {
      const placeholder = holder.querySelector(".empty");
      if (placeholder) placeholder.remove();
      holder.append(card);
    }
  }

  async function renderEvents(runId, streams) {
    for (const kind of Object.keys(EVENT_SECTIONS)) {
      const names = streams.filter((s) => s.kind === kind).map((s) => s.name);
      const body = section(EVENT_SECTIONS[kind].id);
      body.textContent = "";
      if (!names.length) empty(body, EVENT_SECTIONS[kind].none);
      for (const name of names) await renderEventStream(runId, kind, name).catch((err) => body.append(el("p", { class: "empty", text: name + ": " + err.message })));
    }
  }

  // ---------- system resources ----------
  const systemCharts = new Map();

  async function renderResource(runId, name) {
    const s = await api(base(runId) + "/resources/" + enc(name) + "?points=" + RESOURCE_POINTS);
    const body = section("system");
    const known = systemCharts.get(name);
    if (known) {
      known.chart.setData([s.x, s.y]);
      known.card.dataset.points = String(s.x.length);
      known.card.dataset.total = String(s.total);
      return;
    }
    const placeholder = body.querySelector(".empty");
    if (placeholder) placeholder.remove();
    const holder = el("div", { class: "chart" });
    const card = el("div", { class: "card", dataset: { resource: name, points: String(s.x.length), total: String(s.total) } }, el("h4", { text: name }), holder);
    body.append(card);
    const chart = new uPlot(
      {
        width: Math.max(260, chartWidth(body) / 2 - 12),
        height: 160,
        scales: { x: { time: true } },
        legend: { show: false },
        axes: [{}, { size: 60 }],
        series: [{}, { label: name, stroke: PALETTE[0], width: 1.5, spanGaps: true, points: { show: s.x.length < 30 } }],
      },
      [s.x, s.y],
      holder,
    );
    systemCharts.set(name, { chart: chart, card: card });
  }

  async function renderSystem(runId) {
    for (const { chart } of systemCharts.values()) chart.destroy();
    systemCharts.clear();
    const body = section("system");
    body.textContent = "";
    const names = await api(base(runId) + "/resources").catch(() => []);
    if (!names.length) return empty(body, "No system resources recorded (collectResources was off, or the run is older).");
    for (const n of names) await renderResource(runId, n).catch(() => undefined);
  }

  // ---------- logs: search and follow ----------
  const logs = { lines: [], truncated: false, query: "", follow: true, pre: null, count: null };

  function drawLogs() {
    if (!logs.pre) return;
    const q = logs.query.toLowerCase();
    const shown = q ? logs.lines.filter((l) => l.v.toLowerCase().includes(q)) : logs.lines;
    logs.pre.textContent = shown.map((l) => l.t.slice(11, 19) + "  " + l.v).join("\n");
    logs.pre.dataset.lines = String(shown.length);
    logs.count.textContent = (q ? shown.length + " of " : "") + logs.lines.length + " lines" + (logs.truncated ? " (the last ones; `runtrail logs <run>` prints all)" : "");
    if (logs.follow) logs.pre.scrollTop = logs.pre.scrollHeight;
  }

  function buildLogsPane() {
    const body = section("logs");
    body.textContent = "";
    const search = el("input", { type: "search", class: "log-search", placeholder: "search the logs", "aria-label": "search the logs" });
    search.addEventListener("input", () => {
      logs.query = search.value;
      drawLogs();
    });
    const follow = el("input", { type: "checkbox", class: "log-follow", checked: logs.follow });
    follow.addEventListener("change", () => {
      logs.follow = follow.checked;
      drawLogs();
    });
    logs.count = el("span", { class: "muted log-count" });
    logs.pre = el("pre", { class: "logs" });
    body.append(el("div", { class: "slider-row" }, search, el("label", { class: "control" }, follow, "follow"), logs.count), logs.pre);
  }

  async function renderLogs(runId) {
    const got = await api(base(runId) + "/logs?tail=" + (SNAP ? 500 : LOG_TAIL)).catch(() => null);
    if (!got || !got.lines.length) {
      logs.pre = null;
      return empty(section("logs"), "No captured logs (collectLogs was off, or the run printed nothing).");
    }
    if (!logs.pre) buildLogsPane();
    logs.lines = got.lines;
    logs.truncated = got.truncated;
    drawLogs();
  }

  // ---------- live refresh ----------
  async function poll(runId, generation) {
    if (generation !== live.generation) return;
    if (document.hidden) {
      live.timer = setTimeout(() => poll(runId, generation), POLL_MS);
      return;
    }
    try {
      const stamps = await api(base(runId) + "/changes");
      if (generation !== live.generation) return;
      live.polls++;
      const changed = Object.keys(stamps).filter((k) => stamps[k] !== live.stamps[k]);
      live.stamps = stamps;
      const jobs = [];
      for (const path of changed) {
        let m;
        if ((m = /^resources\/metric\/(.+)\.plx$/.exec(path))) {
          jobs.push(renderResource(runId, m[1]).then(() => live.refreshed.system++));
        } else if (path === "plxlogs/logs.jsonl") {
          jobs.push(renderLogs(runId).then(() => live.refreshed.logs++));
        } else if ((m = /^events\/(text|html|chart|histogram)\/(.+)\.plx$/.exec(path))) {
          const kind = m[1];
          jobs.push(renderEventStream(runId, kind, m[2]).then(() => live.refreshed.events++));
        }
      }
      await Promise.all(jobs.map((j) => j.catch(() => undefined)));
      // Metric charts, the runs list and the status belong to the main page: tell it what changed.
      if (changed.length) document.dispatchEvent(new CustomEvent("runtrail:run-changed", { detail: { runId: runId, paths: changed } }));
      if (changed.includes("run.plx.json")) {
        const d = await api(base(runId));
        RT.state.details.set(runId, d);
        const badge = $("#run-status .status");
        if (badge && d.status) {
          badge.textContent = d.status;
          badge.className = "status status-" + d.status;
        }
      }
    } catch (err) {
      // A run deleted or unreadable for a moment: keep polling; the main page reports errors.
    }
    if (generation === live.generation && live.running) live.timer = setTimeout(() => poll(runId, generation), POLL_MS);
  }

  /**
   * Fills the run page's own sections for `runId` (called by focusRun with the run's detail),
   * then keeps them current while the run stays open.
   */
  async function showRun(runId, detail) {
    const generation = ++live.generation;
    clearTimeout(live.timer);
    live.runId = runId;
    const env = await api(base(runId) + "/env").catch(() => null);
    // Stamps taken before drawing: a write while drawing shows up at the first poll.
    const stamps = SNAP ? {} : await api(base(runId) + "/changes").catch(() => ({}));
    if (generation !== live.generation) return;
    logs.pre = null;
    logs.query = "";
    logs.follow = !DONE.has(detail.status);
    renderCodeEnv(detail, env);
    await Promise.all([renderEvents(runId, detail.streams || []), renderSystem(runId), renderLogs(runId)]);
    if (generation !== live.generation || SNAP || new URLSearchParams(window.location.search).get("live") === "0") return;
    live.stamps = stamps;
    // A finished run is polled too while open (one stat per file): `resume` may reopen it.
    live.running = true;
    live.timer = setTimeout(() => poll(runId, generation), POLL_MS);
  }

  Object.assign(RT, { showRunPage: showRun });
})(window.RT = window.RT || {});
