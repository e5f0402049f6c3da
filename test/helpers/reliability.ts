// Shared by the reliability suite and its child-process fixtures: self-checking payloads, a
// crash-safe progress side channel, an independent run-consistency checker, tree snapshots,
// and fast child processes (fixtures bundled once with esbuild instead of compiled per spawn).
// No vitest import here: fixtures bundle this file.
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeSync,
  type Stats,
} from "node:fs";
import { writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { loadRun, parseEvents, readEvents } from "../../src/index.js";

export const REPO = fileURLToPath(new URL("../..", import.meta.url));

// ---------------------------------------------------------------- self-checking payloads

const SELF_MAGIC = "RTSELF1 ";

/** Deterministic bytes that carry their own length and md5, so a cut or mixed copy is detectable. */
export function selfCheckingBytes(seed: number, size: number): Buffer {
  const body = Buffer.alloc(size);
  let a = (seed ^ 0x5bd1e995) >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    a ^= a << 13;
    a ^= a >>> 17;
    a ^= a << 5;
    a >>>= 0;
    body[i] = a & 255;
  }
  const md5 = createHash("md5").update(body).digest("hex");
  return Buffer.concat([Buffer.from(`${SELF_MAGIC}${size} ${md5}\n`), body]);
}

/** undefined when `buf` is a whole self-checking payload, else what is wrong. */
export function selfCheckProblem(buf: Buffer): string | undefined {
  const nl = buf.indexOf(10);
  if (nl < 0 || !buf.subarray(0, SELF_MAGIC.length).equals(Buffer.from(SELF_MAGIC))) return "not a self-checking payload (cut header?)";
  const [size, md5] = buf.subarray(SELF_MAGIC.length, nl).toString().split(" ");
  const body = buf.subarray(nl + 1);
  if (body.length !== Number(size)) return `has ${body.length} of ${size} bytes`;
  if (createHash("md5").update(body).digest("hex") !== md5) return "content does not match its md5";
  return undefined;
}

/** A checkpoint folder as the fixtures write it: self-checking files, then `manifest.json` last. */
export async function writeCheckpointDir(dir: string, seed: number, sizes: Record<string, number> = { "weights.bin": 4096 }): Promise<void> {
  for (const [name, size] of Object.entries(sizes)) await writeFile(join(dir, name), selfCheckingBytes(seed + name.length * 1e6, size));
  await writeFile(join(dir, "manifest.json"), JSON.stringify({ seed, files: Object.keys(sizes) }));
}

// ---------------------------------------------------------------- progress side channel

/** Appends `<step> <epoch ms>\n` with one write(2); a kill can only cut the last line, which readers ignore. */
export function reportProgress(fd: number, step: number): void {
  writeSync(fd, `${step} ${Date.now()}\n`);
}

/** The complete lines of a progress file. */
export function readProgress(file: string): Array<{ step: number; ms: number }> {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, "utf8");
  const end = text.lastIndexOf("\n");
  if (end < 0) return [];
  return text
    .slice(0, end)
    .split("\n")
    .map((l) => l.split(" ").map(Number) as [number, number])
    .map(([step, ms]) => ({ step, ms }));
}

// ---------------------------------------------------------------- hashing (independent of src/)

function filesSorted(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = lstatSync(p);
    if (st.isDirectory()) out.push(...filesSorted(p));
    else if (st.isFile()) out.push(p);
  }
  return out;
}

/** md5 (12 hex) of a file, or of every file of a folder in sorted path order. */
export function hash12(path: string): string {
  const h = createHash("md5");
  const files = statSync(path).isDirectory() ? filesSorted(path) : [path];
  for (const f of files) h.update(readFileSync(f));
  return h.digest("hex").slice(0, 12);
}

// ---------------------------------------------------------------- asset validation

/**
 * Whether an asset is complete. Folders written by the fixtures hold self-checking files and a
 * `manifest.json` written last; tfjs checkpoints hold `model.json` and the weights it lists;
 * files written by the fixtures are self-checking. Anything else is "unverifiable" (not a problem).
 */
