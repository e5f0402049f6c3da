// pino's test/smoke idea: build and pack the real tarball, install it into an empty project with
// NO optional peers, and check that the core imports (ESM and CJS) and each adapter fails with a
// named error that gives the install command.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildLinearRelu } from "../fixtures/onnx-builder.js";

const repo = resolve(".");
let project = "";

function node(code: string, type: "module" | "commonjs"): string {
  const file = join(project, type === "module" ? "check.mjs" : "check.cjs");
  writeFileSync(file, code);
  return execFileSync(process.execPath, [file], { cwd: project, encoding: "utf8" });
}

describe("the packed package without optional peers", () => {
  beforeAll(() => {
    project = mkdtempSync(join(tmpdir(), "runtrail-smoke-"));
    execFileSync("npx", ["tsup", "--silent"], { cwd: repo, stdio: "ignore" });
    execFileSync("npm", ["pack", "--pack-destination", project, "--silent"], { cwd: repo, stdio: "ignore" });
    const tarball = readdirSync(project).find((f) => f.endsWith(".tgz"))!;
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "smoke", private: true, type: "module" }));
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--silent", join(project, tarball)], { cwd: project, stdio: "ignore" });
  }, 300_000);
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  it("installs no peer", () => {
    const installed = readdirSync(join(project, "node_modules"));
    expect(installed).toContain("runtrail");
    expect(installed).not.toContain("@tensorflow");
    expect(installed).not.toContain("onnxruntime-node");
    expect(installed).not.toContain("@aws-sdk");
  });

  it("imports the core from ESM and CJS and logs a run", () => {
    const esm = node(
      `import { init, readEvents } from "runtrail";
       const run = await init({ offlineRoot: "./plx", handleExit: false });
       run.logMetric("loss", 0.5, { step: 1 });
       await run.end();
       console.log(JSON.stringify(await readEvents(run.artifactsPath, "metric", "loss")));`,
      "module",
    );
    expect(JSON.parse(esm)[0].value).toBe(0.5);
    const cjs = node(`const { tracking, V1ArtifactKind } = require("runtrail"); console.log(typeof tracking.init, V1ArtifactKind.MODEL);`, "commonjs");
    expect(cjs.trim()).toBe("function model");
  });

  it("each adapter subpath imports, and using it without its peer names the install command", () => {
    writeFileSync(join(project, "model.onnx"), buildLinearRelu().bytes);
    const out = node(
      `import { TrackingCallback } from "runtrail/tfjs";
       import { inspectOnnx } from "runtrail/onnx";
       import { CheckpointHook } from "runtrail/checkpoint";
       import { init } from "runtrail";
       await init({ offlineRoot: "./plx", handleExit: false });
       const errors = [];
       try { new TrackingCallback({}); } catch (e) { errors.push(e.code + " " + e.message); }
       try { await inspectOnnx("./model.onnx"); } catch (e) { errors.push(e.code + " " + e.message); }
       console.log(JSON.stringify({ errors, hook: typeof CheckpointHook }));`,
      "module",
    );
    const { errors, hook } = JSON.parse(out) as { errors: string[]; hook: string };
    expect(hook).toBe("function");
    expect(errors[0]).toMatch(/RUNTRAIL_MISSING_PEER .*npm install @tensorflow\/tfjs/);
    expect(errors[1]).toMatch(/RUNTRAIL_MISSING_PEER .*npm install onnxruntime-node/);
  });

  it("ships the runtrail command", () => {
    const out = execFileSync(join(project, "node_modules/.bin/runtrail"), ["--version"], { cwd: project, encoding: "utf8" });
    expect(out.trim()).toMatch(/\d+\.\d+\.\d+/);
  });
});
