import { customType, integer, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { createdAt, id, updatedAt } from '../columns.ts';

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

/**
 * A named secret (a DKIM private key, an API key a chain presents), stored encrypted: AES-256-GCM
 * under the secret key (KOUKAN_SECRETS_KEY or the key file), with the name as associated data.
 * `key_id` is the fingerprint of the key that encrypted it, so a wrong key is named as such.
 * The plaintext never reaches this table.
 */
export const secrets = pgTable(
  'secrets',
  {
    id: id(),
    name: text('name').notNull(),
    keyId: text('key_id').notNull(),
    nonce: bytea('nonce').notNull(),
    /** ciphertext followed by the 16-byte GCM tag */
    ciphertext: bytea('ciphertext').notNull(),
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('secrets_name_key').on(t.name)],
);

export type SecretRow = typeof secrets.$inferSelect;
