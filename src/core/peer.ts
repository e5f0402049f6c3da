import { localRequire } from "./builtins.js";
import { MissingPeerDependencyError } from "./errors.js";

/**
 * Loads the first installed package of `candidates` synchronously (peers are loaded only by
 * the adapter that needs them, never at import time).
 *
 * @throws MissingPeerDependencyError naming the install command when none can be loaded.
 */
export function requirePeer<T = unknown>(candidates: readonly string[], feature: string): T {
  let firstError: unknown;
  for (const name of candidates) {
    try {
      return localRequire(name) as T;
    } catch (err) {
      if (!isModuleNotFound(err, name)) throw err;
      firstError ??= err;
    }
  }
  throw new MissingPeerDependencyError(candidates[candidates.length - 1]!, feature, firstError, candidates.slice(0, -1));
}

/** Async variant for ESM-only peers. */
export async function importPeer<T = unknown>(candidates: readonly string[], feature: string): Promise<T> {
  let firstError: unknown;
  for (const name of candidates) {
    try {
      return (await import(name)) as T;
    } catch (err) {
      if (!isModuleNotFound(err, name)) throw err;
      firstError ??= err;
    }
  }
  throw new MissingPeerDependencyError(candidates[candidates.length - 1]!, feature, firstError, candidates.slice(0, -1));
}

function isModuleNotFound(err: unknown, name: string): boolean {
  const e = err as { code?: string; message?: string };
  return (
    (e?.code === "MODULE_NOT_FOUND" || e?.code === "ERR_MODULE_NOT_FOUND") &&
    typeof e.message === "string" &&
    e.message.includes(name)
  );
}
