import { sql } from 'drizzle-orm';
import { bigint, index, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { blobs } from '../blobs/table.ts';
import { createdAt, id } from '../columns.ts';
import { transactions } from '../transactions/table.ts';

/**
 * The sandbox inbox: one row per message a `sandbox` filter kept instead of delivering, with
 * what the inbox lists and searches (envelope, Subject, Message-ID). The bytes are a blob
 * holding one reference for the row; deleting the row releases it.
 */
export const sandboxMessages = pgTable(
  'sandbox_messages',
  {
    id: id(),
    mailbox: text('mailbox').notNull(),
    transactionId: uuid('transaction_id').references(() => transactions.id, {
      onDelete: 'set null',
    }),
    /** The sender whose chain kept it. */
    sender: text('sender').notNull(),
    mailFrom: text('mail_from').notNull(),
    rcptTo: text('rcpt_to').array().notNull(),
    subject: text('subject').notNull().default(''),
    messageId: text('message_id'),
    /** Its reference to the copy's blob (counted in `blobs.ref_count`, migration 0018). */
    blobId: uuid('blob_id').references(() => blobs.id),
    size: bigint('size', { mode: 'number' }).notNull().default(0),
    createdAt: createdAt(),
  },
  (t) => [
    index('sandbox_messages_mailbox_idx').on(t.mailbox, t.createdAt.desc(), t.id.desc()),
    index('sandbox_messages_created_idx').on(t.createdAt.desc(), t.id.desc()),
    index('sandbox_messages_blob_idx').on(t.blobId).where(sql`${t.blobId} is not null`),
  ],
);

export type SandboxMessage = typeof sandboxMessages.$inferSelect;
