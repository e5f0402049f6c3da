/**
 * `runtrail/onnx`: validate, inspect and log ONNX models, and export tfjs models to ONNX.
 * onnxruntime-node is an optional peer, loaded on first use.
 *
 * @example
 * import { withOnnxExport, exportTfjsToOnnx, inspectOnnx } from "runtrail/onnx";
 */
export { withOnnxExport } from "./onnx/export-hook.js";
export type { OnnxExportOptions, OnnxExportOutput, OnnxExportRecord } from "./onnx/export-hook.js";
export { inspectOnnx } from "./onnx/inspect.js";
export type { InspectOnnxOptions, OnnxSource } from "./onnx/inspect.js";
export { exportTfjsToOnnx, SUPPORTED_LAYERS, EXPORT_OPSET, EXPORT_IR_VERSION } from "./onnx/tfjs-exporter.js";
export type { TfjsToOnnxOptions } from "./onnx/tfjs-exporter.js";
export type { UnsupportedLayer } from "./onnx/export/check.js";
export { SUPPORTED_ACTIVATIONS } from "./onnx/tfjs-activations.js";
export { DEFAULT_TOLERANCE } from "./onnx/parity.js";
export type { OnnxFeed, OnnxReference, OnnxReferenceOutputs } from "./onnx/parity.js";
export type { OnnxTensorInput, NestedNumbers } from "./onnx/tensors.js";
export type {
  OnnxDim,
  OnnxExternalFile,
  OnnxFunction,
  OnnxInitializers,
  OnnxOpset,
  OnnxParityResult,
  OnnxSignature,
  OnnxValueInfo,
} from "./onnx/types.js";
export { OnnxParityError, OnnxUnsupportedModelError, OnnxValidationError } from "./onnx/errors.js";
