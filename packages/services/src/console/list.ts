import {
  getSenderByName,
  searchTransactions,
  type TransactionSearch,
  type TransactionSearchRow,
} from '@koukan/db';
import type { ServiceCall } from '../context.ts';
import { parseInput } from '../errors.ts';
import { normaliseMessageId } from '../transactions/header-fields.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import {
  type ListTransactionsInput,
  listTransactionsInputSchema,
  type TransactionPage,
  type TransactionSummary,
} from './list-schema.ts';
import { latestReply } from './replies.ts';

/**
 * Transactions, newest first, keyset-paginated (opaque cursor), filtered. The console's list
 * and the sender-scoped REST listing both call this. An unknown sender is an empty page.
 */
export async function listTransactions({
  ctx,
  input,
}: ServiceCall<ListTransactionsInput>): Promise<TransactionPage> {
  const f = parseInput(listTransactionsInputSchema, input);
  const search: TransactionSearch = { limit: f.limit + 1 };
  if (f.status) search.statuses = [...new Set([f.status].flat())];
  if (f.sender) {
    const sender = await getSenderByName(ctx.db, f.sender);
    if (!sender) return { items: [], nextCursor: null };
    search.senderId = sender.id;
  }
  if (f.mail_from_prefix) search.mailFromPrefix = f.mail_from_prefix.toLowerCase();
  if (f.rcpt_prefix) search.rcptPrefix = f.rcpt_prefix.toLowerCase();
  if (f.rcpt_domain) search.rcptDomain = f.rcpt_domain.toLowerCase().replace(/^@/, '');
  if (f.message_id) {
    const id = normaliseMessageId(f.message_id);
    if (id) search.messageId = id;
  }
  if (f.final_reason) search.finalReason = f.final_reason;
  if (f.created_after) search.createdAfter = f.created_after;
  if (f.created_before) search.createdBefore = f.created_before;
  if (f.cursor) search.after = decodeCursor(f.cursor);
  const rows = await searchTransactions(ctx.db, search);
  const page = rows.slice(0, f.limit);
  const last = page[page.length - 1];
  return {
    items: page.map(toSummary),
    nextCursor:
      rows.length > f.limit && last
        ? encodeCursor({ createdAt: last.keysetTime, id: last.id })
        : null,
  };
}

export function toSummary(r: Omit<TransactionSearchRow, 'keysetTime'>): TransactionSummary {
  return {
    id: r.id,
    sender: r.sender,
    mail_from: r.mailFrom.m,
    recipients: r.rcptTo.map((m) => m.m),
    status: r.status,
    attempt_count: r.attemptCount,
    final_attempt_reason: r.finalAttemptReason,
    latest_reply: latestReply(r),
    message_id: r.messageId,
    subject: r.subject,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
    next_attempt_at: r.nextAttemptAt?.toISOString() ?? null,
    parent_id: r.parentId,
  };
}
