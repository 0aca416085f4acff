import { readFileSync, writeFileSync } from 'node:fs';
import { validateChain } from '@koukan/chain/schemas';
import { migrate } from '@koukan/db';
import { exportConfig, importConfig } from '@koukan/db/config';
import type { Logger } from 'pino';
import { withDatabase } from '../database.ts';
import type { CliEnv } from '../env.ts';

export function configImport(env: CliEnv, logger: Logger, file: string): Promise<number> {
  return withDatabase(env, logger, async ({ db, pool }) => {
    await migrate(pool);
    const result = await importConfig(db, readFileSync(file, 'utf8'), {
      actor: 'cli:config-import',
      validateChain,
    });
    process.stdout.write(
      `imported ${file}: ${result.changedSenders.length} sender(s), ${result.changedChains.length} chain(s) and ${result.changedDomains.length} domain(s) changed\n`,
    );
    for (const w of result.warnings) process.stderr.write(`warning: ${w.path}: ${w.message}\n`);
    for (const name of result.missingSecrets) {
      process.stderr.write(
        `warning: secret "${name}" is not in this database: store it with \`npm run koukan -- secret set ${name}\` (mail that needs it is deferred until then)\n`,
      );
    }
    return 0;
  });
}

export function configExport(env: CliEnv, logger: Logger, file?: string): Promise<number> {
  return withDatabase(env, logger, async ({ db }) => {
    const yaml = await exportConfig(db);
    if (file) writeFileSync(file, yaml);
    else process.stdout.write(yaml);
    return 0;
  });
}
