// `import "runtrail"` must load none of the S3 store's code and no `@aws-sdk` module (the store
// is loaded by init({ store }), s3:// readers and the CLI only), and must patch no global: not
// globalThis, not the fs module, not process's signal or exit listeners. Checked in a fresh
// process on the sources (through tsx) and on the built bundles (ESM and CJS, chunks as shipped).
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Options } from "tsup";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import tsupConfig from "../../tsup.config.js";

const repo = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const probe = join(repo, "test/fixtures/import-probe.mjs");
const outDir = join(repo, "test-artifacts", `import-cost-${process.pid}`);

/** Strings that exist only in the store layer's code (src/store/errors.ts, src/store/s3-location.ts). */
const STORE_MARKERS = ['"RUNTRAIL_S3_AUTH"', '"RUNTRAIL_S3_LOCATION"', "RUNTRAIL_S3_FORCE_PATH_STYLE"];

interface Probe {
  loaded: string[];
  patched: string[];
}

function probeImport(mode: "esm" | "cjs", entry: string, viaTsx: boolean): Probe {
  const args = [...(viaTsx ? ["--import", "tsx"] : []), probe, mode, entry];
  return JSON.parse(execFileSync(process.execPath, args, { cwd: repo, encoding: "utf8" })) as Probe;
}

function localFiles(p: Probe): string[] {
  return p.loaded.map((u) => (u.startsWith("file://") ? fileURLToPath(u) : u)).filter((f) => f.startsWith(repo) && !f.includes("node_modules"));
}

function expectNoStoreNorSdk(p: Probe): void {
  expect(p.loaded.filter((u) => u.includes("@aws-sdk") || u.includes("@smithy"))).toEqual([]);
  for (const file of localFiles(p)) {
    const text = readFileSync(file, "utf8");
    for (const marker of STORE_MARKERS) expect(text.includes(marker), `${file} holds the store's ${marker}`).toBe(false);
  }
}

describe('import "runtrail" loads no store code, no AWS SDK, and patches no global', () => {
  beforeAll(async () => {
    // The shipped bundle layout (entries, splitting, externals) without declaration files.
    const config = tsupConfig as Options;
    await build({ ...config, dts: false, sourcemap: false, outDir, clean: true, silent: true, onSuccess: undefined });
  }, 300_000);
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it("the sources (src/index.ts)", () => {
    const p = probeImport("esm", join(repo, "src/index.ts"), true);
    expect(localFiles(p)).toContain(join(repo, "src/index.ts")); // the probe sees what is loaded
    expect(localFiles(p).filter((f) => f.includes(`${join(repo, "src/store")}/`))).toEqual([]);
    expectNoStoreNorSdk(p);
    expect(p.patched).toEqual([]);
  });

  it("the built ESM bundle", () => {
    const p = probeImport("esm", join(outDir, "index.js"), false);
    expect(localFiles(p)).toContain(join(outDir, "index.js"));
    expectNoStoreNorSdk(p);
    expect(p.patched).toEqual([]);
  });

  it("the built CJS bundle", () => {
    const p = probeImport("cjs", join(outDir, "index.cjs"), false);
    expect(localFiles(p)).toContain(join(outDir, "index.cjs"));
    expectNoStoreNorSdk(p);
    expect(p.patched).toEqual([]);
  });

  it("the probe does see the store and the SDK when they are loaded (runtrail/s3 + a client)", () => {
    const p = probeImport("esm", join(repo, "test/fixtures/import-probe-s3.ts"), true);
    expect(localFiles(p).some((f) => f.includes(`${join(repo, "src/store")}/`))).toBe(true);
    expect(p.loaded.some((u) => u.includes("@aws-sdk/client-s3"))).toBe(true);
  });
});
