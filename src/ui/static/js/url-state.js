// Deep links: the page's URL holds the query, sort, ticked runs and open run
// (`/?q=…&sort=…&sel=id1,id2&run=id`), so a reload or a pasted link shows the same view.
(function (RT) {
  "use strict";
  const { SNAP, state } = RT;

  /** Most ticked runs a link carries. */
  const MAX_LINKED = 200;

  /** Reads the view from the current URL into state (before the first fetch). */
  function readUrl() {
    if (SNAP) return { sel: null, run: null };
    const p = new URLSearchParams(window.location.search);
    state.query = p.get("q") || "";
    state.sort = p.get("sort") || "";
    const sel = p.get("sel");
    return { sel: sel === null ? null : sel.split(",").filter(Boolean), run: p.get("run") };
  }

  /** Writes the view into the URL without reloading (replaceState: no history entry per tick). */
  function saveUrl() {
    if (SNAP) return;
    const p = new URLSearchParams();
    if (state.query) p.set("q", state.query);
    if (state.sort) p.set("sort", state.sort);
    // Thousands of ticked ids would make an address too long to share: then the link leaves them out.
    if (state.selected.size <= MAX_LINKED) p.set("sel", [...state.selected].join(","));
    if (state.focus) p.set("run", state.focus);
    const url = window.location.pathname + "?" + p.toString().replace(/%2C/g, ",");
    if (url !== window.location.pathname + window.location.search) window.history.replaceState(null, "", url);
  }

  Object.assign(RT, { readUrl, saveUrl });
})(window.RT = window.RT || {});
