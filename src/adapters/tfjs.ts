/**
 * `runtrail/tfjs`: track TensorFlow.js training — a `model.fit` callback with metrics and
 * versioned checkpoints, a `file://` router that works without tfjs-node, and checkpoint loading
 * for resuming. Works with the user's `@tensorflow/tfjs`, `-node` or `-node-gpu` (optional peer,
 * loaded on first use; nothing is imported or registered when this module loads).
 * @see TrackingCallback
 */
export { TrackingCallback } from "./tfjs/callback.js";
export type { CheckpointEvery, CheckpointOptions, TrackingCallbackOptions } from "./tfjs/options.js";
export { registerFileRouter } from "./tfjs/router.js";
export { fileIOHandler } from "./tfjs/file-io.js";
export { loadCheckpoint } from "./tfjs/load-checkpoint.js";
export type { LoadCheckpointOptions } from "./tfjs/load-checkpoint.js";
export { findCheckpoint, listCheckpoints } from "./tfjs/find-checkpoint.js";
export type { CheckpointRecord, CheckpointStep, FindCheckpointOptions, RunOrPath } from "./tfjs/find-checkpoint.js";
export { TfjsMismatchError } from "./tfjs/errors.js";
export type { LayersModel, ModelCompileArgs, TfModule } from "./tfjs/types.js";
export { UnknownMonitorError } from "../core/checkpoints.js";
export type { CheckpointInfo } from "../core/checkpoints.js";
export type { MonitorMode, RetentionOptions } from "../core/retention.js";
export type { Clock } from "../core/checkpoint-schedule.js";
