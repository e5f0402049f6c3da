// The fs-safe API that every reader of a run goes through (the read model calls it too).
import { closeSync, mkdirSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { NotRegularFileError } from "../../src/core/errors.js";
import {
  assertFileOrDir,
  openRegular,
  openRegularSync,
  readRegularFile,
  readRegularFileSync,
  readRegularText,
  readRegularTextSync,
  statFileOrDir,
} from "../../src/core/fs-safe.js";
import { makeSpecial, SPECIAL_TYPES } from "../helpers/special-files.js";
import { useTmp } from "../helpers/tmp.js";

describe("fs-safe", () => {
  const tmp = useTmp();

  it("reads regular files, sync and async, as bytes and as text", async () => {
    const f = join(tmp(), "a.txt");
    writeFileSync(f, "naïve é");
    expect((await readRegularFile(f)).equals(Buffer.from("naïve é"))).toBe(true);
    expect(await readRegularText(f)).toBe("naïve é");
    expect(readRegularFileSync(f).toString()).toBe("naïve é");
    expect(readRegularTextSync(f)).toBe("naïve é");
  });

  it("opens for appending, creating the file, and the descriptor writes normally", async () => {
    const f = join(tmp(), "new.plx");
    const fd = openRegularSync(f, "a+");
    writeSync(fd, "step|timestamp|metric");
    closeSync(fd);
    const fh = await openRegular(f, "a");
    await fh.write("\n0|t|1");
    await fh.close();
    expect(readFileSync(f, "utf8")).toBe("step|timestamp|metric\n0|t|1");
  });

  for (const type of SPECIAL_TYPES) {
    it(`refuses a ${type} with NotRegularFileError saying what it is, without blocking`, async () => {
      const dir = tmp();
      const p = join(dir, "x");
      await makeSpecial(p, type);
      const what = /fifo/.test(type) ? "FIFO" : /socket/.test(type) ? "socket" : "character device";
      const checks: Array<() => unknown> = [
        () => readRegularFile(p, "test"),
        () => readRegularText(p),
        () => readRegularFileSync(p),
        () => openRegular(p, "r"),
        () => openRegular(p, "a+"),
        () => openRegularSync(p, "a+"),
        () => statFileOrDir(p),
        () => assertFileOrDir(p),
      ];
      for (const check of checks) {
        const err = await Promise.resolve().then(check).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(NotRegularFileError);
        expect((err as NotRegularFileError).fileType).toContain(what);
        expect((err as Error).message).toContain(p);
      }
      // Something under it: the special parent is named, not a raw ENOTDIR.
      const below = await readRegularFile(join(p, "child")).catch((e: unknown) => e);
      expect(below).toBeInstanceOf(NotRegularFileError);
      expect((below as Error).message).toContain(`${p} is a`);
    });
  }

  it("a folder: accepted by statFileOrDir, refused where a file is read", async () => {
    const d = join(tmp(), "folder");
    mkdirSync(d);
    expect((await statFileOrDir(d)).isDirectory()).toBe(true);
    const err = await readRegularFile(d).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotRegularFileError);
    expect((err as NotRegularFileError).fileType).toBe("folder");
  });

  it("a missing file is the usual ENOENT", async () => {
    await expect(readRegularFile(join(tmp(), "nope"))).rejects.toMatchObject({ code: "ENOENT" });
    expect(() => readRegularFileSync(join(tmp(), "nope"))).toThrow(/ENOENT/);
  });
});
