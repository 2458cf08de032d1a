// Lint: typescript-eslint's recommended rules and its type-aware promise rules (an unawaited
// promise on the money path is a payment whose failure nobody sees). Formatting is Prettier's.
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "dist-bundle/", "node_modules/", "**/*.js", "**/*.mjs"] },
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { project: ["./tsconfig.test.json", "./views/tsconfig.json"], tsconfigRootDir: import.meta.dirname } },
    rules: {
      // node:test's describe() and test() return promises the runner itself awaits.
      "@typescript-eslint/no-floating-promises": [
        "error",
        { allowForKnownSafeCalls: [{ from: "package", package: "node:test", name: ["describe", "test", "it", "suite"] }] },
      ],
      "@typescript-eslint/await-thenable": "error",
      // A leading underscore names what is left out on purpose (a rest destructuring, a handler's unused argument).
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { arguments: false } }],
    },
  },
  // Tests read JSON (schemas, HTTP answers) whose shape the assertions themselves check.
  { files: ["test/**/*.ts"], rules: { "@typescript-eslint/no-explicit-any": "off" } },
);
