import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { HttpError, RootJail, checkName, decodeSegment } from "../../src/ui/paths.js";

const base = mkdtempSync(join(tmpdir(), "rt-jail-"));
const root = join(base, "runs");
const outside = join(base, "outside");
mkdirSync(join(root, "run1", "assets", "image"), { recursive: true });
mkdirSync(join(root, "run1", "events", "metric"), { recursive: true });
mkdirSync(outside, { recursive: true });
writeFileSync(join(outside, "secret.txt"), "CANARY");
writeFileSync(join(root, "run1", "assets", "image", "a_1.png"), "png");
writeFileSync(join(root, "run1", "events", "metric", "loss.plx"), "step|timestamp|metric");
symlinkSync(join(outside, "secret.txt"), join(root, "run1", "assets", "image", "leak.png"));
symlinkSync(join(outside, "secret.txt"), join(root, "run1", "events", "metric", "leak.plx"));
symlinkSync(outside, join(root, "escape"));
afterAll(() => rmSync(base, { recursive: true, force: true }));

function status(fn: () => unknown): number {
  try {
    fn();
  } catch (err) {
    if (err instanceof HttpError) return err.status;
    throw err;
  }
  return 200;
}

describe("decodeSegment", () => {
  it.each(["..", "%2e%2e", "%2E%2e", ".%2e", "a%2fb", "a%5cb", "%00", "%252e%252e", "%2fetc", ".hidden", "", "a b", "%zz"])("refuses %j", (raw) => {
    expect(status(() => decodeSegment(raw, "x"))).toBe(400);
  });
  it("accepts plain names", () => {
    expect(decodeSegment("model_3.onnx", "x")).toBe("model_3.onnx");
    expect(decodeSegment("abc%2Dd", "x")).toBe("abc-d");
  });
});

describe("checkName", () => {
  it("accepts to_fqn_name output only", () => {
    expect(checkName("val__acc")).toBe("val__acc");
    expect(status(() => checkName("a.b"))).toBe(400);
    expect(status(() => checkName("a--b"))).toBe(400);
  });
});

describe("RootJail", () => {
  const jail = new RootJail(root);
  it("resolves runs, assets and event files inside the root", () => {
    const dir = jail.runDir("run1");
    expect(jail.fileInRun(dir, ["assets", "image", "a_1.png"], ["assets"])).toMatch(/a_1\.png$/);
    expect(jail.eventFile(dir, "metric", "loss")).toMatch(/loss\.plx$/);
  });
  it("refuses symlinks that leave the root with 403, missing files with 404", () => {
    const dir = jail.runDir("run1");
    expect(status(() => jail.runDir("escape"))).toBe(403);
    expect(status(() => jail.fileInRun(dir, ["assets", "image", "leak.png"], ["assets"]))).toBe(403);
    expect(status(() => jail.eventFile(dir, "metric", "leak"))).toBe(403);
    expect(status(() => jail.fileInRun(dir, ["assets", "image", "nope.png"], ["assets"]))).toBe(404);
    expect(status(() => jail.fileInRun(dir, ["events", "metric", "loss.plx"], ["assets"]))).toBe(403);
    expect(status(() => jail.runDir(".."))).toBe(400);
    expect(status(() => jail.eventFile(dir, "nokind", "loss"))).toBe(400);
  });
  it("storedPath ignores absolute, dotted and escaping paths", () => {
    const dir = jail.runDir("run1");
    expect(jail.storedPath(dir, "assets/image/a_1.png")).toMatch(/a_1\.png$/);
    for (const bad of ["/etc/passwd", "../x", "assets/../../x", "assets/image/leak.png", "a\\b", "a\0b", 3]) expect(jail.storedPath(dir, bad)).toBeUndefined();
  });
});
