import { and, asc, count, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client/create-db.ts';
import { transactions as t } from '../schema/transactions/table.ts';

const linkedColumns = {
  id: t.id,
  status: t.status,
  rcptTo: t.rcptTo,
  finalAttemptReason: t.finalAttemptReason,
  createdAt: t.createdAt,
  metadata: t.metadata,
};

/** Transactions with `parent_id` = id: exploded children and DSNs, oldest first. */
export function listLinkedTransactions(db: DbOrTx, parentId: string, limit: number) {
  return db
    .select(linkedColumns)
    .from(t)
    .where(eq(t.parentId, parentId))
    .orderBy(asc(t.createdAt), asc(t.id))
    .limit(limit);
}

export async function countLinkedTransactions(db: DbOrTx, parentId: string): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(t)
    .where(and(eq(t.parentId, parentId), sql`${t.metadata} ? 'exploded_from'`));
  return row?.n ?? 0;
}

export async function getLinkedTransaction(db: DbOrTx, id: string) {
  const [row] = await db.select(linkedColumns).from(t).where(eq(t.id, id));
  return row;
}

export type LinkedTransactionRow = Awaited<ReturnType<typeof getLinkedTransaction>> & {};
