import { join } from "node:path";
import type { RunWriteError } from "../errors.js";
import { LineSplitter } from "./line-splitter.js";
import { LogsFile } from "./logs-file.js";
import { addChunkSink, removeChunkSink, type ChunkSink } from "./stdio-hook.js";
import { localLogOrigin, v1LogFormatter } from "./v1log.js";

/** `plxlogs/logs.jsonl`, relative to the run (Polyaxon's `get_logs_path` of the tracking client). */
export const LOGS_REL_PATH = "plxlogs/logs.jsonl";

/**
 * Captures the process's stdout and stderr into a run's `plxlogs/logs.jsonl` as `V1Log` records,
 * one per line a terminal would show (see {@link LineSplitter}), while the terminal still gets
 * every byte unchanged. Flushed every `flushIntervalMs`, when 64 KiB accumulate, and on
 * `flush()`/`stop()` (the run's `end()` and exit hooks call them).
 *
 * Not captured: output of child processes (they write to the file descriptors directly), writes
 * that bypass `process.stdout.write` (`fs.writeSync(1, …)`, native addons, the V8/Node fatal
 * error printer), and output printed while another, newer run in the same process is capturing.
 */
export class LogCapture {
  private readonly file: LogsFile;
  private readonly splitters: Record<"stdout" | "stderr", LineSplitter>;
  private readonly sink: ChunkSink;
  private timer: NodeJS.Timeout | undefined;
  private active = false;

  constructor(runPath: string, flushIntervalMs: number, onError: (err: RunWriteError) => void) {
    const format = v1LogFormatter(localLogOrigin());
    this.file = new LogsFile(join(runPath, LOGS_REL_PATH), onError, (n) =>
      format(Date.now(), `[runtrail] ${n} captured line${n === 1 ? "" : "s"} dropped here: the disk refused writes and the memory buffer was full`),
    );
    const emit = (line: string): void => this.file.append(format(Date.now(), line));
    this.splitters = { stdout: new LineSplitter(emit), stderr: new LineSplitter(emit) };
    this.sink = (stream, chunk, encoding) => this.splitters[stream].push(chunk, encoding);
    if (flushIntervalMs > 0) {
      this.timer = setInterval(() => this.file.flushQuietly(), flushIntervalMs);
      this.timer.unref();
    }
  }

  start(): void {
    if (this.active) return;
    this.active = true;
    this.file.open();
    addChunkSink(this.sink);
  }

  /** Writes the captured lines now. @throws RunWriteError */
  flush(): void {
    this.file.flush();
  }

  flushQuietly(): void {
    this.file.flushQuietly();
  }

  /** Stops capturing (restoring the streams when no other run captures), writes the rest, closes the file. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.active) {
      this.active = false;
      removeChunkSink(this.sink);
      this.splitters.stdout.end();
      this.splitters.stderr.end();
    }
    this.file.close();
  }
}
