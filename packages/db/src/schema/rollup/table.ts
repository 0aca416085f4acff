import { bigint, integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { senders } from '../senders/table.ts';

export const rollupOutcomes = ['accepted', 'delivered', 'deferred', 'failed', 'cancelled'] as const;
export type RollupOutcome = (typeof rollupOutcomes)[number];

/**
 * Messages per minute, per sender, per outcome, for the console's dashboard. Maintained by the
 * router's rollup job from the timeline (events), never by a scan of transactions.
 */
export const deliveryRollup = pgTable(
  'delivery_rollup',
  {
    minute: timestamp('minute', { withTimezone: true }).notNull(),
    senderId: uuid('sender_id')
      .notNull()
      .references(() => senders.id, { onDelete: 'cascade' }),
    outcome: text('outcome').$type<RollupOutcome>().notNull(),
    count: integer('count').notNull(),
  },
  (t) => [primaryKey({ name: 'delivery_rollup_pkey', columns: [t.minute, t.senderId, t.outcome] })],
);

/** Deferrals per minute, per recipient domain, per reply (code and normalised text). */
export const deferralRollup = pgTable(
  'deferral_rollup',
  {
    minute: timestamp('minute', { withTimezone: true }).notNull(),
    domain: text('domain').notNull(),
    /** 0 when the attempt failed without an SMTP reply (connection error, timeout). */
    replyCode: integer('reply_code').notNull(),
    /** The reply's enhanced status code; '' when it gave none (migration 0019). */
    replyEnhanced: text('reply_enhanced').notNull().default(''),
    replyText: text('reply_text').notNull(),
    count: integer('count').notNull(),
  },
  (t) => [
    primaryKey({
      name: 'deferral_rollup_pkey',
      columns: [t.minute, t.domain, t.replyCode, t.replyEnhanced, t.replyText],
    }),
  ],
);

/** How far a rollup has read the timeline (see the rollup job). */
export const rollupState = pgTable('rollup_state', {
  name: text('name').primaryKey(),
  watermark: bigint('watermark', { mode: 'number' }).notNull().default(0),
  pendingUpto: bigint('pending_upto', { mode: 'number' }),
  pendingAt: timestamp('pending_at', { withTimezone: true }),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
