import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../client/create-db.ts';
import { blobChunks } from '../schema/blobs/table.ts';
import { transactions } from '../schema/transactions/table.ts';

/** The first `bytes` bytes of a blob (from its first chunk): where its header block is. */
export async function readBlobHead(db: DbOrTx, blobId: string, bytes: number): Promise<Buffer> {
  const rows = await db
    .select({ data: sql<Buffer>`substring(${blobChunks.data} from 1 for ${bytes})` })
    .from(blobChunks)
    .where(sql`${blobChunks.blobId} = ${blobId} and ${blobChunks.seq} = 0`);
  const data = rows[0]?.data;
  return data ? Buffer.from(data) : Buffer.alloc(0);
}

export interface HeaderFieldValues {
  messageId: string | null;
  subject: string | null;
}

/**
 * Stores a body's Message-ID and Subject on the transaction and on the per-recipient
 * transactions exploded from it that have none yet (they share its body). Search data only:
 * the version (ETag) does not change.
 */
export async function setBodyHeaderFields(
  db: DbOrTx,
  transactionId: string,
  fields: HeaderFieldValues,
): Promise<void> {
  await db
    .update(transactions)
    .set({ messageId: fields.messageId, subject: fields.subject })
    .where(
      sql`${transactions.id} = ${transactionId}
        or (${transactions.parentId} = ${transactionId} and ${transactions.messageId} is null
            and ${transactions.metadata} ? 'exploded_from')`,
    );
}
