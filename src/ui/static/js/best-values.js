// "Best values" on request: with the toggle on, the metric columns of the rows on the current
// page show each metric's best value (by its direction, see docs/metric-direction.md) instead of
// the last one. The best needs the whole stream, so it is fetched per cell, a few at a time, from
// GET /api/runs/<run>/metrics/<name>?points=4 (its `best` is over every row), and kept until the
// run's last step of that metric changes.
(function (RT) {
  "use strict";
  const { state, api, enc, fmtNum } = RT;

  const PARALLEL = 4;
  const cache = new Map();
  let generation = 0;

  function cacheKey(run, name) {
    const m = run.metrics[name];
    return run.id + "\u0000" + name + "\u0000" + (m ? m.step : "") + "\u0000" + (m ? m.value : "");
  }

  function show(td, best) {
    td.textContent = best ? fmtNum(best.value) : "–";
    td.title = best ? "best at step " + best.step + " (last " + fmtNum(td.dataset.last === undefined ? null : Number(td.dataset.last)) + ")" : "no finite value";
    td.dataset.best = best ? String(best.value) : "";
  }

  /** Fills the metric cells of the drawn rows with best values (no-op when the toggle is off). */
  function fillBest(runs, cols) {
    const gen = ++generation;
    if (!state.showBest) return;
    const jobs = [];
    for (const run of runs) {
      for (const c of cols) {
        if (c.kind !== "metric" || !run.metrics[c.key]) continue;
        const td = document.querySelector('#runs-table tr.run-row[data-run="' + CSS.escape(run.id) + '"] td[data-col="' + CSS.escape("metric:" + c.key) + '"]');
        if (!td) continue;
        td.dataset.last = String(run.metrics[c.key].value);
        const key = cacheKey(run, c.key);
        if (cache.has(key)) show(td, cache.get(key));
        else {
          td.textContent = "…";
          jobs.push({ run, name: c.key, td, key });
        }
      }
    }
    const worker = async () => {
      while (jobs.length && gen === generation) {
        const j = jobs.shift();
        let best = null;
        try {
          const s = await api("/api/runs/" + enc(j.run.id) + "/metrics/" + enc(j.name) + "?x=step&points=4");
          best = s.best || null;
        } catch (err) {
          best = null; // a report has no such answer, or the stream went away: shown as "–"
        }
        cache.set(j.key, best);
        if (gen === generation) show(j.td, best);
      }
    };
    Promise.all(Array.from({ length: PARALLEL }, worker)).then(() => {
      if (gen === generation) document.body.dataset.bestFilled = String(gen);
    });
  }

  Object.assign(RT, { fillBest });
})(window.RT = window.RT || {});
