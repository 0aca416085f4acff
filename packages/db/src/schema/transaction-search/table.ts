import { index, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { transactions } from '../transactions/table.ts';

/**
 * The console's search keys of a transaction (migration 0020), written by a trigger when the
 * transaction is inserted and when its envelope changes (recipients added by PATCH), never by
 * a status change: its GIN indexes are paid once per message, not on every claim and outcome.
 * Deleting the transaction deletes its row.
 */
export const transactionSearch = pgTable(
  'transaction_search',
  {
    transactionId: uuid('transaction_id')
      .primaryKey()
      .references(() => transactions.id, { onDelete: 'cascade' }),
    /** The envelope sender, lower-cased. */
    mailFrom: text('mail_from').notNull(),
    /** The lower-cased recipients, each after a space (`koukan_rcpt_text`): prefix search. */
    rcptText: text('rcpt_text').notNull(),
    /** The recipients' distinct domains (`koukan_rcpt_domains`). */
    rcptDomains: text('rcpt_domains').array().notNull(),
  },
  (t) => [
    index('transaction_search_mail_from_trgm_idx').using('gin', t.mailFrom.op('gin_trgm_ops')),
    index('transaction_search_rcpt_trgm_idx').using('gin', t.rcptText.op('gin_trgm_ops')),
    index('transaction_search_rcpt_domains_idx').using('gin', t.rcptDomains),
  ],
);
