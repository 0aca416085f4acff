import { appendEvents, type DbOrTx, schema } from '@koukan/db';
import { and, eq, isNull, sql } from 'drizzle-orm';

const t = schema.transactions;

/**
 * Cancels the upstream transactions exploded from `downstreamId` that never got the body
 * (the downstream was cancelled before DATA completed): nothing of them was delivered.
 * Returns their ids.
 */
export async function cancelExplodedUpstreams(
  db: DbOrTx,
  downstreamId: string,
  now: Date,
  actor: string,
): Promise<string[]> {
  const rows = await db
    .update(t)
    .set({
      status: 'cancelled',
      finalAttemptReason: 'cancelled',
      finishedAt: now,
      nextAttemptAt: null,
      cancelRequestedAt: now,
      version: sql`${t.version} + 1`,
      updatedAt: sql`now()`,
    })
    .where(
      and(
        eq(t.parentId, downstreamId),
        sql`${t.metadata}->>'exploded_from' = ${downstreamId}`,
        eq(t.status, 'queued'),
        isNull(t.bodyBlobId),
      ),
    )
    .returning({ id: t.id });
  await appendEvents(
    db,
    rows.map((r) => ({
      transactionId: r.id,
      type: 'cancelled',
      data: { actor, reason: 'downstream cancelled before DATA', downstream: downstreamId },
    })),
  );
  return rows.map((r) => r.id);
}
