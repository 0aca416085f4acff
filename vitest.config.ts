import { defineConfig } from 'vitest/config';
import { SummaryReporter } from './tooling/vitest-summary-reporter.ts';

// One run over every workspace: `npm test` is `vitest run` here.
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', 'examples/*', 'deploy'],
    reporters: ['default', new SummaryReporter()],
    passWithNoTests: false,
  },
});
