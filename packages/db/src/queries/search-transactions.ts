import { and, eq, gte, inArray, lt, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client/create-db.ts';
import { senders } from '../schema/senders/table.ts';
import { transactionSearch as s } from '../schema/transaction-search/table.ts';
import type { TransactionStatus } from '../schema/transactions/state.ts';
import { transactions as t } from '../schema/transactions/table.ts';

/** The console's transaction filters, already normalised (lower-cased, bracketed Message-ID). */
export interface TransactionSearch {
  statuses?: TransactionStatus[];
  senderId?: string;
  /** Lower-case prefix of the envelope sender. */
  mailFromPrefix?: string;
  /** Lower-case prefix of any recipient. */
  rcptPrefix?: string;
  /** Lower-case recipient domain. */
  rcptDomain?: string;
  messageId?: string;
  finalReason?: string;
  createdAfter?: Date;
  createdBefore?: Date;
  /** Keyset: rows strictly older than this (created_at as `keysetTime` text, id). */
  after?: { createdAt: string; id: string };
  limit: number;
}

/** created_at in UTC with microseconds: a keyset position exact to the stored precision. */
const keysetTime = sql<string>`to_char(${t.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

const likePrefix = (s: string) => `${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * The WHERE of a search; each condition matches an index of migration 0004, the address ones
 * those of `transaction_search` (0020), in one sub-select.
 */
function searchConditions(f: TransactionSearch): SQL[] {
  const c: SQL[] = [];
  if (f.statuses?.length === 1) c.push(eq(t.status, f.statuses[0]!));
  else if (f.statuses?.length) c.push(inArray(t.status, f.statuses));
  if (f.senderId) c.push(eq(t.senderId, f.senderId));
  const found: SQL[] = [];
  if (f.mailFromPrefix) found.push(sql`${s.mailFrom} like ${likePrefix(f.mailFromPrefix)}`);
  if (f.rcptPrefix) found.push(sql`${s.rcptText} like ${`% ${likePrefix(f.rcptPrefix)}`}`);
  if (f.rcptDomain) found.push(sql`${s.rcptDomains} @> array[${f.rcptDomain}]::text[]`);
  if (found.length) {
    c.push(sql`${t.id} in (select ${s.transactionId} from ${s} where ${and(...found)})`);
  }
  if (f.messageId) c.push(eq(t.messageId, f.messageId));
  if (f.finalReason) c.push(eq(t.finalAttemptReason, f.finalReason));
  if (f.createdAfter) c.push(gte(t.createdAt, f.createdAfter));
  if (f.createdBefore) c.push(lt(t.createdAt, f.createdBefore));
  if (f.after) {
    c.push(
      sql`(${t.createdAt}, ${t.id}) < (${f.after.createdAt}::timestamptz, ${f.after.id}::uuid)`,
    );
  }
  return c;
}

/**
 * One page of transactions, newest first (created_at, then id: stable under equal times), with
 * only the columns a list shows. Returns up to `limit` rows; ask for one more to know whether
 * another page follows.
 */
export function searchTransactions(db: DbOrTx, f: TransactionSearch) {
  const where = searchConditions(f);
  return (
    db
      .select({
        id: t.id,
        sender: senders.name,
        mailFrom: t.mailFrom,
        rcptTo: t.rcptTo,
        status: t.status,
        attemptCount: t.attemptCount,
        finalAttemptReason: t.finalAttemptReason,
        mailResponse: t.mailResponse,
        rcptResponse: t.rcptResponse,
        dataResponse: t.dataResponse,
        messageId: t.messageId,
        subject: t.subject,
        createdAt: t.createdAt,
        keysetTime,
        updatedAt: t.updatedAt,
        nextAttemptAt: t.nextAttemptAt,
        parentId: t.parentId,
      })
      .from(t)
      .innerJoin(senders, eq(senders.id, t.senderId))
      .where(where.length ? and(...where) : undefined)
      // NULLS LAST as the indexes are (drizzle's `.desc()`): a page is an index range, no sort.
      .orderBy(sql`${t.createdAt} desc nulls last`, sql`${t.id} desc nulls last`)
      .limit(f.limit)
  );
}

export type TransactionSearchRow = Awaited<ReturnType<typeof searchTransactions>>[number];
