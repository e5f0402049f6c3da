// Live updates: every few seconds the page asks for the run list again (the server's index
// re-reads only run folders that changed). New runs appear; when a ticked run is running, or
// its row changed, its detail and metric series are fetched again and the charts redrawn.
(function (RT) {
  "use strict";
  const { SNAP, state, showError } = RT;

  /** Milliseconds between polls; `?live=0` in the URL turns polling off. */
  const POLL_MS = 2500;
  /** A slow listing (a huge sweep on a loaded machine) stretches the interval to this many times its own duration. */
  const SLOW_FACTOR = 4;

  function rowKey(run) {
    return JSON.stringify([run.status, run.metrics, run.finishedAt, run.inputs, run.outputs, run.tags, run.name]);
  }

  async function poll() {
    if (document.hidden || state.polling) return;
    state.polling = true;
    try {
      const before = new Map(state.runs.map((r) => [r.id, rowKey(r)]));
      const changed = await RT.loadRuns();
      state.polls = (state.polls || 0) + 1;
      document.body.dataset.polls = String(state.polls);
      if (!changed) return;
      RT.renderRuns();
      const stale = state.runs.filter((r) => state.selected.has(r.id) && before.get(r.id) !== rowKey(r)).map((r) => r.id);
      if (!stale.length) return;
      for (const id of stale) state.details.delete(id);
      await RT.renderMetrics();
      document.body.dataset.liveUpdates = String((Number(document.body.dataset.liveUpdates) || 0) + 1);
    } finally {
      state.polling = false;
    }
  }

  /** Starts polling (not in a report, which has no server). */
  function startLive() {
    if (SNAP || new URLSearchParams(window.location.search).get("live") === "0") return;
    const next = (ms) => setTimeout(async () => {
      const t0 = performance.now();
      await poll().catch(showError);
      next(Math.max(POLL_MS, SLOW_FACTOR * (performance.now() - t0)));
    }, ms);
    next(POLL_MS);
  }

  Object.assign(RT, { startLive, poll });
})(window.RT = window.RT || {});
