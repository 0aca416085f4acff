import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  check,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { createdAt, id, updatedAt } from '../columns.ts';
import { senders } from '../senders/table.ts';
import type { NotificationPolicy, RetryPolicy } from '../senders/validation.ts';
import { transactionBlobs } from '../transaction-blobs/table.ts';
import type { TransactionStatus } from './state.ts';
import type { Mailbox, SmtpResponse } from './validation.ts';

/** Why a transaction ended (a CHECK constraint holds the column to these). */
export const finalAttemptReasons = [
  'upstream_success',
  'upstream_permanent_failure_mail',
  'upstream_permanent_failure_rcpt',
  'upstream_permanent_failure_data',
  'retry_policy_max_attempts',
  'retry_policy_deadline',
  'cancelled',
  'downstream_timeout',
  'no_retry_policy',
] as const;
export type FinalAttemptReason = (typeof finalAttemptReasons)[number];

/** One message to one recipient (or, downstream of the exploder, to several). */
export const transactions = pgTable(
  'transactions',
  {
    id: id(),
    senderId: uuid('sender_id')
      .notNull()
      // Deleting a sender never erases its mail history: refused while it has transactions.
      .references(() => senders.id, { onDelete: 'restrict' }),
    status: text('status').$type<TransactionStatus>().notNull().default('queued'),
    mailFrom: jsonb('mail_from').$type<Mailbox>().notNull(),
    rcptTo: jsonb('rcpt_to').$type<Mailbox[]>().notNull(),
    /** Lower-cased recipient addresses (the queue's domain; `transaction_search` from them). */
    rcptAddresses: text('rcpt_addresses').array().notNull(),
    /** The rfc822 body: one of the transaction's `transaction_blobs` (a composite foreign key). */
    bodyBlobId: uuid('body_blob_id'),
    /** A message-builder spec when the body is built by the chain. */
    bodySpec: jsonb('body_spec').$type<Record<string, unknown>>(),
    mailResponse: jsonb('mail_response').$type<SmtpResponse>(),
    rcptResponse: jsonb('rcpt_response').$type<(SmtpResponse | null)[]>(),
    dataResponse: jsonb('data_response').$type<SmtpResponse>(),
    attemptCount: integer('attempt_count').notNull().default(0),
    finalAttemptReason: text('final_attempt_reason'),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }),
    leaseOwner: uuid('lease_owner'),
    leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true }),
    /** Incremented on every change; the ETag. */
    version: integer('version').notNull().default(1),
    retry: jsonb('retry').$type<RetryPolicy | null>(),
    notification: jsonb('notification').$type<NotificationPolicy | null>(),
    idempotencyKey: text('idempotency_key'),
    /** Hash of the creating request, to tell a replay from a conflicting reuse of the key. */
    requestHash: text('request_hash'),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    /** Downstream transaction this one was exploded from, or original of a DSN. */
    parentId: uuid('parent_id').references((): AnyPgColumn => transactions.id, {
      onDelete: 'set null',
    }),
    /** The body's Message-ID header (with its angle brackets), stored with the body. */
    messageId: text('message_id'),
    /** The body's Subject header, decoded, stored with the body (for the console's list). */
    subject: text('subject'),
    cancelRequestedAt: timestamp('cancel_requested_at', { withTimezone: true }),
    /** When its (only) delay DSN was generated (migration 0010); null: none yet. */
    delayDsnAt: timestamp('delay_dsn_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    /**
     * The retry queue's group keys (migration 0009): code and masked text of the last reply
     * while the transaction waits, is held or failed; computed by PostgreSQL. Since 0013 a
     * trigger (`koukan_reply_keys`; the text with its enhanced code, `koukan_reply_text`, since
     * 0019) keeps them, only when the replies or the queue membership
     * change (a stored generated column is recomputed on every update); declared generated
     * here so that no insert or update ever sets them.
     */
    replyCode: integer('reply_code').generatedAlwaysAs(
      sql`CASE WHEN status IN ('queued', 'held', 'failed') THEN (koukan_last_reply(mail_response, rcpt_response, data_response) ->> 'code')::int END`,
    ),
    replyPattern: text('reply_pattern').generatedAlwaysAs(
      sql`CASE WHEN status IN ('queued', 'held', 'failed') THEN koukan_reply_pattern(koukan_reply_text(koukan_last_reply(mail_response, rcpt_response, data_response))) END`,
    ),
  },
  (t) => [
    index('transactions_due_idx')
      .on(t.nextAttemptAt)
      .where(sql`${t.status} = 'queued' and ${t.nextAttemptAt} is not null`),
    // Per-sender fairness in the engine's claim: each sender's earliest due transactions.
    index('transactions_sender_due_idx')
      .on(t.senderId, t.nextAttemptAt)
      .where(sql`${t.status} = 'queued' and ${t.nextAttemptAt} is not null`),
    // Transactions still waiting for their body (few: the uploads in progress), for the
    // retention pass that fails the abandoned ones.
    index('transactions_awaiting_body_idx')
      .on(t.createdAt)
      .where(sql`${t.status} = 'queued' and ${t.nextAttemptAt} is null`),
    index('transactions_waiting_group_idx')
      .on(sql`split_part(${t.rcptAddresses}[1], '@', 2)`, t.replyCode, t.replyPattern, t.id)
      .where(sql`${t.status} = 'queued' and ${t.nextAttemptAt} is not null`),
    index('transactions_held_idx').on(t.updatedAt, t.id).where(sql`${t.status} = 'held'`),
    index('transactions_lease_idx').on(t.leaseExpiresAt).where(sql`${t.status} = 'inflight'`),
    index('transactions_sender_created_idx').on(t.senderId, t.createdAt.desc(), t.id.desc()),
    index('transactions_created_idx').on(t.createdAt.desc(), t.id.desc()),
    index('transactions_parent_idx').on(t.parentId).where(sql`${t.parentId} is not null`),
    index('transactions_finished_idx').on(t.finishedAt).where(sql`${t.finishedAt} is not null`),
    uniqueIndex('transactions_sender_idempotency_key')
      .on(t.senderId, t.idempotencyKey)
      .where(sql`${t.idempotencyKey} is not null`),
    // The console's list filters (migration 0004), each newest first; its address searches are
    // on `transaction_search` (0020).
    index('transactions_status_created_idx').on(t.status, t.createdAt.desc(), t.id.desc()),
    index('transactions_sender_status_created_idx').on(
      t.senderId,
      t.status,
      t.createdAt.desc(),
      t.id.desc(),
    ),
    index('transactions_message_id_idx').on(t.messageId).where(sql`${t.messageId} is not null`),
    index('transactions_final_reason_created_idx')
      .on(t.finalAttemptReason, t.createdAt.desc(), t.id.desc())
      .where(sql`${t.finalAttemptReason} is not null`),
    // DEFERRABLE INITIALLY DEFERRED in the migration: a statement may write the reference row
    // after the transaction.
    foreignKey({
      name: 'transactions_body_blob_fkey',
      columns: [t.id, t.bodyBlobId],
      foreignColumns: [transactionBlobs.transactionId, transactionBlobs.blobId],
    }),
    check(
      'transactions_status_check',
      sql`${t.status} in ('queued', 'inflight', 'held', 'delivered', 'failed', 'cancelled')`,
    ),
    check(
      'transactions_final_attempt_reason_check',
      sql`${t.finalAttemptReason} is null or ${t.finalAttemptReason} in (${sql.raw(finalAttemptReasons.map((r) => `'${r}'`).join(', '))})`,
    ),
  ],
);

export type Transaction = typeof transactions.$inferSelect;
export type NewTransaction = typeof transactions.$inferInsert;
