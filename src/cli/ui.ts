import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { ArtifactNotFoundError } from "../core/errors.js";
import { startDashboard } from "../ui/server.js";
import { UsageError, defaultRoot, parseCommand } from "./args.js";

export const UI_USAGE = `runtrail ui [root] [--port <n>] [--host <h>]

Serve the local dashboard (read-only) for the runs under root (default: $POLYAXON_OFFLINE_ROOT
or ./plx). It listens on 127.0.0.1 only unless --host says otherwise; it has no authentication.

  --port <n>   port to listen on (default 5577; 0 picks a free one)
  --host <h>   interface to bind (default 127.0.0.1)`;

/** `runtrail ui`: starts the dashboard and resolves when it is closed (Ctrl+C). Returns the exit code. */
export async function runUi(argv: string[], out: (s: string) => void = console.log): Promise<number> {
  const { values, positionals } = parseCommand("ui", argv, { port: { type: "string", short: "p" }, host: { type: "string" } }, 1);
  const portText = (values.port as string | undefined) ?? "5577";
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) throw new UsageError(`ui: --port must be a number from 0 to 65535, got ${JSON.stringify(portText)}`);
  const root = resolve(positionals[0] ?? defaultRoot());
  if (!existsSync(root)) throw new ArtifactNotFoundError(`the runs root ${root} does not exist (pass a folder: runtrail ui <root>).`, root);
  const host = (values.host as string | undefined) ?? "127.0.0.1";
  let dash;
  try {
    dash = await startDashboard({ root, port: Number(portText), host });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") throw new UsageError(`ui: port ${portText} is already in use; pick another with --port`);
    if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND") throw new UsageError(`ui: cannot listen on host ${host}`);
    throw err;
  }
  out(`runtrail dashboard: ${dash.url}  (runs in ${root}; Ctrl+C to stop)`);
  if (!["127.0.0.1", "localhost", "::1"].includes(host)) {
    out(`warning: listening on ${host}, so other machines can reach it; the dashboard has no authentication.`);
  }
  await new Promise<void>((done) => {
    const stop = (): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      dash.close().then(done, done);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  return 0;
}
