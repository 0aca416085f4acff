import { asc, eq } from 'drizzle-orm';
import type { DbOrTx } from '../client/create-db.ts';
import { withDbErrors } from '../client/errors.ts';
import { type Attempt, attempts } from '../schema/attempts/table.ts';

export async function startAttempt(
  db: DbOrTx,
  input: { transactionId: string; number: number; instanceId?: string | null },
): Promise<Attempt> {
  const [row] = await withDbErrors(() => db.insert(attempts).values(input).returning());
  return row!;
}

export async function finishAttempt(
  db: DbOrTx,
  id: string,
  result: Pick<
    Attempt,
    'outcome' | 'upstreamHost' | 'mailResponse' | 'rcptResponse' | 'dataResponse' | 'error'
  >,
): Promise<Attempt> {
  const [row] = await db
    .update(attempts)
    .set({ ...result, finishedAt: new Date() })
    .where(eq(attempts.id, id))
    .returning();
  return row!;
}

export function listAttempts(db: DbOrTx, transactionId: string): Promise<Attempt[]> {
  return db
    .select()
    .from(attempts)
    .where(eq(attempts.transactionId, transactionId))
    .orderBy(asc(attempts.number));
}
