import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { runSyncCommand, type SyncCommandIO } from "../../../src/cli/sync.js";
import { makeRun, type S3TestEnv, useBucket } from "../../helpers/s3-env.js";

/** Captures what the command writes; `tty` makes stderr look like a terminal. */
function captureIO(tty = false): SyncCommandIO & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = Object.assign(new PassThrough(), { isTTY: tty, columns: 100 });
  let out = "";
  let err = "";
  stdout.on("data", (c: Buffer) => (out += c.toString()));
  stderr.on("data", (c: Buffer) => (err += c.toString()));
  return { stdout, stderr, out: () => out, err: () => err };
}

export function cliSuite(env: S3TestEnv): void {
  describe("runtrail sync (CLI)", () => {
    let bucket: string;
    let root: string;
    useBucket(env, "cli", (fx) => ({ bucket, root } = fx));

    it("syncs with plain progress lines when stderr is not a TTY, then sends nothing the second time", async () => {
      const { runPath, uuid } = await makeRun(root, { "run.plx.json": "{}", "assets/model/m": { random: 9 * 1024 * 1024 }, "outputs/a.txt": "a" });
      const io = captureIO();
      const code = await runSyncCommand([runPath, `s3://${bucket}/cli`, "--endpoint", env.endpoint, "--force-path-style"], io);
      expect(code, io.err()).toBe(0);
      expect(io.err()).toMatch(/^syncing .* 3 file\(s\), 9\.0 MiB to send, 0 unchanged$/m);
      expect(io.err()).toMatch(/^ {2}100% 9\.0\/9\.0 MiB {2}3\/3 files/m);
      expect(io.err()).not.toContain("\r");
      expect(io.out()).toMatch(new RegExp(`-> s3://${bucket}/cli/${uuid}: 3 files sent \\(9\\.0 MiB, .*1 multipart \\(2 parts\\)`));
      const again = captureIO();
      expect(await runSyncCommand([runPath, `s3://${bucket}/cli`, "--endpoint", env.endpoint], again)).toBe(0);
      expect(again.out()).toContain("0 files sent (0.0 MiB), 3 unchanged");
    });

    it("draws a bar on a TTY, and --json prints the report", async () => {
      const { runPath } = await makeRun(root, { "run.plx.json": "{}", "assets/model/m": { random: 6 * 1024 * 1024 } });
      const io = captureIO(true);
      expect(await runSyncCommand([runPath, `s3://${bucket}/tty`, "--endpoint", env.endpoint], io)).toBe(0);
      expect(io.err()).toMatch(/\r\x1b\[K\[#+-*\] +\d+% /);
      const json = captureIO();
      expect(await runSyncCommand([runPath, `s3://${bucket}/tty`, "--json", "--force"], json)).toBe(0);
      expect(JSON.parse(json.out())).toMatchObject({ filesSent: 2, filesSkipped: 0 });
      expect(json.err()).toBe("");
    });

    it("exits 1 with the named error's message, 2 on bad usage", async () => {
      const { runPath } = await makeRun(root, { "run.plx.json": "{}" });
      const missing = captureIO();
      expect(await runSyncCommand([runPath, `s3://rt-no-such-bucket-${Date.now()}/p`, "-q"], missing)).toBe(1);
      expect(missing.err()).toMatch(/^runtrail sync: S3 bucket "rt-no-such-bucket-\d+" does not exist/);
      const usage = captureIO();
      expect(await runSyncCommand([runPath], usage)).toBe(2);
      expect(usage.err()).toContain("usage: runtrail sync <run-path> s3://bucket[/prefix]");
      const badFlag = captureIO();
      expect(await runSyncCommand([runPath, "s3://b/p", "--nope"], badFlag)).toBe(2);
      const help = captureIO();
      expect(await runSyncCommand(["--help"], help)).toBe(0);
      expect(help.out()).toContain("--part-size MIB");
    });
  });
}
