import { and, asc, eq, gt, lt, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client/create-db.ts';
import { withDbErrors } from '../client/errors.ts';
import { executeTemplate, p } from '../client/prepared.ts';
import { mapRow } from '../client/rows.ts';
import { statementBatcher } from '../client/tick-batch.ts';
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

/** One event, as a prepared statement (attempts' journals write one or two per message). */
export async function appendEvent(db: DbOrTx, input: EventInput): Promise<TimelineEvent> {
  const [row] = await withDbErrors(() =>
    executeTemplate(db, 'event:append', appendStatement, {
      tx: input.transactionId,
      attempt: input.attemptId ?? null,
      type: input.type,
      data: JSON.stringify(input.data ?? {}),
    }),
  );
  return mapRow(events, row!);
}

/**
 * One event of an attempt's journal, durable when the promise resolves. The journal events that
 * concurrent attempts record in the same tick share one statement and one commit (an SMTP relay
 * records two per message).
 */
export const recordJournalEvent: (db: DbOrTx, input: EventInput) => Promise<void> =
  statementBatcher(async (db, inputs: EventInput[]) => {
    const rows = inputs.map((input) => ({
      transaction_id: input.transactionId,
      attempt_id: input.attemptId ?? null,
      type: input.type,
      data: input.data ?? {},
    }));
    await withDbErrors(() =>
      executeTemplate(db, 'event:append-many', appendManyStatement, {
        rows: JSON.stringify(rows),
      }),
    );
    return inputs.map(() => undefined);
  });

function appendManyStatement() {
  return sql`insert into events (transaction_id, attempt_id, type, data)
    select x.transaction_id, x.attempt_id, x.type, x.data
    from koukan_batch_rows(${p('rows')}::jsonb) as batch_row(v), jsonb_to_record(batch_row.v)
      as x(transaction_id uuid, attempt_id uuid, type text, data jsonb)`;
}

function appendStatement() {
  return sql`insert into events (transaction_id, attempt_id, type, data)
    values (${p('tx')}::uuid, ${p('attempt')}::uuid, ${p('type')}, ${p('data')}::jsonb) returning *`;
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
