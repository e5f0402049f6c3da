import { parseArgs } from "node:util";
import { RuntrailError } from "../core/errors.js";
import { S3TransferAbortedError } from "../store/errors.js";
import { syncRun, type SyncProgress, type SyncReport } from "../store/sync.js";

/** Streams the command writes to (default: the process's own); injectable for tests. */
export interface SyncCommandIO {
  stdout: NodeJS.WritableStream;
  /** Progress goes here; a bar when it is a TTY, plain lines otherwise. */
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

const USAGE = `usage: runtrail sync <run-path> s3://bucket[/prefix] [options]

Sends a run folder to S3-compatible storage under <prefix>/<run uuid>/, incrementally:
unchanged files are skipped, large files go multipart, an interrupted sync resumes.

options:
  --endpoint URL        S3-compatible endpoint (default: env RUNTRAIL_S3_ENDPOINT, AWS_ENDPOINT_URL_S3, else AWS)
  --force-path-style    address buckets as <endpoint>/<bucket> (default: on when an endpoint is set)
  --region NAME         signing region (default: env AWS_REGION, else us-east-1 with an endpoint)
  --profile NAME        AWS profile for credentials (default: env AWS_PROFILE; else env keys)
  --concurrency N       requests in flight (default: 4)
  --part-size MIB       multipart part size in MiB, at least 5 (default: 8)
  --force               send every file again, ignoring what was sent before
  --no-delete           keep objects whose local file was deleted (default: delete them)
  --json                print the report as JSON on stdout
  -q, --quiet           no progress output
  -h, --help            this help

credentials: the standard AWS chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_PROFILE, ...).`;

/**
 * `runtrail sync <run-path> s3://bucket/prefix [options]`.
 *
 * @param argv the arguments after `sync`.
 * @returns the exit code: 0 done, 1 failed, 2 bad usage, 130 interrupted (Ctrl-C).
 */
export async function runSyncCommand(argv: string[], io: SyncCommandIO = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        endpoint: { type: "string" },
        "force-path-style": { type: "boolean" },
        region: { type: "string" },
        profile: { type: "string" },
        concurrency: { type: "string" },
        "part-size": { type: "string" },
        force: { type: "boolean" },
        "no-delete": { type: "boolean" },
        json: { type: "boolean" },
        quiet: { type: "boolean", short: "q" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    io.stderr.write(`runtrail sync: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values: v, positionals } = parsed;
  if (v.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [runPath, uri, ...extra] = positionals;
  if (!runPath || !uri || extra.length > 0 || !uri.startsWith("s3://")) {
    io.stderr.write(`runtrail sync: expected <run-path> and an s3:// location\n${USAGE}\n`);
    return 2;
  }
  const concurrency = v.concurrency === undefined ? undefined : Number(v.concurrency);
  const partMiB = v["part-size"] === undefined ? undefined : Number(v["part-size"]);

  const ctl = new AbortController();
  const onSigint = (): void => ctl.abort(new Error("interrupted (SIGINT)"));
  process.once("SIGINT", onSigint);
  const progress = v.quiet || v.json ? undefined : new ProgressView(io.stderr, runPath, uri);
  try {
    const report = await syncRun(runPath, uri, {
      ...(v.endpoint === undefined ? {} : { endpoint: v.endpoint }),
      ...(v["force-path-style"] ? { forcePathStyle: true } : {}),
      ...(v.region === undefined ? {} : { region: v.region }),
      ...(v.profile === undefined ? {} : { profile: v.profile }),
      ...(concurrency === undefined ? {} : { concurrency }),
      ...(partMiB === undefined ? {} : { partSizeBytes: Math.round(partMiB * 1024 * 1024) }),
      force: v.force ?? false,
      deleteRemoved: !v["no-delete"],
      signal: ctl.signal,
      ...(progress ? { onProgress: (p: SyncProgress) => progress.update(p) } : {}),
    });
    progress?.finish();
    io.stdout.write(v.json ? `${JSON.stringify(report)}\n` : `${summary(runPath, report)}\n`);
    return 0;
  } catch (err) {
    progress?.finish();
    if (err instanceof S3TransferAbortedError) {
      io.stderr.write("runtrail sync: interrupted; files sent so far are recorded, run the same command again to send the rest\n");
      return 130;
    }
    io.stderr.write(`runtrail sync: ${err instanceof RuntrailError ? err.message : String((err as Error)?.message ?? err)}\n`);
    return 1;
  } finally {
    process.removeListener("SIGINT", onSigint);
  }
}

function summary(runPath: string, r: SyncReport): string {
  const secs = r.durationMs / 1000;
  const parts = [
    `${r.filesSent} file${r.filesSent === 1 ? "" : "s"} sent (${mib(r.bytesSent)} MiB${r.bytesSent > 0 ? `, ${mib(r.bytesSent / Math.max(secs, 1e-3))} MiB/s` : ""})`,
    `${r.filesSkipped} unchanged`,
  ];
  if (r.filesMultipart > 0) parts.push(`${r.filesMultipart} multipart (${r.partsSent} parts)`);
  if (r.filesDeleted > 0) parts.push(`${r.filesDeleted} deleted`);
  if (r.filesChangedDuringSync > 0) parts.push(`${r.filesChangedDuringSync} changed while sending (sent again next time)`);
  if (r.uploadsAborted > 0) parts.push(`${r.uploadsAborted} interrupted upload(s) cleaned up`);
  if (r.ignored.length > 0) parts.push(`${r.ignored.length} not regular files, ignored`);
  return `synced ${runPath} -> ${r.uri}: ${parts.join(", ")} in ${secs.toFixed(1)} s`;
}

function mib(bytes: number): string {
  return (bytes / 1048576).toFixed(1);
}

/** A one-line progress bar on a TTY; on anything else, a plain line every few seconds. */
class ProgressView {
  private readonly tty: boolean;
  private readonly started = performance.now();
  private lastDraw = 0;
  private drawn = false;
  private announced = false;
  private completeShown = false;

  constructor(
    private readonly out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
    private readonly runPath: string,
    private readonly uri: string,
  ) {
    this.tty = out.isTTY === true;
  }

  update(p: SyncProgress): void {
    if (!this.announced) {
      this.announced = true;
      this.out.write(
        `syncing ${this.runPath} to ${this.uri}: ${p.filesTotal} file(s), ${mib(p.bytesTotal)} MiB to send, ${p.filesSkipped} unchanged\n`,
      );
      return;
    }
    const now = performance.now();
    if (p.filesSent >= p.filesTotal) {
      if (this.completeShown) return;
      this.completeShown = true;
    } else if (now - this.lastDraw < (this.tty ? 100 : 2000)) return;
    this.lastDraw = now;
    const rate = p.bytesSent / 1048576 / Math.max((now - this.started) / 1000, 1e-3);
    const frac = p.bytesTotal > 0 ? Math.min(1, p.bytesSent / p.bytesTotal) : 1;
    const stats = `${(frac * 100).toFixed(0).padStart(3)}% ${mib(p.bytesSent)}/${mib(p.bytesTotal)} MiB  ${p.filesSent}/${p.filesTotal} files  ${rate.toFixed(1)} MiB/s`;
    if (!this.tty) {
      this.out.write(`  ${stats}\n`);
      return;
    }
    const width = Math.max(10, Math.min(40, (this.out.columns ?? 80) - stats.length - 4));
    const full = Math.round(frac * width);
    this.out.write(`\r\x1b[K[${"#".repeat(full)}${"-".repeat(width - full)}] ${stats}`);
    this.drawn = true;
  }

  finish(): void {
    if (this.tty && this.drawn) this.out.write("\n");
  }
}
