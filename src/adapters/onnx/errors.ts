import { RuntrailError } from "../../core/errors.js";

/**
 * The bytes are not a usable ONNX model: the protobuf is malformed or truncated, a required
 * field (graph, opset import) is missing, or onnxruntime-node refused to load it.
 * `value` is the offending path or a short description of the bytes; `cause` is the decoder
 * or onnxruntime error.
 */
export class OnnxValidationError extends RuntrailError {
  constructor(message: string, value?: unknown, cause?: unknown) {
    super("RUNTRAIL_ONNX_INVALID", message, { value, cause });
  }
}

/**
 * Running the sample inputs failed, or the model's outputs differ from the reference by
 * more than the tolerance. `value` holds `{ output, sample, maxAbsDiff, tolerance, index }`
 * for a mismatch.
 */
export class OnnxParityError extends RuntrailError {
  constructor(message: string, value?: unknown, cause?: unknown) {
    super("RUNTRAIL_ONNX_PARITY", message, { value, cause });
  }
}

/**
 * The tfjs model cannot be exported: some of its layers (or their options, such as an
 * activation or `stateful`) have no ONNX translation — `value` lists every one as
 * `{ className, name, reason }` — or its inputs or weights are not float32 (int32 inputs are fine).
 */
export class OnnxUnsupportedModelError extends RuntrailError {
  constructor(message: string, value?: unknown, cause?: unknown) {
    super("RUNTRAIL_ONNX_UNSUPPORTED", message, { value, cause });
  }
}
