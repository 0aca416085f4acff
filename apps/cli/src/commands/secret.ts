import { readFileSync } from 'node:fs';
import { deleteSecret, listSecrets, setSecret } from '@koukan/services';
import type { Logger } from 'pino';
import type { CliEnv } from '../env.ts';
import { withServices } from './service-context.ts';

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('value (end with Ctrl-D): ');
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * `secret set <name> [--file path]`: the value comes from the file or standard input (never
 * from the command line, where it would stay in the shell's history); one trailing newline
 * is dropped.
 */
export async function secretSet(
  env: CliEnv,
  logger: Logger,
  name: string,
  file: string | undefined,
): Promise<number> {
  const raw = file ? readFileSync(file, 'utf8') : await readStdin();
  const value = raw.replace(/\r?\n$/, '');
  return withServices(env, logger, { createKey: true }, async (ctx) => {
    const info = await setSecret({ ctx, input: { name, value } });
    process.stdout.write(
      `${info.created ? 'created' : 'rotated'} secret "${info.name}" (version ${info.version})\n`,
    );
    return 0;
  });
}

export function secretList(env: CliEnv, logger: Logger): Promise<number> {
  return withServices(env, logger, { createKey: false }, async (ctx) => {
    const list = await listSecrets({ ctx, input: undefined });
    if (list.length === 0) process.stdout.write('no secrets\n');
    for (const s of list) {
      process.stdout.write(
        `${s.name}  version ${s.version}  updated ${s.updatedAt.toISOString()}  key ${s.keyId}\n`,
      );
    }
    return 0;
  });
}

export function secretRemove(
  env: CliEnv,
  logger: Logger,
  name: string,
  force: boolean,
): Promise<number> {
  return withServices(env, logger, { createKey: false }, async (ctx) => {
    await deleteSecret({ ctx, input: { name, force } });
    process.stdout.write(`removed secret "${name}"\n`);
    return 0;
  });
}
