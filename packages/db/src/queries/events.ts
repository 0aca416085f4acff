import { and, asc, eq, gt, lt } from 'drizzle-orm';
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

/**
 * The timeline of every attempt numbered below `number`, oldest first (undefined when there is
 * none): what earlier attempts did upstream, even when the one just before recorded nothing.
 */
export async function earlierAttemptsEvents(
  db: DbOrTx,
  transactionId: string,
  number: number,
): Promise<TimelineEvent[] | undefined> {
  const rows = await db
    .select({ event: events })
    .from(attempts)
    .leftJoin(events, eq(events.attemptId, attempts.id))
    .where(and(eq(attempts.transactionId, transactionId), lt(attempts.number, number)))
    .orderBy(asc(events.id));
  if (rows.length === 0) return undefined;
  return rows.flatMap((r) => (r.event ? [r.event] : []));
}
