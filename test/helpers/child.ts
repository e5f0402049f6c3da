import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Spawns `node --import tsx <script> …args` from the repository root. */
export function spawnTs(script: string, args: string[]): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", script, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
}

/** Resolves with the child's stdout once it contains `marker`. */
export function waitForOutput(child: ChildProcess, marker: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes(marker)) resolve(out);
    });
    child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    child.on("exit", (code, signal) => {
      if (!out.includes(marker)) reject(new Error(`child exited (${code ?? signal}) before "${marker}": ${err}`));
    });
  });
}

/** Resolves when the child exits, with its code, signal and stderr. */
export function waitForExit(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode, stderr });
    child.on("exit", (code, signal) => resolve({ code, signal, stderr }));
  });
}
