/**
 * One process-wide place that finishes live runs when the process goes away: on a normal
 * exit (flush, then mark succeeded or failed by exit code), on an uncaught exception
 * (observed, never swallowed), and on SIGINT/SIGTERM/SIGHUP, where runs are flushed and
 * marked stopped and the signal is raised again so the process ends exactly as it would have
 * without runtrail — unless the program listens for that signal itself, in which case runs
 * are only flushed and the program decides what happens next.
 */
export interface ExitParticipant {
  /** Synchronously flush buffers and record the final status. Must not throw. */
  finishSync(status: "succeeded" | "failed" | "stopped", reason: string): void;
  /** Synchronously write buffered events. Must not throw. */
  flushSync(): void;
}

const participants = new Set<ExitParticipant>();
let installed = false;
let uncaught = false;
const SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

function finishAll(status: "succeeded" | "failed" | "stopped", reason: string): void {
  for (const p of [...participants]) p.finishSync(status, reason);
  participants.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) {
    // The program handles this signal itself and may keep logging: only make the data safe.
    for (const p of participants) p.flushSync();
    return;
  }
  finishAll("stopped", `Received ${signal}`);
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  process.kill(process.pid, signal);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on("exit", (code) => {
    if (uncaught || code !== 0) finishAll("failed", uncaught ? "Uncaught exception" : `Process exited with code ${code}`);
    else finishAll("succeeded", "Process exited");
  });
  process.on("uncaughtExceptionMonitor", () => {
    uncaught = true;
  });
  for (const s of SIGNALS) process.on(s, onSignal);
}

export function registerExitParticipant(p: ExitParticipant): void {
  install();
  participants.add(p);
}

export function unregisterExitParticipant(p: ExitParticipant): void {
  participants.delete(p);
}
