import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadRun, Run } from "../../src/index.js";
import { readCodeRef, stripCredentials } from "../../src/core/context/coderef.js";
import { donePath, runToEnd, spawnContextChild } from "./helpers.js";
import { useTmp } from "../helpers/tmp.js";

const tmp = useTmp();
const quiet = { collectLogs: false, collectResources: false };

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com" } }).trim();
}

function makeRepo(dir: string, remote: string): string {
  git(dir, "init", "-q", "-b", "trunk");
  writeFileSync(join(dir, "train.ts"), "console.log(1)\n");
  git(dir, "add", "train.ts");
  git(dir, "commit", "-q", "-m", "first");
  git(dir, "remote", "add", "origin", remote);
  return git(dir, "rev-parse", "HEAD");
}

describe("code reference (real git repository in a temp folder)", () => {
  it("records one coderef lineage record named by `git rev-parse HEAD`, credentials stripped", async () => {
    const repo = tmp();
    const head = makeRepo(repo, "https://alice:ghp_secret123@github.com/acme/model.git");
    const res = await runToEnd(spawnContextChild("print", { offlineRoot: join(repo, "plx"), ...quiet }, { cwd: repo }));
    expect(res.code).toBe(0);
    const run = donePath(res.stdout);
    const { lineage } = await loadRun(run);
    const refs = lineage.filter((r) => r.kind === "coderef");
    expect(refs).toEqual([
      { name: head, kind: "coderef", summary: { commit: head, branch: "trunk", url: "https://github.com/acme/model.git", is_dirty: false }, is_input: true },
    ]);
    // The run folder (plx/) is untracked, so it does not make the tree dirty.
    expect(readFileSync(join(run, "lineages.plx.json"), "utf8")).not.toContain("ghp_secret123");
  });

  it("is_dirty follows tracked changes; not a repository or no git binary: nothing written, nothing fails", async () => {
    const repo = tmp();
    const head = makeRepo(repo, "git@github.com:acme/model.git");
    expect(await readCodeRef(repo)).toEqual({ commit: head, branch: "trunk", url: "git@github.com:acme/model.git", is_dirty: false });
    writeFileSync(join(repo, "train.ts"), "console.log(2)\n");
    expect((await readCodeRef(repo))!.is_dirty).toBe(true);

    const plain = tmp();
    expect(await readCodeRef(plain)).toBeUndefined();
    const inPlain = await runToEnd(spawnContextChild("print", { offlineRoot: join(plain, "plx"), ...quiet }, { cwd: plain }));
    expect(inPlain.code).toBe(0);
    expect((await loadRun(donePath(inPlain.stdout))).lineage.filter((r) => r.kind === "coderef")).toEqual([]);

    // No git on the PATH (node itself is started by its absolute path).
    const noGit = await runToEnd(spawnContextChild("print", { offlineRoot: join(repo, "plx"), ...quiet }, { cwd: repo, env: { ...process.env, PATH: join(plain, "empty-bin") } }));
    expect(noGit.code).toBe(0);
    expect((await loadRun(donePath(noGit.stdout))).lineage.filter((r) => r.kind === "coderef")).toEqual([]);
  });

  it("trackCode: false writes no coderef; logCodeRef(codeRef) records what it is given", async () => {
    const repo = tmp();
    makeRepo(repo, "https://github.com/acme/model.git");
    const res = await runToEnd(spawnContextChild("print", { offlineRoot: join(repo, "plx"), ...quiet, trackCode: false }, { cwd: repo }));
    expect((await loadRun(donePath(res.stdout))).lineage.filter((r) => r.kind === "coderef")).toEqual([]);

    const run = new Run({ offlineRoot: tmp(), ...quiet, trackCode: false, trackEnv: false, handleExit: false });
    const rec = await run.logCodeRef({ commit: "abc123", branch: "main", url: "https://tok@example.com/r.git", is_dirty: false });
    expect(rec).toEqual({ name: "abc123", kind: "coderef", summary: { commit: "abc123", branch: "main", url: "https://example.com/r.git", is_dirty: false }, is_input: true });
    expect(await run.logCodeRef({ branch: "no commit" })).toBeUndefined();
    await run.end();
    expect((await loadRun(run.artifactsPath)).lineage.filter((r) => r.kind === "coderef").map((r) => r.name)).toEqual(["abc123"]);
  });

  it("stripCredentials removes http(s) user info and ssh passwords only", () => {
    expect(stripCredentials("https://user:token@github.com/a/b.git")).toBe("https://github.com/a/b.git");
    expect(stripCredentials("https://x-access-token@github.com/a/b.git")).toBe("https://github.com/a/b.git");
    expect(stripCredentials("ssh://git:pw@host/a.git")).toBe("ssh://git@host/a.git");
    expect(stripCredentials("git@github.com:a/b.git")).toBe("git@github.com:a/b.git");
    expect(stripCredentials("/srv/repos/b.git")).toBe("/srv/repos/b.git");
  });
});

