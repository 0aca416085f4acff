import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StackInfo } from './info.ts';
import { artifactsDir } from './process.ts';

/**
 * Where `npm run stack` describes the stack it keeps running (E2E_STACK=running reads it);
 * E2E_STACK_FILE to use another.
 */
export const runningStackFile = process.env.E2E_STACK_FILE ?? join(artifactsDir, 'stack.json');

export function runningStack(): { info: StackInfo; stop(): Promise<void> } {
  if (!existsSync(runningStackFile)) {
    throw new Error(
      `E2E_STACK=running: no ${runningStackFile}; start one: npm run stack -w @koukan/e2e`,
    );
  }
  const info = JSON.parse(readFileSync(runningStackFile, 'utf8')) as StackInfo;
  return { info, stop: async () => {} };
}