export function assetProblem(path: string): string | undefined | "unverifiable" {
  const st = statSync(path);
  if (st.isDirectory()) {
    const names = readdirSync(path);
    if (names.includes("manifest.json")) {
      const manifest = JSON.parse(readFileSync(join(path, "manifest.json"), "utf8")) as { files: string[] };
      for (const f of manifest.files) {
        if (!existsSync(join(path, f))) return `${f} listed in manifest.json is missing`;
        const p = selfCheckProblem(readFileSync(join(path, f)));
        if (p) return `${f}: ${p}`;
      }
      const extra = names.filter((n) => n !== "manifest.json" && !manifest.files.includes(n));
      return extra.length ? `files not in manifest.json: ${extra.join(", ")}` : undefined;
    }
    if (names.includes("model.json")) return tfjsProblem(path);
    if (names.some((n) => n.endsWith(".bin"))) return "a checkpoint folder without its manifest.json / model.json (incomplete)";
    return "unverifiable";
  }
  const buf = readFileSync(path);
  if (buf.subarray(0, 6).toString() === "RTSELF") return selfCheckProblem(buf);
  return "unverifiable";
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, string: 0 };

function tfjsProblem(dir: string): string | undefined {
  let model: { weightsManifest?: Array<{ paths: string[]; weights: Array<{ shape: number[]; dtype: string }> }> };
  try {
    model = JSON.parse(readFileSync(join(dir, "model.json"), "utf8"));
  } catch (err) {
    return `model.json does not parse: ${(err as Error).message}`;
  }
  for (const group of model.weightsManifest ?? []) {
    let expected = 0;
    for (const w of group.weights) expected += (DTYPE_BYTES[w.dtype] ?? 4) * w.shape.reduce((a, b) => a * b, 1);
    let actual = 0;
    for (const p of group.paths) {
      if (!existsSync(join(dir, p))) return `weights file ${p} is missing`;
      actual += statSync(join(dir, p)).size;
    }
    if (actual !== expected) return `weights hold ${actual} bytes, model.json describes ${expected}`;
  }
  return undefined;
}

// ---------------------------------------------------------------- run consistency

export interface RunReport {
  streams: number;
  rows: number;
  cutTails: number;
  lineageRecords: number;
  versionsChecked: number;
  assetsChecked: number;
  orphanAssets: number;
  tempLeftovers: number;
  problems: string[];
}

const URL_RE = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//;

function insideRun(runPath: string, p: string): string | undefined {
  if (URL_RE.test(p)) return undefined;
  const abs = isAbsolute(p) ? p : resolve(runPath, p);
  const rel = relative(runPath, abs);
  return rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel) ? undefined : abs;
}

/**
 * Checks a run folder the way a reader would, without trusting runtrail's own bookkeeping:
 * metadata and lineage parse; every event file parses with `readEvents` (a cut last row is
 * counted, not a problem); every lineage entry that names something inside the run points at
 * a complete file whose hash matches (`summary.hash`, `latest.hash`), and `best` / `versions`
 * name versions still on disk; every asset on disk is complete.
 */
