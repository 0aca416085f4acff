import { readFileSync, writeFileSync } from 'node:fs';
import { validateChain } from '@koukan/chain/schemas';
import { migrate } from '@koukan/db';
import { exportConfig, importConfig } from '@koukan/db/config';
import type { Logger } from 'pino';
import { openDatabase } from '../database.ts';
import type { CliEnv } from '../env.ts';

export async function configImport(env: CliEnv, logger: Logger, file: string): Promise<number> {
  const database = await openDatabase(env, logger);
  try {
    await migrate(database.handle.pool);
    const result = await importConfig(database.handle.db, readFileSync(file, 'utf8'), {
      actor: 'cli:config-import',
      validateChain,
    });
    process.stdout.write(
      `imported ${file}: ${result.changedSenders.length} sender(s) and ${result.changedChains.length} chain(s) changed\n`,
    );
    return 0;
  } finally {
    await database.close();
  }
}

export async function configExport(env: CliEnv, logger: Logger, file?: string): Promise<number> {
  const database = await openDatabase(env, logger);
  try {
    const yaml = await exportConfig(database.handle.db);
    if (file) writeFileSync(file, yaml);
    else process.stdout.write(yaml);
    return 0;
  } finally {
    await database.close();
  }
}
