import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'console',
    include: ['src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    server: { deps: { inline: ['server-only'] } },
    alias: { 'server-only': new URL('./src/testing/empty.ts', import.meta.url).pathname },
  },
});
