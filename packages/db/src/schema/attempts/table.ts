import { sql } from 'drizzle-orm';
import {
  check,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { id } from '../columns.ts';
import { transactions } from '../transactions/table.ts';
import type { SmtpResponse } from '../transactions/validation.ts';

export type AttemptOutcome = 'success' | 'temp_failure' | 'perm_failure' | 'abandoned';

/** One delivery attempt of a transaction, with what the upstream answered. */
export const attempts = pgTable(
  'attempts',
  {
    id: id(),
    transactionId: uuid('transaction_id')
      .notNull()
      .references(() => transactions.id, { onDelete: 'cascade' }),
    number: integer('number').notNull(),
    instanceId: uuid('instance_id'),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    upstreamHost: text('upstream_host'),
    mailResponse: jsonb('mail_response').$type<SmtpResponse>(),
    rcptResponse: jsonb('rcpt_response').$type<(SmtpResponse | null)[]>(),
    dataResponse: jsonb('data_response').$type<SmtpResponse>(),
    outcome: text('outcome').$type<AttemptOutcome>(),
    error: text('error'),
    /** The output chain (name and revision) that ran this attempt, as the engine had it. */
    chainName: text('chain_name'),
    chainVersion: integer('chain_version'),
  },
  (t) => [
    uniqueIndex('attempts_transaction_number_key').on(t.transactionId, t.number),
    check(
      'attempts_outcome_check',
      sql`${t.outcome} is null or ${t.outcome} in ('success', 'temp_failure', 'perm_failure', 'abandoned')`,
    ),
  ],
);

export type Attempt = typeof attempts.$inferSelect;
