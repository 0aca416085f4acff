import { createApiKey, getSenderByName, migrate as migrateDb } from '@koukan/db';
import type { Logger } from 'pino';
import { withDatabase } from '../database.ts';
import type { CliEnv } from '../env.ts';

export function migrate(env: CliEnv, logger: Logger): Promise<number> {
  return withDatabase(env, logger, async ({ pool }) => {
    await migrateDb(pool);
    process.stdout.write('migrations applied\n');
    return 0;
  });
}

export function apiKeyCreate(
  env: CliEnv,
  logger: Logger,
  senderName: string,
  name = '',
): Promise<number> {
  return withDatabase(env, logger, async ({ db }) => {
    const sender = await getSenderByName(db, senderName);
    if (!sender) {
      process.stderr.write(`no sender named "${senderName}"\n`);
      return 1;
    }
    const { key, apiKey } = await createApiKey(db, { senderId: sender.id, name });
    process.stdout.write(`${key}\n`);
    process.stderr.write(
      `created key ${apiKey.prefix}… for sender "${senderName}"; it is not shown again\n`,
    );
    return 0;
  });
}
