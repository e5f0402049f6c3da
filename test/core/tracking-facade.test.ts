// The `tracking` facade carries Run's public methods and nothing else: TypeScript's `private`
// methods live on the prototype too, and must not be reachable as tracking.finalize() & co.
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { init, NoActiveRunError, readEvents, Run, tracking } from "../../src/index.js";
import { setDefaultRun } from "../../src/core/tracking.js";
import { useTmp } from "../helpers/tmp.js";

/** Run's methods as its source declares them: `private name(` vs. public ones (not `_internal`). */
function declaredMethods(): { privates: string[]; publics: string[] } {
  const src = readFileSync(new URL("../../src/core/run.ts", import.meta.url), "utf8");
  const privates = [...src.matchAll(/^ {2}private (?:async )?(\w+)(?:<[^>]*>)?\(/gm)].map((m) => m[1]!);
  const protoMethods = Object.getOwnPropertyNames(Run.prototype).filter((k) => k !== "constructor" && typeof Object.getOwnPropertyDescriptor(Run.prototype, k)?.value === "function");
  return { privates, publics: protoMethods.filter((k) => !privates.includes(k) && !k.startsWith("_")) };
}

describe("tracking facade", () => {
  const tmp = useTmp();
  afterEach(() => setDefaultRun(undefined));

  it("exposes every public Run method and no private or internal one", () => {
    const { privates, publics } = declaredMethods();
    expect(privates).toEqual(expect.arrayContaining(["finalize", "finishSync", "track", "settle", "assertLive"]));
    expect(publics.length).toBeGreaterThan(15);
    const facadeMethods = Object.keys(tracking).filter((k) => typeof Object.getOwnPropertyDescriptor(tracking, k)?.value === "function" && k !== "init");
    expect(facadeMethods.sort()).toEqual([...publics].sort());
    for (const p of [...privates, "_stagingPath", "_versions", "_lineage"]) expect(p in tracking, `tracking.${p}`).toBe(false);
    expect(Object.isFrozen(tracking)).toBe(true);
  });

  it("logs to the default run, and says so before init()", async () => {
    expect(() => tracking.logMetric("loss", 1, { step: 0 })).toThrow(NoActiveRunError);
    const run = await init({ offlineRoot: tmp(), handleExit: false });
    tracking.logMetric("loss", 0.5, { step: 1 });
    expect(tracking.getOutputsPath("x.txt")).toBe(run.getOutputsPath("x.txt"));
    await tracking.end();
    expect(run.isEnded).toBe(true);
    expect((await readEvents(run.artifactsPath, "metric", "loss")).map((r) => r.value)).toEqual([0.5]);
  });
});
