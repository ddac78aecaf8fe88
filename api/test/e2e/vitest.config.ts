import path from "node:path";
import { defineConfig } from "vitest/config";

/**
 * `npm run test:e2e`: the storefront and the hosted checkout in Debian's Chromium, against one
 * sandbox started by the real launcher (`npm run dev`, on free ports and a temporary data folder).
 */
export default defineConfig({
  root: path.resolve(import.meta.dirname, "..", "..", ".."),
  test: {
    include: ["api/test/e2e/**/*.test.ts"],
    globalSetup: ["api/test/e2e/global-setup.ts"],
    // One sandbox, one browser: the files take turns.
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 120_000,
  },
});
