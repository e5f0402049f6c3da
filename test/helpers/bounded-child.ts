// Child processes under a time bound: killed with SIGKILL when they overrun, so a hang fails a
// test instead of stalling the suite. Children print `START <op>` / `RESULT <op> <outcome>`
// lines (see test/fixtures/special-files-child.ts). No vitest import.
import type { ChildProcess } from "node:child_process";
import { spawnTs } from "./child.js";

/** What a bounded child printed, and whether it had to be killed. */
export interface ChildResult {
  /** `RESULT` lines: operation → `ok` or `<ErrorName> named|raw <message>`. */
  results: Map<string, string>;
  /** stdout and stderr, interleaved. */
  stdout: string;
  timedOut: boolean;
  code: number | null;
}

/** Spawns `node --import tsx <script> …args` and collects it, killing it after `boundMs`. */
export function runChild(script: string, args: string[], boundMs: number): Promise<ChildResult> {
  return collect(spawnTs(script, args), boundMs);
}

/** Collects a spawned child's output until it exits, killing it after `boundMs`. */
export function collect(child: ChildProcess, boundMs: number): Promise<ChildResult> {
  let stdout = "";
  let timedOut = false;
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stdout += d.toString()));
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, boundMs);
  return new Promise((resolve) => {
    child.on("exit", (code) => {
      clearTimeout(timer);
      const results = new Map<string, string>();
      for (const line of stdout.split("\n")) {
        const m = /^RESULT (.+?) (ok|\S+ (?:named|raw).*)$/.exec(line);
        if (m) results.set(m[1]!, m[2]!);
      }
      resolve({ results, stdout, timedOut, code });
    });
  });
}

/** The operations started and not finished: what hung. */
export function hungAt(stdout: string): string {
  const started = [...stdout.matchAll(/^START (.+)$/gm)].map((m) => m[1]!);
  const done = new Set([...stdout.matchAll(/^RESULT (.+?) /gm)].map((m) => m[1]!));
  return started.filter((s) => !done.has(s)).join(", ") || "(between operations)";
}