describe("environment (outputs/env.json)", () => {
  it("exists with Node's facts and an env lineage reference, and holds no environment variable", async () => {
    const dir = tmp();
    const secret = "s3cr3t-value-that-must-not-leak-0x5f3759df";
    const res = await runToEnd(spawnContextChild("print", { offlineRoot: dir, ...quiet, trackCode: false }, { env: { ...process.env, RUNTRAIL_TEST_SECRET: secret, AWS_SECRET_ACCESS_KEY: secret } }));
    expect(res.code).toBe(0);
    const run = donePath(res.stdout);
    const text = readFileSync(join(run, "outputs/env.json"), "utf8");
    expect(text).not.toContain(secret);
    expect(text).not.toContain("RUNTRAIL_TEST_SECRET");
    expect(text).not.toContain(process.env.PATH!);
    const env = JSON.parse(text) as Record<string, unknown>;
    expect(env).toMatchObject({ node_version: process.versions.node, v8_version: process.versions.v8, platform: process.platform, arch: process.arch });
    expect(env.cpu_count).toBeGreaterThan(0);
    expect(env.total_memory).toBeGreaterThan(0);
    expect((env["sys.argv"] as string[]).some((a) => a.endsWith("context-child.ts"))).toBe(true);
    expect((env.packages as Record<string, string>).runtrail).toMatch(/^\d+\.\d+\.\d+/);
    expect(Object.keys(env)).not.toContain("env");
    const { lineage } = await loadRun(run);
    const rec = lineage.find((r) => r.kind === "env")!;
    expect(rec).toMatchObject({ name: "env", kind: "env", path: "outputs/env.json", is_input: false });
    expect(rec.summary).toEqual({ path: join(run, "outputs/env.json"), hash: expect.stringMatching(/^[0-9a-f]{12}$/) });
  });

  it("records tfjs and onnxruntime-node versions when the process has loaded them; trackEnv: false writes nothing", async () => {
    await import("@tensorflow/tfjs");
    await import("onnxruntime-node");
    const run = new Run({ offlineRoot: tmp(), ...quiet, trackCode: false, handleExit: false });
    const env = JSON.parse(readFileSync(join(run.artifactsPath, "outputs/env.json"), "utf8")) as { packages: Record<string, string> };
    expect(Object.keys(env.packages)).toEqual(expect.arrayContaining(["runtrail", "@tensorflow/tfjs", "@tensorflow/tfjs-core", "onnxruntime-node"]));
    await run.end();

    const off = new Run({ offlineRoot: tmp(), ...quiet, trackCode: false, trackEnv: false, handleExit: false });
    await off.end();
    expect(existsSync(join(off.artifactsPath, "outputs/env.json"))).toBe(false);
    expect((await loadRun(off.artifactsPath)).lineage.filter((r) => r.kind === "env")).toEqual([]);
  });
});

describe("progress, tags, name, description in run.plx.json", () => {
  it("are written at once", async () => {
    const run = new Run({ offlineRoot: tmp(), ...quiet, trackCode: false, trackEnv: false, handleExit: false, tags: ["base"] });
    const meta = (): Record<string, unknown> => JSON.parse(readFileSync(join(run.artifactsPath, "run.plx.json"), "utf8")) as Record<string, unknown>;
    run.logProgress(0.5);
    expect((meta().meta_info as { progress: number }).progress).toBe(0.5);
    run.logProgress(1);
    expect((meta().meta_info as { progress: number }).progress).toBe(1);
    expect(() => run.logProgress(1.5)).toThrow(/from 0 to 1/);
    run.logTags(["a", "base"]);
    expect(meta().tags).toEqual(["base", "a"]);
    run.logTags("only", { reset: true });
    expect(meta().tags).toEqual(["only"]);
    run.setName("renamed");
    run.setDescription("what it is");
    expect(meta()).toMatchObject({ name: "renamed", description: "what it is" });
    await run.end();
  });
});
