import { bigint, index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { attempts } from '../attempts/table.ts';
import { transactions } from '../transactions/table.ts';

/** The delivery timeline: an append-only list of what happened to a transaction. */
export const events = pgTable(
  'events',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    transactionId: uuid('transaction_id')
      .notNull()
      .references(() => transactions.id, { onDelete: 'cascade' }),
    /** Checked at commit (deferred): an attempt and its events are written in one transaction. */
    attemptId: uuid('attempt_id').references(() => attempts.id, { onDelete: 'set null' }),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    type: text('type').notNull(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [index('events_transaction_idx').on(t.transactionId, t.id)],
);

export type TimelineEvent = typeof events.$inferSelect;
