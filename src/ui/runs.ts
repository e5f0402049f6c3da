import { basename } from "node:path";
import { readRunDetail, type RunDetail } from "../core/read/detail.js";
import { listRunsIn, type ListRunsOptions } from "../core/read/list-runs.js";
import type { RunSummary } from "../core/read/summary.js";
import type { RootJail } from "./paths.js";

/** A run as the dashboard's API answers it: the read side's object plus its folder name, which URLs use. */
export type ApiRun<T extends RunSummary = RunSummary> = T & { id: string };

/** `GET /api/runs`: the runs under the jail's root, as `listRuns` gives them. */
export async function apiRuns(jail: RootJail, opts: ListRunsOptions): Promise<ApiRun[]> {
  return (await listRunsIn(jail.realRoot, opts)).map((r) => ({ id: basename(r.path), ...r }));
}

/** `GET /api/runs/<id>`: one run's detail, after checking that none of its files leads outside the root. */
export async function apiRunDetail(jail: RootJail, id: string): Promise<ApiRun<RunDetail>> {
  const runDir = jail.runDir(id);
  jail.checkRunFiles(runDir);
  return { id, ...(await readRunDetail(jail.realRoot, basename(runDir))) };
}
