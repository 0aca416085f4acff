import { parseArgs } from 'node:util';
import { migrate as migrateDb } from '@koukan/db';
import { DEFAULT_DEMO_SENDERS, generateDemoData } from '@koukan/db/demo';
import type { Logger } from 'pino';
import { z } from 'zod';
import { withDatabase } from '../database.ts';
import type { CliEnv } from '../env.ts';

const argsSchema = z.strictObject({
  transactions: z.coerce.number().int().min(1).max(50_000_000),
  senders: z
    .string()
    .default(DEFAULT_DEMO_SENDERS.join(','))
    .transform((s) => s.split(',').map((x) => x.trim()))
    .pipe(z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'a sender name')).min(1)),
  days: z.coerce.number().int().min(1).max(365).default(7),
  batch: z.coerce.number().int().min(250).max(500_000).default(50_000),
});

export const demoDataUsage =
  'demo-data --transactions N [--senders a,b,c] [--days 7] [--batch 50000]';

/**
 * `koukan demo-data`: fills the database with generated transactions for trying the console
 * and for the console benchmark. Applies migrations first.
 */
export async function demoData(
  env: CliEnv,
  logger: Logger,
  argv: string[],
  out: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  let args: z.infer<typeof argsSchema>;
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        transactions: { type: 'string' },
        senders: { type: 'string' },
        days: { type: 'string' },
        batch: { type: 'string' },
      },
      strict: true,
    });
    const parsed = argsSchema.safeParse(values);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      process.stderr.write(
        `--${issue.path.join('.')}: ${issue.message}\nusage: koukan ${demoDataUsage}\n`,
      );
      return 2;
    }
    args = parsed.data;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\nusage: koukan ${demoDataUsage}\n`);
    return 2;
  }
  return withDatabase(env, logger, async ({ db, pool }) => {
    await migrateDb(pool);
    const started = Date.now();
    const result = await generateDemoData(db, {
      transactions: args.transactions,
      senders: args.senders,
      days: args.days,
      batch: args.batch,
      onProgress: (done, total) => {
        logger.info({ done, total, seconds: (Date.now() - started) / 1000 }, 'demo data');
      },
    });
    out.write(
      `generated ${result.transactions} transactions (${result.attempts} attempts, ${result.events} events) for ${result.senders.join(', ')} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
    return 0;
  });
}
