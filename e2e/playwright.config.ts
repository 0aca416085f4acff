import { defineConfig } from '@playwright/test';

/**
 * One stack for the whole run (src/global-setup.ts), shared by the tests, which therefore run
 * one at a time (the machine is small and the flows change shared state: sink rules, chains).
 * The browser is Debian's Chromium: nothing here downloads one.
 */
export default defineConfig({
  testDir: './tests',
  outputDir: './artifacts/test-results',
  globalSetup: './src/global-setup.ts',
  workers: 1,
  fullyParallel: false,
  forbidOnly: true,
  retries: 0,
  // every flow waits with expect.poll / auto-waiting assertions; these bound a broken one
  timeout: 300_000,
  expect: { timeout: 60_000 },
  reporter: [
    ['list'],
    ['json', { outputFile: './artifacts/results.json' }],
    ['html', { outputFolder: './artifacts/report', open: 'never' }],
  ],
  use: {
    browserName: 'chromium',
    launchOptions: { executablePath: process.env.E2E_CHROMIUM ?? '/usr/bin/chromium' },
    viewport: { width: 1280, height: 900 },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    actionTimeout: 30_000,
    navigationTimeout: 60_000,
  },
});