export async function checkRun(runPath: string): Promise<RunReport> {
  const r: RunReport = { streams: 0, rows: 0, cutTails: 0, lineageRecords: 0, versionsChecked: 0, assetsChecked: 0, orphanAssets: 0, tempLeftovers: 0, problems: [] };
  const problem = (msg: string): void => void r.problems.push(msg);
  let run: Awaited<ReturnType<typeof loadRun>>;
  try {
    run = await loadRun(runPath);
  } catch (err) {
    problem(`loadRun: ${(err as Error).message}`);
    return r;
  }
  if (!Array.isArray(run.lineage)) problem("lineages.plx.json is not an array");

  const rowPaths = new Map<string, Map<number, string>>(); // stream → step → asset path (last row wins)
  const referenced = new Set<string>();
  for (const s of run.streams) {
    r.streams++;
    try {
      const rows = await readEvents(runPath, s.kind, s.name);
      r.rows += rows.length;
      const file = join(runPath, "events", s.kind, `${s.name}.plx`);
      if (parseEvents(s.kind, readFileSync(file, "utf8"), file).cutTail) r.cutTails++;
      const steps = new Map<number, string>();
      for (const row of rows) {
        const v = row.value as { path?: unknown } | null;
        if (v && typeof v === "object" && typeof v.path === "string") {
          referenced.add(v.path);
          if (row.step !== null) steps.set(row.step, v.path);
        }
      }
      rowPaths.set(`${s.kind}/${s.name}`, steps);
    } catch (err) {
      problem(`events/${s.kind}/${s.name}.plx: ${(err as Error).message}`);
    }
  }

  const checkFile = (what: string, p: string, hash?: unknown): void => {
    const abs = insideRun(runPath, p);
    if (!abs) return;
    referenced.add(relative(runPath, abs).split(sep).join("/"));
    if (!existsSync(abs)) return problem(`${what}: ${p} does not exist`);
    const bad = assetProblem(abs);
    if (bad && bad !== "unverifiable") problem(`${what}: ${p} is incomplete: ${bad}`);
    if (typeof hash === "string" && hash12(abs) !== hash) problem(`${what}: ${p} has hash ${hash12(abs)}, lineage says ${hash}`);
    r.versionsChecked++;
  };

  for (const rec of run.lineage ?? []) {
    r.lineageRecords++;
    const what = `lineage ${rec.kind}/${rec.name}`;
    const s = (rec.summary ?? {}) as Record<string, any>;
    const isStream = typeof rec.path === "string" && /^(events|resources)\/[^/]+\/[^/]+\.plx$/.test(rec.path);
    // A record runtrail hashed itself (an output it moved or copied, a reference to a local file):
    // `summary.path` is absolute, and if it is inside the run the file must match the hash.
    if (!isStream && typeof s.path === "string" && isAbsolute(s.path) && typeof s.hash === "string") checkFile(what, s.path, s.hash);
    if (isStream && !existsSync(join(runPath, rec.path!))) problem(`${what}: ${rec.path} does not exist`);
    if (s.latest) checkFile(`${what} latest`, s.latest.path, s.latest.hash);
    if (s.best) checkFile(`${what} best`, s.best.path);
    if (Array.isArray(s.versions)) {
      const steps = rowPaths.get(`${rec.kind}/${rec.name}`) ?? new Map<number, string>();
      for (const step of s.versions as number[]) {
        const p = steps.get(step);
        if (p === undefined) problem(`${what}: version ${step} has no event row`);
        else checkFile(`${what} version ${step}`, p);
      }
    }
  }

  const assets = join(runPath, "assets");
  if (existsSync(assets)) {
    for (const kind of readdirSync(assets)) {
      for (const name of readdirSync(join(assets, kind))) {
        const rel = `assets/${kind}/${name}`;
        r.assetsChecked++;
        const bad = assetProblem(join(assets, kind, name));
        if (bad && bad !== "unverifiable") problem(`${rel} is incomplete: ${bad}`);
        if (!referenced.has(rel)) r.orphanAssets++;
      }
    }
  }
  const outputs = join(runPath, "outputs");
  if (existsSync(outputs)) {
    for (const f of filesSorted(outputs)) {
      const bad = assetProblem(f);
      if (bad && bad !== "unverifiable") problem(`${relative(runPath, f)} is incomplete: ${bad}`);
    }
  }
  r.tempLeftovers = readdirSync(runPath).filter((n) => n.endsWith(".tmp")).length;
  return r;
}

// ---------------------------------------------------------------- tree snapshots

