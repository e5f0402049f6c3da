// Comparison views of the runs in the table, drawn as plain SVG (no library): parallel
// coordinates of the inputs and metrics shown as columns, where dragging along an axis brushes
// a range and the table (and the ticked runs) narrow to the runs inside every brushed range; and
// a scatter of one column against another. Ticked runs are drawn in their colour, others grey.
(function (RT) {
  "use strict";
  const { state, $, el, fmtNum, runLabel, runColor } = RT;

  const NS = "http://www.w3.org/2000/svg";
  /** At most this many axes, and lines (or scatter points): beyond that the plots are unreadable anyway. */
  const MAX_AXES = 12;
  const MAX_LINES = 2000;

  function svg(tag, attrs, text) {
    const node = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /** A scale of one column over the runs: numbers linearly, anything else as evenly spaced categories. */
  function scaleOf(col, runs) {
    const values = runs.map((r) => RT.cellValue(r, col)).filter((v) => v !== undefined && v !== null);
    const numeric = values.length > 0 && values.every((v) => typeof v === "number" && Number.isFinite(v));
    if (numeric) {
      let lo = Infinity, hi = -Infinity;
      for (const v of values) { if (v < lo) lo = v; if (v > hi) hi = v; }
      if (lo === hi) { lo -= 0.5; hi += 0.5; }
      return { numeric: true, lo, hi, at: (v) => (typeof v === "number" && Number.isFinite(v) ? (v - lo) / (hi - lo) : null), ticks: [lo, (lo + hi) / 2, hi].map((v) => [(v - lo) / (hi - lo), fmtNum(v)]) };
    }
    const cats = [...new Set(values.map((v) => (typeof v === "object" ? JSON.stringify(v) : String(v))))].sort();
    const pos = new Map(cats.map((c, i) => [c, cats.length === 1 ? 0.5 : i / (cats.length - 1)]));
    const key = (v) => (v === undefined || v === null ? null : typeof v === "object" ? JSON.stringify(v) : String(v));
    return { numeric: false, cats, at: (v) => { const k = key(v); return k === null || !pos.has(k) ? null : pos.get(k); }, ticks: cats.slice(0, 20).map((c) => [pos.get(c), c]) };
  }

  /** The axes: input and metric columns of the table (the "only columns that differ" set when on). */
  function axesOf() {
    return RT.dynamicColumns(state.runs).filter((c) => c.kind === "input" || c.kind === "metric").slice(0, MAX_AXES);
  }

  /** Whether a run lies inside every brushed range. A brush is { "<kind>:<key>": { col, from, to } } in 0…1 axis units. */
  function passesBrush(run, brush) {
    for (const b of Object.values(brush)) {
      const t = b.scale.at(RT.cellValue(run, b.col));
      if (t === null || t < b.from - 1e-9 || t > b.to + 1e-9) return false;
    }
    return true;
  }

  function setBrush(id, col, scale, from, to) {
    const brush = Object.assign({}, state.brush || {});
    if (from === null) delete brush[id];
    else brush[id] = { col, scale, from, to };
    state.brush = Object.keys(brush).length ? brush : null;
    // Brushing narrows the ticked runs too: a run outside the brush is no longer compared.
    if (state.brush) for (const r of state.runs) if (state.selected.has(r.id) && !passesBrush(r, state.brush)) state.selected.delete(r.id);
    state.page = 0;
    RT.renderRuns();
    RT.selectionChanged();
    document.body.dataset.brushed = String(RT.visibleRuns().length);
  }

  function renderParcoords() {
    const box = $("#parcoords");
    box.textContent = "";
    const axes = axesOf();
    const runs = state.runs.slice(0, MAX_LINES);
    if (axes.length < 2 || runs.length < 2) {
      box.append(el("p", { class: "empty", text: "Parallel coordinates need two runs and two input or metric columns that differ." }));
      return;
    }
    const W = Math.max(480, Math.floor(box.getBoundingClientRect().width) - 20), H = 260, top = 34, bottom = 24, left = 40, right = 40;
    const span = H - top - bottom;
    const xs = axes.map((_, i) => left + (i * (W - left - right)) / (axes.length - 1));
    // Scales are over the whole query answer, so brushing does not move the axes under the mouse.
    const scales = axes.map((c) => scaleOf(c, state.runs));
    const root = svg("svg", { viewBox: "0 0 " + W + " " + H, height: H, role: "img", "aria-label": "parallel coordinates" });
    const lines = svg("g");
    root.append(lines);
    const yOf = (t) => top + (1 - t) * span;
    for (const run of runs) {
      let d = "", pen = false;
      axes.forEach((c, i) => {
        const t = scales[i].at(RT.cellValue(run, c));
        if (t === null) { pen = false; return; }
        d += (pen ? "L" : "M") + xs[i].toFixed(1) + " " + yOf(t).toFixed(1);
        pen = true;
      });
      if (!d) continue;
      const ticked = state.selected.has(run.id);
      const inside = !state.brush || passesBrush(run, state.brush);
      const path = svg("path", { d, class: "pc-line" + (inside ? "" : " out"), "data-run": run.id });
      path.style.stroke = ticked ? runColor(run.id) : "#9aa3b5";
      path.append(svg("title", {}, runLabel(run)));
      if (ticked) lines.append(path);
      else lines.prepend(path);
    }
    axes.forEach((c, i) => {
      const id = c.kind + ":" + c.key;
      const g = svg("g", { class: "pc-axis", "data-col": id, transform: "translate(" + xs[i] + ",0)" });
      g.append(svg("line", { x1: 0, x2: 0, y1: top, y2: top + span }));
      g.append(svg("text", { x: 0, y: top - 18, "text-anchor": "middle", "font-weight": 600 }, (c.kind === "input" ? "" : "metrics.") + c.key));
      for (const [t, label] of scales[i].ticks) g.append(svg("text", { x: 4, y: yOf(t) + 3, fill: "#6b7385" }, label.length > 14 ? label.slice(0, 13) + "…" : label));
      const b = state.brush && state.brush[id];
      const rect = svg("rect", { class: "pc-brush", x: -7, width: 14, y: b ? yOf(b.to) : 0, height: b ? Math.max(1, (b.to - b.from) * span) : 0 });
      g.append(rect);
      const hit = svg("rect", { class: "pc-hit", x: -12, width: 24, y: top - 4, height: span + 8, "data-col": id });
      g.append(hit);
      wireBrush(root, hit, rect, (y0, y1) => {
        const tOf = (y) => Math.min(1, Math.max(0, 1 - (y - top) / span));
        if (Math.abs(y1 - y0) < 3) return setBrush(id, c, scales[i], null);
        setBrush(id, c, scales[i], tOf(Math.max(y0, y1)), tOf(Math.min(y0, y1)));
      }, (y0, y1) => {
        rect.setAttribute("y", String(Math.min(y0, y1)));
        rect.setAttribute("height", String(Math.abs(y1 - y0)));
      });
      root.append(g);
    });
    box.append(root);
    box.dataset.axes = axes.map((c) => c.kind + ":" + c.key).join(",");
    box.dataset.lines = String(lines.childNodes.length);
  }

  /** Pointer drag on an axis, in the SVG's own units (the SVG is scaled to the card's width). */
  function wireBrush(root, hit, rect, done, moving) {
    const yIn = (e) => {
      const box = root.getBoundingClientRect();
      return ((e.clientY - box.top) * root.viewBox.baseVal.height) / box.height;
    };
    hit.addEventListener("pointerdown", (e) => {
      e.preventDefault();
      const y0 = yIn(e);
      hit.setPointerCapture(e.pointerId);
      // A live update must not redraw the plot under a drag in progress.
      state.brushing = true;
      const move = (m) => moving(y0, yIn(m));
      const up = (u) => {
        state.brushing = false;
        hit.removeEventListener("pointermove", move);
        hit.removeEventListener("pointerup", up);
        done(y0, yIn(u));
      };
      hit.addEventListener("pointermove", move);
      hit.addEventListener("pointerup", up);
      hit.addEventListener("pointercancel", () => { state.brushing = false; hit.removeEventListener("pointermove", move); hit.removeEventListener("pointerup", up); }, { once: true });
    });
  }

  function columnChoices() {
    const fixed = [{ kind: "fixed", key: "duration", field: "duration" }];
    return fixed.concat(RT.dynamicColumns(state.runs));
  }

  function renderScatter() {
    const box = $("#scatter");
    const sx = $("#scatter-x"), sy = $("#scatter-y");
    const cols = columnChoices();
    const ids = cols.map((c) => c.kind + ":" + c.key);
    for (const [sel, fallback] of [[sx, ids.find((i) => i.startsWith("input:")) || ids[0]], [sy, ids.find((i) => i.startsWith("metric:")) || ids[1] || ids[0]]]) {
      const keep = ids.includes(sel.value) ? sel.value : fallback;
      sel.textContent = "";
      for (const id of ids) sel.append(el("option", { value: id, text: id.replace(/^fixed:/, "").replace(/^(input|output|metric):/, "$1s.") }));
      if (keep) sel.value = keep;
      if (!sel.dataset.wired) { sel.dataset.wired = "1"; sel.addEventListener("change", renderScatter); }
    }
    box.textContent = "";
    const cx = cols[ids.indexOf(sx.value)], cy = cols[ids.indexOf(sy.value)];
    const runs = RT.visibleRuns().slice(0, MAX_LINES);
    if (!cx || !cy || !runs.length) {
      box.append(el("p", { class: "empty", text: "No runs or columns to plot." }));
      return;
    }
    const valueOf = RT.cellValue;
    const kx = scaleOf(cx, runs), ky = scaleOf(cy, runs);
    const W = Math.max(420, Math.floor(box.getBoundingClientRect().width) - 4), H = 260, m = 40;
    const root = svg("svg", { viewBox: "0 0 " + W + " " + H, height: H, role: "img", "aria-label": "scatter" });
    root.append(svg("line", { x1: m, y1: H - m, x2: W - 10, y2: H - m, stroke: "#8892a6" }), svg("line", { x1: m, y1: 10, x2: m, y2: H - m, stroke: "#8892a6" }));
    for (const [t, label] of kx.ticks) root.append(svg("text", { x: m + t * (W - m - 20), y: H - m + 14, "text-anchor": "middle", fill: "#6b7385" }, label));
    for (const [t, label] of ky.ticks) root.append(svg("text", { x: m - 4, y: H - m - t * (H - m - 20) + 3, "text-anchor": "end", fill: "#6b7385" }, label));
    let drawn = 0;
    for (const r of runs) {
      const a = kx.at(valueOf(r, cx)), b = ky.at(valueOf(r, cy));
      if (a === null || b === null) continue;
      const ticked = state.selected.has(r.id);
      const dot = svg("circle", { cx: (m + a * (W - m - 20)).toFixed(1), cy: (H - m - b * (H - m - 20)).toFixed(1), r: ticked ? 4.5 : 3, "data-run": r.id });
      dot.style.fill = ticked ? runColor(r.id) : "#9aa3b5";
      dot.append(svg("title", {}, runLabel(r) + ": " + fmtNum(valueOf(r, cx)) + ", " + fmtNum(valueOf(r, cy))));
      root.append(dot);
      drawn++;
    }
    box.append(root);
    box.dataset.points = String(drawn);
  }

  /** Redraws both comparison views from state (called whenever the table is redrawn). */
  let drawnKey = "";

  function renderComparisons() {
    if (state.brushing) return;
    // A poll that changed nothing the plots show leaves them (and a pointer on them) alone.
    const brush = Object.entries(state.brush || {}).map(([id, b]) => id + ":" + b.from + ":" + b.to).join(";");
    const key = [state.runsKey, [...state.selected].join(","), brush, state.onlyDiff, $("#parcoords").getBoundingClientRect().width].join("\u0000");
    if (key === drawnKey) return;
    drawnKey = key;
    renderParcoords();
    renderScatter();
  }

  Object.assign(RT, { passesBrush, renderComparisons, setBrush });
})(window.RT = window.RT || {});
