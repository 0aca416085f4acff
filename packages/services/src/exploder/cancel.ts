import { applyTransition, type DbOrTx, schema } from '@koukan/db';
import { and, eq, isNull, sql } from 'drizzle-orm';

const t = schema.transactions;

/**
 * Cancels the upstream transactions exploded from `downstreamId` that never got the body
 * (the downstream was cancelled before DATA completed): nothing of them was delivered.
 * Returns how many.
 */
export async function cancelExplodedUpstreams(
  db: DbOrTx,
  downstreamId: string,
  now: Date,
  actor: string,
): Promise<number> {
  const rows = await db
    .select({ id: t.id, status: t.status })
    .from(t)
    .where(
      and(
        eq(t.parentId, downstreamId),
        sql`${t.metadata}->>'exploded_from' = ${downstreamId}`,
        eq(t.status, 'queued'),
        isNull(t.bodyBlobId),
      ),
    );
  return applyTransition(db, {
    name: 'cancel',
    rows,
    actor,
    now,
    data: { reason: 'downstream cancelled before DATA', downstream: downstreamId },
  });
}
