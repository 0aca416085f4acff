import { and, asc, desc, eq, gt, lt } from 'drizzle-orm';
import type { DbOrTx } from '../client/create-db.ts';
import { withDbErrors } from '../client/errors.ts';
import { attempts } from '../schema/attempts/table.ts';
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

/** The timeline of the attempt numbered just below `number` (undefined when there is none). */
export async function previousAttemptEvents(
  db: DbOrTx,
  transactionId: string,
  number: number,
): Promise<TimelineEvent[] | undefined> {
  const [prev] = await db
    .select({ id: attempts.id })
    .from(attempts)
    .where(and(eq(attempts.transactionId, transactionId), lt(attempts.number, number)))
    .orderBy(desc(attempts.number))
    .limit(1);
  if (!prev) return undefined;
  return db
    .select()
    .from(events)
    .where(and(eq(events.transactionId, transactionId), eq(events.attemptId, prev.id)))
    .orderBy(asc(events.id));
}
