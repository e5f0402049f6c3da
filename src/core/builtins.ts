import { createRequire } from "node:module";

// Node builtins the write side needs only once a run does something: loaded on first use, so
// `import "runtrail"` does not pay for them. On these machines `node:crypto` alone is ~10 ms of a
// process's start (it pulls in streams and ciphers), and a process that only lists runs never
// hashes, spawns or samples anything.

/**
 * The library's one synchronous `require`, for these builtins and for optional peers loaded on
 * first use. tsup's `shims` gives CJS builds an import.meta.url; under vitest/tsx it is the real one.
 */
export const localRequire = createRequire(import.meta.url);

export const lazyCrypto = (): typeof import("node:crypto") => localRequire("node:crypto") as typeof import("node:crypto");
export const lazyChildProcess = (): typeof import("node:child_process") => localRequire("node:child_process") as typeof import("node:child_process");
export const lazyPerfHooks = (): typeof import("node:perf_hooks") => localRequire("node:perf_hooks") as typeof import("node:perf_hooks");
export const lazyStreamPromises = (): typeof import("node:stream/promises") => localRequire("node:stream/promises") as typeof import("node:stream/promises");
