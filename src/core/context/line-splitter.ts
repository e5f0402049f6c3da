import { StringDecoder } from "node:string_decoder";

/** A captured line longer than this is recorded in pieces of this many characters. */
export const MAX_LINE_CHARS = 16 * 1024;

/**
 * Turns the chunks one stream writes into the lines a terminal would show: partial lines are
 * joined until their `\n`, a `\r` redraw keeps only what follows it (a progress bar that redraws
 * itself ten thousand times is one line, not ten thousand), bytes are decoded as UTF-8 across
 * chunk boundaries (invalid bytes become U+FFFD), and a line that never ends is cut into pieces of
 * {@link MAX_LINE_CHARS} so memory stays bounded.
 */
export class LineSplitter {
  private partial = "";
  private readonly decoder = new StringDecoder("utf8");

  constructor(private readonly emit: (line: string) => void) {}

  /** Feeds one `write()` chunk. */
  push(chunk: string | Uint8Array, encoding?: BufferEncoding): void {
    let text: string;
    if (typeof chunk === "string") {
      text = encoding && encoding !== "utf8" && encoding !== "utf-8" ? this.decoder.write(Buffer.from(chunk, encoding)) : chunk;
    } else {
      text = this.decoder.write(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    }
    let from = 0;
    for (;;) {
      const nl = text.indexOf("\n", from);
      if (nl < 0) break;
      this.add(text.slice(from, nl));
      this.endLine();
      from = nl + 1;
    }
    if (from < text.length) this.add(text.slice(from));
  }

  /** Emits a pending partial line (at the end of a capture). */
  end(): void {
    this.add(this.decoder.end());
    if (this.partial.length) this.endLine();
  }

  private add(piece: string): void {
    if (piece.length === 0) return;
    // A pending "\r" was a redraw: what comes now replaces the line (a final "\r\n" ends it instead).
    if (this.partial.endsWith("\r")) this.partial = "";
    const trailingCr = piece.endsWith("\r");
    const body = trailingCr ? piece.slice(0, -1) : piece;
    const cr = body.lastIndexOf("\r");
    if (cr >= 0) this.partial = body.slice(cr + 1);
    else this.partial += body;
    if (trailingCr) this.partial += "\r";
    while (this.partial.length > MAX_LINE_CHARS) {
      this.emit(this.partial.slice(0, MAX_LINE_CHARS));
      this.partial = this.partial.slice(MAX_LINE_CHARS);
    }
  }

  private endLine(): void {
    let line = this.partial;
    this.partial = "";
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (line.trimEnd().length > 0) this.emit(line);
  }
}
