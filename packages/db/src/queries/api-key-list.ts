import { and, desc, eq, isNull, like, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client/create-db.ts';
import { type ApiKey, apiKeys } from '../schema/api-keys/table.ts';
import { senders } from '../schema/senders/table.ts';

export interface ApiKeyRow extends ApiKey {
  senderName: string;
}

/**
 * API keys for the console: newest first, optionally of one sender, whose visible prefix
 * starts with `prefix`, with or without the revoked ones. Never the hash.
 */
export async function searchApiKeys(
  db: DbOrTx,
  input: { senderId?: string; prefix?: string; includeRevoked?: boolean; limit?: number },
): Promise<ApiKeyRow[]> {
  const conditions = [];
  if (input.senderId) conditions.push(eq(apiKeys.senderId, input.senderId));
  if (input.prefix) {
    conditions.push(like(apiKeys.prefix, `${input.prefix.replace(/[\\%_]/g, '\\$&')}%`));
  }
  if (!input.includeRevoked) conditions.push(isNull(apiKeys.revokedAt));
  const rows = await db
    .select({ key: apiKeys, senderName: senders.name })
    .from(apiKeys)
    .innerJoin(senders, eq(senders.id, apiKeys.senderId))
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id))
    .limit(Math.min(input.limit ?? 200, 1000));
  return rows.map((r) => ({ ...r.key, senderName: r.senderName }));
}

export async function getApiKeyById(db: DbOrTx, id: string): Promise<ApiKeyRow | undefined> {
  const [row] = await db
    .select({ key: apiKeys, senderName: senders.name })
    .from(apiKeys)
    .innerJoin(senders, eq(senders.id, apiKeys.senderId))
    .where(eq(apiKeys.id, sql`${id}::uuid`));
  return row && { ...row.key, senderName: row.senderName };
}
