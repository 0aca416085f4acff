import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../testing/use-test-database.ts';
import { executeTemplate } from './prepared.ts';

const kinds = [...(process.env.DATABASE_URL ? (['postgres'] as const) : []), 'embedded' as const];

const square = () =>
  sql`select ${sql.placeholder('n')}::int * ${sql.placeholder('n')}::int as sq, ${7}::int as fixed`;

describe.each(kinds)('executeTemplate on %s', (kind) => {
  const t = useTestDatabase({ migrate: false, forceEmbedded: kind === 'embedded' });

  it('runs as a named statement of the connection, parsed once, literals kept', async () => {
    const names = await t.db.transaction(async (tx) => {
      const first = await executeTemplate<{ sq: number; fixed: number }>(tx, 'sq', square, {
        n: 3,
      });
      const again = await executeTemplate<{ sq: number }>(tx, 'sq', square, { n: 4 });
      expect(first).toEqual([{ sq: 9, fixed: 7 }]);
      expect(again).toEqual([{ sq: 16, fixed: 7 }]);
      const { rows } = await tx.execute<{ name: string; statement: string }>(
        sql`select name, statement from pg_prepared_statements`,
      );
      return rows;
    });
    const ours = names.filter((r) => r.name.startsWith('k_'));
    // one statement (the embedded server suffixes it with its connection: k_…@3)
    expect(ours).toHaveLength(1);
    expect(ours[0]!.statement).toMatch(/^\/\*k_[\w-]+\*\/select \$1::int \* \$2::int/);
  });

  it('keeps each connection its own statements when several run it at once', async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, n) =>
        t.db.transaction((tx) => executeTemplate<{ sq: number }>(tx, 'sq', square, { n })),
      ),
    );
    expect(results.map((r) => r[0]!.sq)).toEqual([0, 1, 4, 9, 16, 25]);
  });

  it('names the missing value instead of sending a statement without it', async () => {
    await expect(executeTemplate(t.db, 'sq', square, {})).rejects.toThrow(/n/);
  });
});
