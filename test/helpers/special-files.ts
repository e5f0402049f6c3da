// Special files for the reliability suite: FIFOs, sockets, character devices and symlinks to
// each, made for real (mkfifo, a bound unix socket, mknod when root). No vitest import: the
// child fixtures use this file too.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { renameSync, rmSync, symlinkSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";

export const SPECIAL_TYPES = ["fifo", "socket", "chardev", "link-to-fifo", "link-to-socket", "link-to-chardev"] as const;
export type SpecialType = (typeof SPECIAL_TYPES)[number];

/** A unix socket file that stays after its server is gone (bound under a temp name, renamed, closed: close unlinks only the old name). */
async function makeSocket(path: string): Promise<void> {
  // A socket path is limited to ~108 bytes: bind a short one in the temp folder, then move it.
  const tmp = join(tmpdir(), `rt-sock-${process.pid}-${randomBytes(4).toString("hex")}`);
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(tmp, resolve);
  });
  renameSync(tmp, path);
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A character device node (/dev/zero's numbers) when we may create one, else a symlink to /dev/zero itself. */
function makeCharDevice(path: string): void {
  try {
    execFileSync("mknod", [path, "c", "1", "5"], { stdio: "ignore" });
  } catch {
    symlinkSync("/dev/zero", path);
  }
}

/**
 * Puts a special file of `type` at `path` (which must not exist). A `link-to-*` is a symlink to
 * a special file next to it named `<basename>.special`.
 */
export async function makeSpecial(path: string, type: SpecialType): Promise<void> {
  rmSync(path, { recursive: true, force: true });
  const target = type.startsWith("link-to-") ? `${path}.special` : path;
  const base = type.replace("link-to-", "");
  if (base === "fifo") execFileSync("mkfifo", [target]);
  else if (base === "socket") await makeSocket(target);
  else makeCharDevice(target);
  if (target !== path) symlinkSync(basename(target), path);
}
