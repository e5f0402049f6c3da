import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

// Value imports only: `import type` and `typeof import("…")` are erased at build time.
const FRAMEWORKS =
  /^import\s+(?!type\b)[^;]*from\s+["'](@tensorflow\/[^"']+|onnxruntime-[^"']+|@aws-sdk\/[^"']+|pino|playwright-core)["']|(?<!typeof\s)import\(\s*["'](@tensorflow|onnxruntime|@aws-sdk)/m;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

describe("the core/adapter boundary", () => {
  it("src/core imports no ML framework, SDK or test tool (peers are loaded lazily by name)", () => {
    const offenders = files("src/core").filter((f) => FRAMEWORKS.test(readFileSync(f, "utf8")));
    expect(offenders).toEqual([]);
  });

  it("src/core never imports an adapter, the CLI or the UI", () => {
    const offenders = files("src/core").filter((f) => /from\s+["'](\.\.\/)+(adapters|cli|ui)\//.test(readFileSync(f, "utf8")));
    expect(offenders).toEqual([]);
  });

  it("adapters import frameworks as types only", () => {
    const offenders = files("src/adapters").filter((f) =>
      /^import\s+(?!type\b)[^;]*from\s+["'](@tensorflow\/[^"']+|onnxruntime-node)["']/m.test(readFileSync(f, "utf8")),
    );
    expect(offenders).toEqual([]);
  });
});
