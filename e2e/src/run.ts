/**
 * `npm test`'s e2e part (`npm test -w @koukan/e2e`): runs the Playwright suite and ends with one
 * plain line, `e2e: N passed, N failed, N skipped`. Without a browser (/usr/bin/chromium, or
 * E2E_CHROMIUM) or without DATABASE_URL (and not E2E_STACK=compose) the suite cannot run: it
 * says so loudly and exits 0, unless KOUKAN_REQUIRE_E2E=1 (CI), where that is a failure; so is
 * any skipped test under KOUKAN_FORBID_SKIPS=1.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const e2eDir = fileURLToPath(new URL('../', import.meta.url));
const chromium = process.env.E2E_CHROMIUM ?? '/usr/bin/chromium';
const required = process.env.KOUKAN_REQUIRE_E2E === '1';

function notRun(reason: string): never {
  const bar = '!'.repeat(78);
  process.stderr.write(
    `\n${bar}\n!! E2E SUITE NOT RUN: ${reason}\n!! Install Debian's browser with: apt-get install -y chromium   (never a downloaded one)\n${bar}\n`,
  );
  if (required) {
    process.stderr.write('KOUKAN_REQUIRE_E2E=1: the e2e suite must run here; failing.\n');
    process.stdout.write('\ne2e: 0 passed, 1 failed, 0 skipped\n');
    process.exit(1);
  }
  process.stdout.write('\ne2e: 0 passed, 0 failed, 0 skipped (not run)\n');
  process.exit(0);
}

if (!existsSync(chromium)) notRun(`no Chromium at ${chromium}`);
if (!['compose', 'running'].includes(process.env.E2E_STACK ?? '') && !process.env.DATABASE_URL) {
  notRun('DATABASE_URL is not set (the e2e stack runs on a real PostgreSQL server)');
}

const resultsFile = join(e2eDir, 'artifacts/results.json');
// a results file of an earlier run must not count for this one
rmSync(resultsFile, { force: true });
const cli = createRequire(import.meta.url).resolve('@playwright/test/cli');
const started = Date.now();
const result = spawnSync(process.execPath, [cli, 'test', ...process.argv.slice(2)], {
  cwd: e2eDir,
  stdio: 'inherit',
  env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' },
});

interface Stats {
  expected: number;
  unexpected: number;
  flaky: number;
  skipped: number;
}
let stats: Stats = { expected: 0, unexpected: 0, flaky: 0, skipped: 0 };
if (existsSync(resultsFile)) {
  stats = (JSON.parse(readFileSync(resultsFile, 'utf8')) as { stats: Stats }).stats;
}
const passed = stats.expected;
const failed = stats.unexpected + stats.flaky;
let code = result.status ?? 1;
if (passed + failed === 0) {
  process.stderr.write('e2e: no test executed: treating the run as failed\n');
  code = 1;
}
if (stats.skipped > 0 && process.env.KOUKAN_FORBID_SKIPS === '1') {
  process.stderr.write(`KOUKAN_FORBID_SKIPS=1: ${stats.skipped} e2e test(s) skipped: failing\n`);
  code = 1;
}
process.stdout.write(
  `\n[e2e] ${Math.round((Date.now() - started) / 1000)} s in all (stack start included)\n`,
);
process.stdout.write(`e2e: ${passed} passed, ${failed} failed, ${stats.skipped} skipped\n`);
process.exit(code);
