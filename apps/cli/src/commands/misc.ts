import { createApiKey, getSenderByName, migrate as migrateDb } from '@koukan/db';
import type { Logger } from 'pino';
import { openDatabase } from '../database.ts';
import type { CliEnv } from '../env.ts';

export async function migrate(env: CliEnv, logger: Logger): Promise<number> {
  const database = await openDatabase(env, logger);
  try {
    await migrateDb(database.handle.pool);
    process.stdout.write('migrations applied\n');
    return 0;
  } finally {
    await database.close();
  }
}

export async function apiKeyCreate(
  env: CliEnv,
  logger: Logger,
  senderName: string,
  name = '',
): Promise<number> {
  const database = await openDatabase(env, logger);
  try {
    const sender = await getSenderByName(database.handle.db, senderName);
    if (!sender) {
      process.stderr.write(`no sender named "${senderName}"\n`);
      return 1;
    }
    const { key, apiKey } = await createApiKey(database.handle.db, { senderId: sender.id, name });
    process.stdout.write(`${key}\n`);
    process.stderr.write(
      `created key ${apiKey.prefix}… for sender "${senderName}"; it is not shown again\n`,
    );
    return 0;
  } finally {
    await database.close();
  }
}
