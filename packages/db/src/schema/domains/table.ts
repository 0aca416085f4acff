import { integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, updatedAt } from '../columns.ts';
import type { DomainSettings } from './validation.ts';

/** A sending domain: Koukan signs its mail and tells what to publish in its DNS. */
export const domains = pgTable(
  'domains',
  {
    id: id(),
    /** lower-case, ASCII (A-labels) */
    name: text('name').notNull(),
    settings: jsonb('settings').$type<DomainSettings>().notNull().default({}),
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('domains_name_key').on(t.name)],
);

/**
 * A DKIM key of a domain. The private key is the secret `secret_name`; `public_key` is the
 * `p=` value. A key signs from `active_from` (a rotated-in key waits for its record to be
 * published) until a newer key of its algorithm is active; it stays published until
 * `retire_at` so that mail signed with it still verifies.
 */
export const domainKeys = pgTable(
  'domain_keys',
  {
    id: id(),
    domainId: uuid('domain_id')
      .notNull()
      .references(() => domains.id, { onDelete: 'cascade' }),
    selector: text('selector').notNull(),
    algorithm: text('algorithm').$type<'rsa-sha256' | 'ed25519-sha256'>().notNull(),
    publicKey: text('public_key').notNull(),
    secretName: text('secret_name').notNull(),
    activeFrom: timestamp('active_from', { withTimezone: true }).notNull().defaultNow(),
    retireAt: timestamp('retire_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('domain_keys_domain_selector_key').on(t.domainId, t.selector)],
);

export type Domain = typeof domains.$inferSelect;
export type DomainKey = typeof domainKeys.$inferSelect;
