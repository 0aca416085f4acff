import { boolean, integer, jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { createdAt, id, updatedAt } from '../columns.ts';
import type { NotificationPolicy, RetryPolicy } from './validation.ts';

/** A sender: who may submit, and which output chain its transactions run through. */
export const senders = pgTable(
  'senders',
  {
    id: id(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    outputChain: text('output_chain'),
    enabled: boolean('enabled').notNull().default(true),
    retry: jsonb('retry').$type<RetryPolicy | null>(),
    notification: jsonb('notification').$type<NotificationPolicy | null>(),
    settings: jsonb('settings').$type<Record<string, unknown>>().notNull().default({}),
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('senders_name_key').on(t.name)],
);

export type Sender = typeof senders.$inferSelect;
export type NewSender = typeof senders.$inferInsert;
