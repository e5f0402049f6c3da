import { defineConfig } from "tsup";

export default defineConfig({
  entry: {
    index: "src/index.ts",
    tfjs: "src/adapters/tfjs.ts",
    onnx: "src/adapters/onnx.ts",
    checkpoint: "src/adapters/checkpoint.ts",
    s3: "src/s3.ts",
    cli: "src/cli/main.ts",
  },
  format: ["esm", "cjs"],
  dts: true,
  // Shared chunks: the adapters and the core are one module graph, not four copies of the core.
  splitting: true,
  shims: true,
  sourcemap: true,
  clean: true,
  target: "node20",
  platform: "node",
  // The dashboard's page is served from files, not bundled.
  onSuccess: "mkdir -p dist/ui && cp -r src/ui/static dist/ui/",
  external: ["@tensorflow/tfjs", "@tensorflow/tfjs-node", "@tensorflow/tfjs-node-gpu", "onnxruntime-node", "@aws-sdk/client-s3", "@aws-sdk/lib-storage"],
});
