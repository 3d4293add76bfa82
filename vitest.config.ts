import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Suites start local fake servers and redis-server instances on free ports; two cores.
    maxWorkers: 2,
    reporters: process.env.CI ? ["default"] : ["default"],
  },
});
