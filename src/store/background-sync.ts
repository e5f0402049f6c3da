import { RunWriteError } from "../core/errors.js";
import { createS3Store, type S3Store } from "./s3-client.js";
import type { S3StoreOptions } from "./s3-location.js";
import { S3SyncBusyError } from "./errors.js";
import { syncRun, type SyncReport } from "./sync.js";

/**
 * Keeps a live run's copy in object storage up to date, the way Polyaxon's sidecar does: the run
 * is written locally first and synced on an interval (incrementally: only new or changed files),
 * then once more, awaited, when the run ends. A failed round is reported once as a process
 * warning and retried on the next one; only the final sync's failure reaches the caller.
 */
export class BackgroundSync {
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<unknown> | undefined;
  private store: Promise<S3Store> | undefined;
  private warned = false;

  constructor(
    private readonly runPath: string,
    readonly uri: string,
    private readonly options: S3StoreOptions,
    intervalMs: number,
  ) {
    if (intervalMs > 0) {
      this.timer = setInterval(() => this.round(), intervalMs);
      this.timer.unref();
    }
  }

  /** Syncs once more after the run has ended, and releases the client. @throws the sync's error */
  async final(): Promise<SyncReport> {
    this.stop();
    await this.current?.catch(() => undefined);
    try {
      return await syncRun(this.runPath, this.uri, { store: await this.client() });
    } catch (err) {
      if (err instanceof Error && "code" in err) {
        (err as Error).message += ` The run is complete on local disk at ${this.runPath}; send it later with \`runtrail sync ${this.runPath} ${this.uri}\`.`;
        throw err;
      }
      throw new RunWriteError(`the final sync of ${this.runPath} to ${this.uri} failed: ${(err as Error).message}`, this.uri, err);
    } finally {
      (await this.store?.catch(() => undefined))?.destroy();
      this.store = undefined;
    }
  }

  /** Stops the timer (exit paths: the run stays local until the next `runtrail sync`). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private client(): Promise<S3Store> {
    this.store ??= createS3Store(this.options);
    return this.store;
  }

  private round(): void {
    if (this.current) return; // the previous round is still sending
    this.current = this.client()
      .then((store) => syncRun(this.runPath, this.uri, { store }))
      .catch((err: unknown) => {
        if (err instanceof S3SyncBusyError || this.warned) return;
        this.warned = true;
        process.emitWarning(`runtrail could not sync ${this.runPath} to ${this.uri} (retrying every round): ${(err as Error).message}`, {
          code: "RUNTRAIL_SYNC_FAILED",
        });
      })
      .finally(() => {
        this.current = undefined;
      });
  }
}
