/**
 * Prints one closing line when suites were skipped (or, under CI=true, failed) because a program
 * they need is missing (under CI=true: failed), e.g.
 *   skipped suites in 9 test files: redis-server not found (install: sudo apt-get install redis-server), ...
 * The reasons come from the suites' meta, set by `requires()` in binaries.ts.
 */
import type { Reporter, TestModule } from "vitest/node";
import { CI_REQUIRED } from "./binaries.js";

const plural = (n: number) => `${n} test file${n === 1 ? "" : "s"}`;

export class SkipReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const skippedFiles = new Set<string>();
    const reasons = new Set<string>();
    const failedFiles = new Set<string>();
    const failReasons = new Set<string>();
    for (const module of testModules) {
      for (const error of module.errors()) {
        const at = error.message?.indexOf(`${CI_REQUIRED}: `) ?? -1;
        if (at < 0) continue;
        failedFiles.add(module.moduleId);
        for (const reason of error.message.slice(at + CI_REQUIRED.length + 2).split(", "))
          failReasons.add(reason);
      }
      for (const suite of module.children.allSuites()) {
        const missing = suite.meta().missingPrograms ?? [];
        if (missing.length === 0 || suite.state() !== "skipped") continue;
        skippedFiles.add(module.moduleId);
        for (const reason of missing) reasons.add(reason);
      }
    }
    if (skippedFiles.size > 0) {
      process.stdout.write(`\nskipped suites in ${plural(skippedFiles.size)}: ${[...reasons].join(", ")}\n`);
    }
    if (failedFiles.size > 0) {
      const reasons = [...failReasons].join(", ");
      process.stdout.write(`\nfailed ${plural(failedFiles.size)}: ${CI_REQUIRED}: ${reasons}\n`);
    }
  }
}
