import { lazyChildProcess } from "../builtins.js";

/** What Polyaxon's `get_code_reference` returns and `log_code_ref` puts in the lineage summary. */
export interface CodeRef {
  commit: string;
  branch: string | null;
  /** The `origin` remote, without credentials; null without one. */
  url: string | null;
  is_dirty: boolean | null;
  [key: string]: unknown;
}

function git(args: string[], cwd: string, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    try {
      const child = lazyChildProcess().execFile("git", args, { cwd, timeout: timeoutMs, killSignal: "SIGKILL", windowsHide: true, env: { ...process.env, GIT_TERMINAL_PROMPT: "0", GIT_OPTIONAL_LOCKS: "0" } }, (err, stdout) => {
        resolve(err ? undefined : String(stdout).trim());
      });
      child.unref();
    } catch {
      resolve(undefined);
    }
  });
}

/**
 * A remote URL without credentials: `https://user:token@host/x.git` → `https://host/x.git` (the
 * user part of an http(s) URL is always a credential for a git host); for `ssh://` and scp-like
 * `git@host:org/x.git` only a password is removed — the user there names the account, not a secret.
 */
export function stripCredentials(url: string): string {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)([^@/?#]*)@(.*)$/.exec(url);
  if (!m) return url;
  const [, scheme, userinfo, rest] = m as unknown as [string, string, string, string];
  if (/^https?:\/\/$/i.test(scheme) || /^(git|ftp|ftps):\/\/$/i.test(scheme)) return scheme + rest;
  const user = userinfo.split(":")[0]!;
  return user ? `${scheme}${user}@${rest}` : scheme + rest;
}

/**
 * The code reference of the git repository around `cwd`: commit, branch, origin URL (credentials
 * stripped) and whether tracked files have uncommitted changes. `undefined` when `cwd` is not in a
 * repository, the repository has no commit, or `git` is not installed. Every `git` call runs as an
 * async child process and is killed after `timeoutMs`; nothing here throws.
 */
export async function readCodeRef(cwd: string = process.cwd(), timeoutMs = 5000): Promise<CodeRef | undefined> {
  const commit = await git(["rev-parse", "--verify", "HEAD"], cwd, timeoutMs);
  if (!commit || !/^[0-9a-f]{40,64}$/.test(commit)) return undefined;
  const [branch, url, status] = await Promise.all([
    git(["rev-parse", "--abbrev-ref", "HEAD"], cwd, timeoutMs),
    git(["config", "--get", "remote.origin.url"], cwd, timeoutMs),
    git(["status", "--porcelain", "--untracked-files=no"], cwd, timeoutMs),
  ]);
  return {
    commit,
    branch: branch || null,
    url: url ? stripCredentials(url) : null,
    is_dirty: status === undefined ? null : status.length > 0,
  };
}
