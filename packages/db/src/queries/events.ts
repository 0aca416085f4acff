import { and, asc, eq, gt } from 'drizzle-orm';
import type { DbOrTx } from '../client/create-db.ts';
import { withDbErrors } from '../client/errors.ts';
import { events, type TimelineEvent } from '../schema/events/table.ts';

export interface EventInput {
  transactionId: string;
  type: string;
  attemptId?: string | null;
  data?: Record<string, unknown>;
}

export async function appendEvents(db: DbOrTx, input: EventInput[]): Promise<TimelineEvent[]> {
  if (input.length === 0) return [];
  return withDbErrors(() => db.insert(events).values(input).returning());
}

export async function appendEvent(db: DbOrTx, input: EventInput): Promise<TimelineEvent> {
  const [row] = await appendEvents(db, [input]);
  return row!;
}

export function listEvents(
  db: DbOrTx,
  transactionId: string,
  afterId = 0,
  limit = 1000,
): Promise<TimelineEvent[]> {
  return db
    .select()
    .from(events)
    .where(and(eq(events.transactionId, transactionId), gt(events.id, afterId)))
    .orderBy(asc(events.id))
    .limit(limit);
}
