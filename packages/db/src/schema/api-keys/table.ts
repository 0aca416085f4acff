import { boolean, index, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id } from '../columns.ts';
import { senders } from '../senders/table.ts';

/**
 * API keys: random, shown once, stored as a SHA-256 hash (the key has 256 bits of entropy, so a
 * slow KDF adds nothing), with a visible prefix for operators and revocation by timestamp.
 * A key authenticates as every sender it is registered for.
 */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: id(),
    senderId: uuid('sender_id')
      .notNull()
      .references(() => senders.id, { onDelete: 'cascade' }),
    name: text('name').notNull().default(''),
    prefix: text('prefix').notNull(),
    hash: text('hash').notNull(),
    /** The SMTP gateway's own credential: may set a transaction's `session` facts. */
    gateway: boolean('gateway').notNull().default(false),
    createdAt: createdAt(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [
    // The same key may be registered for several senders (KOUKAN_SEED_API_KEY), once each.
    uniqueIndex('api_keys_sender_hash_key').on(t.senderId, t.hash),
    index('api_keys_hash_idx').on(t.hash),
  ],
);

export type ApiKey = typeof apiKeys.$inferSelect;
