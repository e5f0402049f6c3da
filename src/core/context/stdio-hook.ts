/**
 * The one process-wide hook on `process.stdout.write` and `process.stderr.write`. Every write
 * goes to the terminal first, unchanged, through the original method; then a copy of the chunk
 * goes to the most recently started capture that is still live (as Polyaxon hands the captured
 * streams to the newest run), so two runs in one process never both record a line. When the last
 * capture stops, the original methods are put back exactly (an own property is restored, an
 * inherited one is deleted again) — unless someone else wrapped the stream after us, whose
 * wrapper must keep working: then ours stays in place and only passes writes through.
 */

/** Receives a copy of what one stream wrote. Must not throw and must not write to stdout/stderr. */
export type ChunkSink = (stream: "stdout" | "stderr", chunk: string | Uint8Array, encoding: BufferEncoding | undefined) => void;

type WriteFn = NodeJS.WriteStream["write"];

interface Installed {
  stream: NodeJS.WriteStream;
  original: WriteFn;
  hadOwn: boolean;
  wrapper: WriteFn;
}

const sinks: ChunkSink[] = [];
let installed: Installed[] = [];
let inSink = false;

function wrap(name: "stdout" | "stderr"): Installed {
  const stream = process[name];
  const hadOwn = Object.hasOwn(stream, "write");
  const original = stream.write;
  const wrapper = function (this: NodeJS.WriteStream, ...args: unknown[]): boolean {
    const result = (original as (...a: unknown[]) => boolean).apply(this, args);
    const sink = sinks[sinks.length - 1];
    if (sink !== undefined && !inSink) {
      const chunk = args[0];
      if (typeof chunk === "string" || chunk instanceof Uint8Array) {
        inSink = true;
        try {
          sink(name, chunk, typeof args[1] === "string" ? (args[1] as BufferEncoding) : undefined);
        } catch {
          // A capture must never break printing; the sink reports its own failures.
        } finally {
          inSink = false;
        }
      }
    }
    return result;
  } as WriteFn;
  stream.write = wrapper;
  return { stream, original, hadOwn, wrapper };
}

/** Starts giving copies of stdout/stderr writes to `sink` (it becomes the one that receives them). */
export function addChunkSink(sink: ChunkSink): void {
  if (installed.length === 0) installed = [wrap("stdout"), wrap("stderr")];
  sinks.push(sink);
}

/** Stops `sink`; the previous live one receives writes again. The last one out restores the streams. */
export function removeChunkSink(sink: ChunkSink): void {
  const i = sinks.lastIndexOf(sink);
  if (i >= 0) sinks.splice(i, 1);
  if (sinks.length > 0) return;
  const stillOurs = installed.filter((h) => h.stream.write === h.wrapper);
  if (stillOurs.length !== installed.length) return; // wrapped after us: keep passing through
  for (const h of installed) {
    if (h.hadOwn) h.stream.write = h.original;
    else delete (h.stream as unknown as { write?: WriteFn }).write;
  }
  installed = [];
}

/** True while some capture is receiving writes (for tests and diagnostics). */
export function isCapturing(): boolean {
  return sinks.length > 0;
}
