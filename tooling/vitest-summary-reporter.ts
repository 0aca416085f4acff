import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints one plain closing line, `tests: N passed, N failed, N skipped`, that CI and people
 * can read without knowing Vitest's own summary format. A run in which no test executed is a
 * failure: an empty green run hides a broken suite. With `KOUKAN_FORBID_SKIPS=1` (CI sets it),
 * a skipped test fails the run too, and is named: in CI every test's real peers (PostgreSQL,
 * swaks, smtp-source, verifiers, a browser) are installed, so a skip means a missing part.
 */
export class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const skippedNames: string[] = [];
    for (const mod of testModules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else {
          skipped++;
          skippedNames.push(`${mod.moduleId} > ${test.fullName}`);
        }
      }
    }
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
    if (passed + failed === 0) {
      process.stderr.write('no test executed: treating the run as failed\n');
      process.exitCode = 1;
    }
    if (skipped > 0 && process.env.KOUKAN_FORBID_SKIPS === '1') {
      process.stderr.write(
        `KOUKAN_FORBID_SKIPS=1: ${skipped} test(s) skipped, treating the run as failed:\n${skippedNames.map((n) => `  ${n}`).join('\n')}\n`,
      );
      process.exitCode = 1;
    }
  }
}
