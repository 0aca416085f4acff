/**
 * `npm run stack -w @koukan/e2e`: starts the e2e stack (processes, on DATABASE_URL's server) and
 * keeps it running until Ctrl-C, its description in artifacts/stack.json; then
 * `E2E_STACK=running npm test -w @koukan/e2e -- <files>` runs tests against it without starting
 * another (for writing tests: the console builds once, the stack starts once).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { startProcessStack } from './processes.ts';
import { runningStackFile } from './running.ts';

const serverUrl = process.env.DATABASE_URL;
if (!serverUrl) throw new Error('DATABASE_URL (a PostgreSQL server) is required');
const stack = await startProcessStack(serverUrl);
writeFileSync(runningStackFile, JSON.stringify(stack.info, null, 2));
process.stdout.write(`e2e stack running (${runningStackFile}); Ctrl-C stops it\n`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    rmSync(runningStackFile, { force: true });
    stack.stop().then(() => process.exit(0));
  });
}
