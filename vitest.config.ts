import { defineConfig } from "vitest/config";
import { SkipReporter } from "./test/support/skip-reporter.js";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Hang detectors, not speed checks: sized for two copies of the suite on two cores shared with
    // other work (load average 20-30), where starting one service process (tsx) took over 20 s and
    // a test that starts two of them took over 90 s.
    testTimeout: 180_000,
    hookTimeout: 240_000,
    // Suites start local fake servers and redis-server instances on free ports; the machine has two cores.
    maxWorkers: 2,
    // A worker's test files share its module cache: isolated, every file imported Bolt, discord.js,
    // the OpenAI SDK and the tokenizer's WebAssembly again (import time 160 s of a 369 s CI run; 16 s
    // of 227 s shared). Safe while no test mocks modules or stubs globals: each builds its own
    // instances, restores fake timers, and module-level state is limited to caches keyed by object.
    isolate: false,
    // In CI also write a JSON report, from which .ci/run prints a one-line total. The skip reporter
    // closes the run with one line naming the programs (redis-server, Chromium) whose suites were
    // skipped, and how to install them.
    reporters: process.env.CI ? ["default", "json", new SkipReporter()] : ["default", new SkipReporter()],
    outputFile: { json: ".tmp/vitest-report.json" },
  },
});
