import { requirePeer } from "../../core/peer.js";

/**
 * The slice of onnxruntime-node's API the adapter uses, declared here so that runtrail's
 * published types never reference the optional peer.
 */
export interface OrtTensor {
  readonly type: string;
  readonly data: unknown;
  readonly dims: readonly number[];
  dispose?(): void;
}

/** Input/output metadata of onnxruntime-node ≥ 1.22 (absent on older versions). */
export interface OrtValueMetadata {
  readonly name: string;
  readonly isTensor: boolean;
  readonly type?: string;
  readonly shape?: ReadonlyArray<number | string>;
}

export interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata?: readonly OrtValueMetadata[];
  readonly outputMetadata?: readonly OrtValueMetadata[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}

export interface OrtModule {
  InferenceSession: {
    create(model: string | Uint8Array, options?: Record<string, unknown>): Promise<OrtSession>;
  };
  Tensor: new (type: string, data: unknown, dims: readonly number[]) => OrtTensor;
}

/**
 * Loads onnxruntime-node on first use.
 *
 * @throws MissingPeerDependencyError naming `npm install onnxruntime-node` when it is not installed.
 */
export function loadOrt(): OrtModule {
  return requirePeer<OrtModule>(["onnxruntime-node"], "runtrail/onnx (validating ONNX models)");
}

/** Session options: warnings (such as unused initializers) would otherwise go to the user's stderr. */
export const SESSION_OPTIONS: Readonly<Record<string, unknown>> = { logSeverityLevel: 3 };
