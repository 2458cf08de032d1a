// Lint: typescript-eslint's type-aware rules for promises (an unawaited promise on the money path
// is a payment whose failure nobody sees) plus its recommended set; formatting is Prettier's.
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "dist-bundle/", "node_modules/", "**/*.js", "**/*.mjs"] },
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { arguments: false } }],
    },
  },
);
