import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { composeFiles } from './stack/compose.ts';
import type { StackInfo } from './stack/info.ts';
import { baseEnv, repoRoot } from './stack/process.ts';

const run = promisify(execFile);

/**
 * A `koukan` command against the stack's database: on this machine (processes), or in a
 * one-off container of the compose stack. `input` becomes a file given as the last argument.
 */
export async function koukan(stack: StackInfo, args: string[], input?: string): Promise<string> {
  if (stack.mode === 'compose') {
    const child = run(
      'docker',
      [
        'compose',
        ...composeFiles,
        'run',
        '--rm',
        '-T',
        'migrate',
        ...args,
        ...(input ? ['/dev/stdin'] : []),
      ],
      { cwd: repoRoot },
    );
    if (input) child.child.stdin?.end(input);
    return (await child).stdout;
  }
  const dir = mkdtempSync(join(tmpdir(), 'koukan-e2e-'));
  try {
    const file = join(dir, 'input.yaml');
    if (input) writeFileSync(file, input);
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'apps/cli/src/main.ts', ...args, ...(input ? [file] : [])],
      { cwd: repoRoot, env: { ...baseEnv(), DATABASE_URL: stack.databaseUrl!, LOG_LEVEL: 'warn' } },
    );
    return stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `koukan config import` of a partial configuration (JSON is YAML). */
export async function configImport(stack: StackInfo, config: unknown): Promise<void> {
  await koukan(stack, ['config', 'import'], JSON.stringify(config));
}

/** The whole configuration as `koukan config export` writes it (YAML). */
export async function configExport(stack: StackInfo): Promise<string> {
  return koukan(stack, ['config', 'export']);
}
