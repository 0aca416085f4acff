import {
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { createdAt, id, updatedAt } from '../columns.ts';

/** A filter config as stored: `{ filter: name, ...config }`, validated by @koukan/chain. */
export type FilterConfig = { filter: string } & Record<string, unknown>;

/** A named output chain; `version` increments on every change, each kept in chain_revisions. */
export const chains = pgTable(
  'chains',
  {
    id: id(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    filters: jsonb('filters').$type<FilterConfig[]>().notNull(),
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('chains_name_key').on(t.name)],
);

export const chainRevisions = pgTable(
  'chain_revisions',
  {
    chainId: uuid('chain_id')
      .notNull()
      .references(() => chains.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    filters: jsonb('filters').$type<FilterConfig[]>().notNull(),
    author: text('author').notNull(),
    comment: text('comment').notNull().default(''),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ name: 'chain_revisions_pkey', columns: [t.chainId, t.version] })],
);

export type Chain = typeof chains.$inferSelect;
export type ChainRevision = typeof chainRevisions.$inferSelect;
