import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const CHILD = join(ROOT, "test/fixtures/context-child.ts");
const TSX = pathToFileURL(join(ROOT, "node_modules/tsx/dist/loader.mjs")).href;

/** Spawns the context fixture (absolute tsx loader, so `cwd` may be any folder). */
export function spawnContextChild(mode: "print" | "heavy", opts: Record<string, unknown>, spawnOpts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): ChildProcess {
  return spawn(process.execPath, ["--import", TSX, CHILD, mode, JSON.stringify(opts)], {
    cwd: spawnOpts.cwd ?? ROOT,
    env: spawnOpts.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Runs a child to its end and returns its exact stdout and stderr bytes. */
export function runToEnd(child: ChildProcess): Promise<{ stdout: Buffer; stderr: Buffer; code: number | null }> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on("data", (d: Buffer) => out.push(d));
    child.stderr!.on("data", (d: Buffer) => err.push(d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err), code }));
  });
}

/** The run path printed as `done <path>` by the print mode. */
export function donePath(stdout: Buffer): string {
  const m = /done (\S+)\n/.exec(stdout.toString("utf8"));
  if (!m) throw new Error(`the child did not finish: ${stdout.toString("utf8").slice(-500)}`);
  return m[1]!;
}

/** Every record of `plxlogs/logs.jsonl` (the file starts with an empty line and never ends with one). */
export function readLogRecords(runPath: string): Array<{ timestamp: string; node: string; pod: string; container: string; value: string }> {
  const text = readFileSync(join(runPath, "plxlogs/logs.jsonl"), "utf8");
  return text
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as { timestamp: string; node: string; pod: string; container: string; value: string });
}
