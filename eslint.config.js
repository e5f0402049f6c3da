// Type-aware checks that catch what tests rarely do (a promise nobody awaits), and the
// core/adapter boundary made visible to tools: the core imports no framework, SDK or adapter.
import tseslint from "typescript-eslint";

const FRAMEWORKS = ["@tensorflow/*", "onnxruntime-node", "onnxruntime-*", "@aws-sdk/*", "playwright-core", "pino"];

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "src/ui/static/**", ".ceph-state/**", "test-artifacts/**", ".bench-tmp/**", "bench/.*"] },
  {
    files: ["src/**/*.ts", "test/**/*.ts", "bench/**/*.ts", "examples/**/*.ts"],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { "@typescript-eslint": tseslint.plugin },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { arguments: false, attributes: false } }],
      "@typescript-eslint/await-thenable": "error",
    },
  },
  {
    files: ["src/core/**/*.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: FRAMEWORKS, allowTypeImports: true, message: "The core loads frameworks and SDKs lazily (requirePeer/importPeer); import their types only." },
            { group: ["**/adapters/**", "**/cli/**", "**/ui/**"], message: "The core depends on no adapter, CLI or UI module." },
            { group: ["**/store/**"], allowTypeImports: true, message: "The core loads the S3 store layer lazily (await import, see core/store-layer.ts); import its types only." },
          ],
        },
      ],
    },
  },
  {
    files: ["src/store/**/*.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        { patterns: [{ group: ["@aws-sdk/*"], allowTypeImports: true, message: "The store loads the AWS SDK lazily (importPeer); import its types only." }] },
      ],
    },
  },
  {
    files: ["src/adapters/**/*.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        { patterns: [{ group: ["@tensorflow/*", "onnxruntime-node"], allowTypeImports: true, message: "Adapters load their framework lazily; import its types only." }] },
      ],
    },
  },
);
