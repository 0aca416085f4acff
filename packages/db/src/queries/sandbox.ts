import { and, desc, eq, ilike, inArray, or, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client/create-db.ts';
import { blobs } from '../schema/blobs/table.ts';
import { type SandboxMessage, sandboxMessages } from '../schema/sandbox/table.ts';

export type SandboxMessageInput = Omit<SandboxMessage, 'id' | 'createdAt'>;

export async function insertSandboxMessage(
  db: DbOrTx,
  input: SandboxMessageInput,
): Promise<SandboxMessage> {
  const [row] = await db.insert(sandboxMessages).values(input).returning();
  return row!;
}

export interface SandboxListInput {
  mailbox?: string;
  /** Case-insensitive substring of the subject, envelope sender, a recipient or Message-ID. */
  search?: string;
  /** Keyset: the `created_at` (as PostgreSQL prints it) and id of the last row seen. */
  before?: { at: string; id: string };
  limit?: number;
}

/** Newest first, keyset-paginated, per mailbox (`sandbox_messages_mailbox_idx`). */
export async function listSandboxMessages(
  db: DbOrTx,
  input: SandboxListInput,
): Promise<{ items: SandboxMessage[]; next: { at: string; id: string } | null }> {
  const m = sandboxMessages;
  const conditions: SQL[] = [];
  if (input.mailbox) conditions.push(eq(m.mailbox, input.mailbox));
  if (input.search) {
    const like = `%${input.search.replace(/[\\%_]/g, '\\$&')}%`;
    conditions.push(
      or(
        ilike(m.subject, like),
        ilike(m.mailFrom, like),
        ilike(m.messageId, like),
        sql`exists (select 1 from unnest(${m.rcptTo}) r where r ilike ${like})`,
      )!,
    );
  }
  if (input.before) {
    conditions.push(
      sql`(${m.createdAt}, ${m.id}) < (${input.before.at}::timestamptz, ${input.before.id}::uuid)`,
    );
  }
  const limit = Math.min(input.limit ?? 50, 500);
  const rows = await db
    .select({ row: m, at: sql<string>`${m.createdAt}::text` })
    .from(m)
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(desc(m.createdAt), desc(m.id))
    .limit(limit);
  const last = rows.at(-1);
  return {
    items: rows.map((r) => r.row),
    next: rows.length === limit && last ? { at: last.at, id: last.row.id } : null,
  };
}

export async function getSandboxMessage(
  db: DbOrTx,
  id: string,
): Promise<SandboxMessage | undefined> {
  const [row] = await db.select().from(sandboxMessages).where(eq(sandboxMessages.id, id));
  return row;
}

/** Mailboxes with their message counts and newest message, by name. */
export async function sandboxMailboxes(
  db: DbOrTx,
): Promise<{ mailbox: string; count: number; latest: Date }[]> {
  const result = await db.execute<{ mailbox: string; count: number; latest: string }>(sql`
    select mailbox, count(*)::int as count, max(created_at) as latest
    from sandbox_messages group by 1 order by 1`);
  return result.rows.map((r) => ({ ...r, latest: new Date(r.latest) }));
}

/**
 * Deletes sandbox messages (by id, or a whole mailbox, or all) and the blobs that no row holds
 * any more (`ref_count`, derived from the referencing rows, is up to date after the delete).
 * Call inside a transaction. Returns how many messages and blobs were deleted.
 */
export async function deleteSandboxMessages(
  db: DbOrTx,
  input: { id: string } | { mailbox: string } | { all: true },
): Promise<{ deleted: number; blobsFreed: number }> {
  const m = sandboxMessages;
  const where =
    'id' in input
      ? eq(m.id, input.id)
      : 'mailbox' in input
        ? eq(m.mailbox, input.mailbox)
        : undefined;
  const rows = await db.delete(m).where(where).returning({ blobId: m.blobId });
  const held = [...new Set(rows.flatMap((r) => (r.blobId ? [r.blobId] : [])))];
  if (held.length === 0) return { deleted: rows.length, blobsFreed: 0 };
  const freed = await db
    .delete(blobs)
    .where(and(inArray(blobs.id, held), eq(blobs.refCount, 0)))
    .returning({ id: blobs.id });
  return { deleted: rows.length, blobsFreed: freed.length };
}
