import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { chains } from '../chains/table.ts';
import { createdAt, id, updatedAt } from '../columns.ts';
import type { NotificationPolicy, RetryPolicy } from './validation.ts';

/** A sender: who may submit, and which output chain its transactions run through. */
export const senders = pgTable(
  'senders',
  {
    id: id(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    /** The chain its transactions run through (migration 0018: a chain's rename follows). */
    outputChain: text('output_chain').references(() => chains.name, {
      onUpdate: 'cascade',
      onDelete: 'restrict',
    }),
    enabled: boolean('enabled').notNull().default(true),
    retry: jsonb('retry').$type<RetryPolicy | null>(),
    notification: jsonb('notification').$type<NotificationPolicy | null>(),
    settings: jsonb('settings').$type<Record<string, unknown>>().notNull().default({}),
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('senders_name_key').on(t.name),
    index('senders_output_chain_idx').on(t.outputChain).where(sql`${t.outputChain} is not null`),
  ],
);

export type Sender = typeof senders.$inferSelect;
