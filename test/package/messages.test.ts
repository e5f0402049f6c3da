// What users read — error messages, warnings, CLI help — must not send them to a script of this
// repository (they installed a package, not a checkout). Scans every string in src/.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = fileURLToPath(new URL("../../src", import.meta.url));
const REPO_SCRIPT = /\bscripts\/[\w.-]+|\b[\w-]+\.sh\b/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : /\.(ts|js)$/.test(e.name) ? [join(dir, e.name)] : []));
}

/** The string and template literals of a file (comments left out: they are for developers). */
function literals(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  return [...code.matchAll(/"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`/g)].map((m) => m[0]);
}

describe("user-facing text", () => {
  it("names no script of this repository", () => {
    const files = sourceFiles(SRC);
    expect(files.length).toBeGreaterThan(50);
    const found = files.flatMap((f) => literals(readFileSync(f, "utf8")).filter((s) => REPO_SCRIPT.test(s)).map((s) => `${f.slice(SRC.length + 1)}: ${s}`));
    expect(found).toEqual([]);
  });

  it("the scan finds such a reference when there is one", () => {
    expect(literals('throw new Error(`start it with scripts/ceph-rgw-start.sh`); // ok scripts/x.sh').some((s) => REPO_SCRIPT.test(s))).toBe(true);
    expect(literals("// see scripts/setup-tests.sh\nconst a = 1;").some((s) => REPO_SCRIPT.test(s))).toBe(false);
  });
});