/** Every path below `dir` (relative) with its type and size: to prove nothing was written outside a run. */
export function snapshotTree(dir: string, skip?: (rel: string) => boolean): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const rel = relative(dir, p);
      if (skip?.(rel)) continue;
      const st: Stats = lstatSync(p);
      out.set(rel, st.isDirectory() ? "dir" : st.isSymbolicLink() ? "link" : `file:${st.size}:${st.mtimeMs}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

/** Paths added, removed or changed between two snapshots. */
export function treeDiff(before: Map<string, string>, after: Map<string, string>): string[] {
  const diff: string[] = [];
  for (const [k, v] of after) if (before.get(k) !== v) diff.push(`${before.has(k) ? "changed" : "added"} ${k}`);
  for (const k of before.keys()) if (!after.has(k)) diff.push(`removed ${k}`);
  return diff;
}

// ---------------------------------------------------------------- fast child processes

let bundleDir: string | undefined;
const bundles = new Map<string, string>();

function bundleRoot(): string {
  if (!bundleDir) {
    bundleDir = mkdtempSync(join(tmpdir(), "runtrail-rel-bundle-"));
    // Bundles keep npm packages external; this link lets them resolve from the repository.
    symlinkSync(join(REPO, "node_modules"), join(bundleDir, "node_modules"));
  }
  return bundleDir;
}

/** Removes the bundled fixtures (call from `afterAll`: test workers may end without an exit event). */
export function removeBundles(): void {
  if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
  bundleDir = undefined;
  bundles.clear();
}

/**
 * A fixture (path relative to the repo) bundled into one ESM file, so each spawn starts in
 * plain Node instead of compiling TypeScript again. Falls back to tsx when esbuild cannot be loaded.
 */
export async function fixtureCommand(script: string): Promise<{ path: string; tsx: boolean }> {
  const cached = bundles.get(script);
  if (cached) return { path: cached, tsx: false };
  let esbuild: { build: (o: Record<string, unknown>) => Promise<unknown> };
  try {
    esbuild = createRequire(join(REPO, "package.json"))("esbuild");
  } catch {
    return { path: join(REPO, script), tsx: true };
  }
  const out = join(bundleRoot(), script.replace(/[\\/]/g, "_").replace(/\.ts$/, ".mjs"));
  await esbuild.build({
    entryPoints: [join(REPO, script)],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    outfile: out,
    logLevel: "error",
  });
  bundles.set(script, out);
  return { path: out, tsx: false };
}

/** Spawns a fixture with stdout/stderr piped. `preload` (a fixture path) is loaded first with `--import`. */
export async function spawnFixture(script: string, args: string[], opts: { preload?: string; env?: NodeJS.ProcessEnv } = {}): Promise<ChildProcess> {
  const main = await fixtureCommand(script);
  const pre = opts.preload ? await fixtureCommand(opts.preload) : undefined;
  const nodeArgs: string[] = [];
  if (main.tsx || pre?.tsx) nodeArgs.push("--import", "tsx");
  if (pre) nodeArgs.push("--import", pathToFileURL(pre.path).href);
  return spawn(process.execPath, [...nodeArgs, main.path, ...args], {
    cwd: REPO,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...opts.env },
  });
}

/** Collects a child's output; `waitFor(re)` resolves with the first stdout line matching. */
export function watch(child: ChildProcess): {
  stdout: () => string;
  stderr: () => string;
  waitFor: (re: RegExp, timeoutMs?: number) => Promise<RegExpMatchArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
} {
  let out = "";
  let err = "";
  const waiters: Array<() => void> = [];
  child.stdout!.on("data", (d: Buffer) => {
    out += d.toString();
    for (const w of [...waiters]) w();
  });
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
    if (child.exitCode !== null || child.signalCode !== null) res({ code: child.exitCode, signal: child.signalCode });
    else child.on("exit", (code, signal) => res({ code, signal }));
  });
  const waitFor = (re: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> =>
    new Promise((res, rej) => {
      const check = (): boolean => {
        const m = out.match(re);
        if (m) {
          waiters.splice(waiters.indexOf(tryIt), 1);
          clearTimeout(timer);
          res(m);
          return true;
        }
        return false;
      };
      const tryIt = (): void => void check();
      waiters.push(tryIt);
      const timer = setTimeout(() => rej(new Error(`timed out waiting for ${re}; stdout: ${out.slice(-500)} stderr: ${err.slice(-2000)}`)), timeoutMs);
      void exited.then((e) => {
        if (!check()) {
          clearTimeout(timer);
          rej(new Error(`child exited (${e.code ?? e.signal}) before ${re}; stdout: ${out.slice(-500)} stderr: ${err.slice(-2000)}`));
        }
      });
      check();
    });
  return { stdout: () => out, stderr: () => err, waitFor, exited };
}
