import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["api/test/**/*.test.ts"],
    exclude: ["api/test/e2e/**", "api/test/reliability/**", "node_modules/**"],
    globalSetup: ["api/test/global-setup.ts"],
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Files run in parallel: each gets its own database cloned from a migrated template.
    fileParallelism: true,
  },
});
