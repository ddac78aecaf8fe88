import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "api/src/generated/**", "coverage/**", ".dev-data/**", "bench/results/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: "readonly", console: "readonly", URL: "readonly", setTimeout: "readonly", clearTimeout: "readonly", Buffer: "readonly" },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
  {
    files: ["api/src/**/*.ts"],
    rules: { "no-console": "error" },
  },
  {
    // The demo storefront: plain browser modules, no build step.
    files: ["dev/storefront/**/*.js"],
    languageOptions: {
      sourceType: "module",
      globals: Object.fromEntries(
        ["document", "location", "localStorage", "navigator", "fetch", "crypto", "BroadcastChannel", "URLSearchParams", "Intl", "setTimeout", "clearTimeout"].map((name) => [name, "readonly"]),
      ),
    },
  },
);
