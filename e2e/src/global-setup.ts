import { startComposeStack } from './stack/compose.ts';
import { startProcessStack } from './stack/processes.ts';
import { runningStack } from './stack/running.ts';

/**
 * Starts the stack once for the whole run (E2E_STACK=compose: `docker compose up`; otherwise
 * processes on DATABASE_URL's server) and hands its description to the workers in
 * E2E_STACK_INFO. The returned function is the global teardown.
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  const started = Date.now();
  const mode = process.env.E2E_STACK;
  const stack =
    mode === 'compose'
      ? await startComposeStack()
      : mode === 'running'
        ? runningStack()
        : await startProcessStack(
            process.env.DATABASE_URL ??
              (() => {
                throw new Error('DATABASE_URL (a PostgreSQL server) is required for the e2e suite');
              })(),
          );
  process.env.E2E_STACK_INFO = JSON.stringify(stack.info);
  process.stdout.write(
    `[e2e] ${stack.info.mode} stack ready in ${Math.round((Date.now() - started) / 1000)} s (console ${stack.info.console})\n`,
  );
  return stack.stop;
}
