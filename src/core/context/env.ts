import { arch, cpus, hostname, platform, release, totalmem, type as osType, userInfo } from "node:os";
import { join, sep } from "node:path";
import { readFileSync } from "node:fs";
import { VERSION } from "../../version.js";
import { localRequire } from "../builtins.js";

/** Packages whose versions matter to rerun an ML job, recorded when the process has loaded them. */
export const TRACKED_PACKAGES = [
  "@tensorflow/tfjs",
  "@tensorflow/tfjs-core",
  "@tensorflow/tfjs-layers",
  "@tensorflow/tfjs-node",
  "@tensorflow/tfjs-node-gpu",
  "@tensorflow/tfjs-backend-cpu",
  "@tensorflow/tfjs-backend-wasm",
  "@tensorflow/tfjs-backend-webgl",
  "@tensorflow/tfjs-backend-webgpu",
  "onnxruntime-node",
  "onnxruntime-common",
  "onnxruntime-web",
] as const;

/** The content of `outputs/env.json`. Never holds environment variables. */
export interface RunEnv {
  pid: number;
  hostname: string;
  os: string;
  system: string;
  user: string;
  node_version: string;
  v8_version: string;
  platform: string;
  arch: string;
  cpu_model: string;
  cpu_count: number;
  total_memory: number;
  "sys.argv": string[];
  filename: string | null;
  cwd: string;
  packages: Record<string, string>;
  tfjs_backend?: string;
}

/** The version of each tracked package that is loaded in this process (CommonJS module cache; tfjs and onnxruntime-node are CommonJS). */
export function loadedPackageVersions(): Record<string, string> {
  const out: Record<string, string> = { runtrail: VERSION };
  const cache = localRequire.cache;
  const roots = new Map<string, string>();
  for (const file of Object.keys(cache)) {
    for (const pkg of TRACKED_PACKAGES) {
      const marker = `${sep}node_modules${sep}${pkg.split("/").join(sep)}${sep}`;
      const at = file.lastIndexOf(marker);
      if (at >= 0 && !roots.has(pkg)) roots.set(pkg, file.slice(0, at + marker.length));
    }
  }
  for (const [pkg, root] of [...roots].sort(([a], [b]) => (a < b ? -1 : 1))) {
    try {
      const version = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version?: unknown }).version;
      if (typeof version === "string") out[pkg] = version;
    } catch {
      // A package without a readable package.json has no version to record.
    }
  }
  return out;
}

/** The active tfjs backend, when tfjs is loaded and one was chosen (tfjs keeps its engine on `globalThis._tfengine`). */
function tfjsBackend(): string | undefined {
  const engine = (globalThis as { _tfengine?: { backendName?: unknown } })._tfengine;
  try {
    const name = engine?.backendName;
    return typeof name === "string" ? name : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What a Node ML user needs to rerun a job (Polyaxon's `get_run_env`, with Node's facts instead
 * of Python's): host, OS, Node and V8 versions, CPU, memory, the command line, and the versions of
 * runtrail and of the ML packages this process has loaded. Environment variables are never read
 * into it — they hold credentials.
 */
export function collectRunEnv(): RunEnv {
  let user = "";
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers): leave the user empty.
  }
  const cpuList = cpus();
  const env: RunEnv = {
    pid: process.pid,
    hostname: hostname(),
    os: `${osType()} ${release()}`,
    system: osType(),
    user,
    node_version: process.versions.node,
    v8_version: process.versions.v8,
    platform: platform(),
    arch: arch(),
    cpu_model: cpuList[0]?.model.trim() ?? "",
    cpu_count: cpuList.length,
    total_memory: totalmem(),
    "sys.argv": [...process.argv],
    filename: process.argv[1] ?? null,
    cwd: process.cwd(),
    packages: loadedPackageVersions(),
  };
  const backend = tfjsBackend();
  if (backend) env.tfjs_backend = backend;
  return env;
}

