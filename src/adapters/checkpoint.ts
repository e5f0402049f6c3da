/**
 * `runtrail/checkpoint`: checkpoints for hand-written training loops.
 * @see CheckpointHook
 */
export { CheckpointHook } from "./checkpoint/hook.js";
export type { CheckpointLoadFn, RestoreOptions } from "./checkpoint/hook.js";
export type { CheckpointHookOptions, CheckpointSaveFn } from "./checkpoint/options.js";
export type { Clock, SaveEvery } from "../core/checkpoint-schedule.js";
export { CheckpointHookClosedError, CheckpointSaveError } from "./checkpoint/errors.js";
export { UnknownMonitorError } from "../core/checkpoints.js";
export type { CheckpointInfo } from "../core/checkpoints.js";
export type { MonitorMode, RetentionOptions } from "../core/retention.js";
