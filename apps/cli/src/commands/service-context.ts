import { AppError, type ServiceContext } from '@koukan/services';
import type { Logger } from 'pino';
import { type OpenDatabase, withDatabase } from '../database.ts';
import type { CliEnv } from '../env.ts';
import { cliSecretKey } from '../secrets-key.ts';

/**
 * Runs `fn` with a service context over the CLI's database (migrated first) and the secret
 * store's key; service errors are printed as `error: <message>` with their fields, exit 1.
 */
export async function withServices(
  env: CliEnv,
  logger: Logger,
  options: { createKey: boolean },
  fn: (ctx: ServiceContext, database: OpenDatabase) => Promise<number>,
): Promise<number> {
  const secretKey = cliSecretKey(env, options.createKey);
  return withDatabase(env, logger, async ({ db, pool }, database) => {
    try {
      const { migrate } = await import('@koukan/db');
      await migrate(pool);
      return await fn(
        { db, logger, actor: 'system:cli', ...(secretKey && { secretKey }) },
        database,
      );
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      process.stderr.write(`error: ${err.message}\n`);
      for (const d of err.details) {
        if (d.field && !err.message.startsWith(`${d.field}:`))
          process.stderr.write(`  ${d.field}: ${d.message}\n`);
      }
      return 1;
    }
  });
}
