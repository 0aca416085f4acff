import { createHash, randomBytes } from 'node:crypto';
import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client/create-db.ts';
import { withDbErrors } from '../client/errors.ts';
import { type ApiKey, apiKeys } from '../schema/api-keys/table.ts';
import { type Sender, senders } from '../schema/senders/table.ts';

const KEY_PATTERN = /^kk_([A-Za-z0-9]{10})_([A-Za-z0-9_-]{43})$/;

function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

function alnum(n: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(n);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

/** `kk_<10-char visible id>_<256-bit secret>`. */
function generateApiKey(): { key: string; prefix: string } {
  const prefix = `kk_${alnum(10)}`;
  return { key: `${prefix}_${randomBytes(32).toString('base64url')}`, prefix };
}

/**
 * Creates a key; the plaintext is returned here once and stored only as a hash. A gateway key
 * already registered for the sender is made a gateway key (an older one was a plain key).
 */
export async function createApiKey(
  db: DbOrTx,
  input: { senderId: string; name?: string; key?: string; gateway?: boolean },
): Promise<{ key: string; apiKey: ApiKey }> {
  let key = input.key;
  let prefix: string;
  if (key) {
    const m = KEY_PATTERN.exec(key);
    if (!m) throw new TypeError('an API key has the form kk_<10 letters or digits>_<43 base64url>');
    prefix = `kk_${m[1]}`;
  } else {
    ({ key, prefix } = generateApiKey());
  }
  const insert = db.insert(apiKeys).values({
    senderId: input.senderId,
    name: input.name ?? '',
    prefix,
    hash: hashApiKey(key),
    gateway: input.gateway ?? false,
  });
  const target = [apiKeys.senderId, apiKeys.hash];
  const [row] = await withDbErrors(() =>
    (input.gateway
      ? insert.onConflictDoUpdate({ target, set: { gateway: true } })
      : insert
    ).returning(),
  );
  return { key, apiKey: row! };
}

/** The live registrations of a presented plaintext key, with their senders. */
export async function findApiKey(
  db: DbOrTx,
  key: string,
): Promise<{ apiKey: ApiKey; sender: Sender }[]> {
  if (!KEY_PATTERN.test(key)) return [];
  return db
    .select({ apiKey: apiKeys, sender: senders })
    .from(apiKeys)
    .innerJoin(senders, eq(senders.id, apiKeys.senderId))
    .where(and(eq(apiKeys.hash, hashApiKey(key)), isNull(apiKeys.revokedAt)));
}

const TOUCH_INTERVAL_MS = 60_000;
const lastTouched = new Map<string, number>();

/**
 * Records use at most once a minute per key: the process remembers when it last did, so
 * authentication stays a single read on the hot path, and the UPDATE's own condition keeps
 * replicas from writing more often than that between them.
 */
export async function touchApiKey(db: DbOrTx, id: string): Promise<void> {
  const now = Date.now();
  if (now - (lastTouched.get(id) ?? 0) < TOUCH_INTERVAL_MS) return;
  if (lastTouched.size > 10_000) lastTouched.clear();
  lastTouched.set(id, now);
  await db
    .update(apiKeys)
    .set({ lastUsedAt: sql`now()` })
    .where(
      and(
        eq(apiKeys.id, id),
        sql`(${apiKeys.lastUsedAt} is null or ${apiKeys.lastUsedAt} < now() - interval '1 minute')`,
      ),
    );
}

export function listApiKeys(db: DbOrTx, senderId: string): Promise<ApiKey[]> {
  return db
    .select()
    .from(apiKeys)
    .where(eq(apiKeys.senderId, senderId))
    .orderBy(desc(apiKeys.createdAt));
}

export async function revokeApiKey(db: DbOrTx, id: string): Promise<boolean> {
  const rows = await db
    .update(apiKeys)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id });
  return rows.length > 0;
}
