// Shared by every view of the dashboard page: page state, the JSON API (live, or a report's
// embedded snapshot window.RUNTRAIL_SNAPSHOT), DOM building and number formatting.
/* global uPlot */
(function (RT) {
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

  async function detail(runId) {
    if (!state.details.has(runId)) state.details.set(runId, await api("/api/runs/" + enc(runId)));
    return state.details.get(runId);
  }

  Object.assign(RT, { SNAP, PALETTE, POINTS, state, $, enc, el, api, assetUrl, showError, fmtNum, fmtDuration, fmtBytes, fmtTime, runLabel, runColor, alpha, detail });
})(window.RT = window.RT || {});
