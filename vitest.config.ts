import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Suites start local fake servers and redis-server instances on free ports; the machine has two cores.
    maxWorkers: 2,
    // In CI also write a JSON report, from which .ci/run prints a one-line total.
    reporters: process.env.CI ? ["default", "json"] : ["default"],
    outputFile: { json: ".tmp/vitest-report.json" },
  },
});
