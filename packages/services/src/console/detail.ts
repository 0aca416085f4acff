import {
  countLinkedTransactions,
  getBlob,
  getChainRevision,
  getLinkedTransaction,
  getSenderById,
  getTransaction,
  type LinkedTransactionRow,
  listAttempts,
  listEvents,
  listLinkedTransactions,
  schema,
} from '@koukan/db';
import { desc, eq } from 'drizzle-orm';
import { chainByName, type ServiceCall } from '../context.ts';
import { type AppError, fieldError, parseInput } from '../errors.ts';
import { iso } from '../transactions/view.ts';
import {
  type AttemptDetail,
  type ChainAtRun,
  type EventDetail,
  type LinkedTransaction,
  type TransactionDetail,
  type TransactionIdInput,
  type TransactionStamp,
  transactionIdInputSchema,
} from './detail-schema.ts';
import { toSummary } from './list.ts';
import { replyDetail } from './replies.ts';

const CHILDREN_MAX = 1000;
const EVENTS_MAX = 5000;

export function transactionNotFound(id: string): AppError {
  return fieldError('not_found', `no transaction ${id}`, 'id', 'unknown transaction');
}

/** Everything the delivery timeline page shows about one transaction. */
export async function getTransactionDetail({
  ctx,
  input,
}: ServiceCall<TransactionIdInput>): Promise<TransactionDetail> {
  const { id } = parseInput(transactionIdInputSchema, input);
  const tx = await getTransaction(ctx.db, id);
  if (!tx) throw transactionNotFound(id);
  const [sender, attempts, events, linked, childrenTotal, blob] = await Promise.all([
    getSenderById(ctx.db, tx.senderId),
    listAttempts(ctx.db, id),
    listEvents(ctx.db, id, 0, EVENTS_MAX),
    listLinkedTransactions(ctx.db, id, CHILDREN_MAX + 1000),
    countLinkedTransactions(ctx.db, id),
    tx.bodyBlobId ? getBlob(ctx.db, tx.bodyBlobId) : undefined,
  ]);
  const dsnFor = typeof tx.metadata.dsn_for === 'string' ? tx.metadata.dsn_for : null;
  const [parentRow, dsnOfRow] = await Promise.all([
    tx.parentId && !dsnFor ? getLinkedTransaction(ctx.db, tx.parentId) : undefined,
    dsnFor ? getLinkedTransaction(ctx.db, dsnFor) : undefined,
  ]);
  const chain = await chainAtRun(ctx, sender?.outputChain ?? null, attempts);
  const rcpt = tx.rcptResponse ?? [];
  return {
    transaction: {
      ...toSummary({ ...tx, sender: sender?.name ?? '' }),
      rcpt_to: tx.rcptTo,
      mail_from_params: tx.mailFrom.e,
      version: tx.version,
      finished_at: iso(tx.finishedAt),
      lease_owner: tx.leaseOwner,
      lease_expires_at: iso(tx.leaseExpiresAt),
      cancel_requested_at: iso(tx.cancelRequestedAt),
      retry: tx.retry,
      notification: tx.notification,
      metadata: tx.metadata,
      mail_reply: replyDetail(tx.mailResponse),
      rcpt_replies: rcpt.map(replyDetail),
      data_reply: replyDetail(tx.dataResponse),
      body: {
        kind: tx.bodySpec ? 'message_builder' : tx.bodyBlobId ? 'rfc822' : 'none',
        status: blob?.status ?? null,
        size: blob?.size ?? null,
      },
    },
    sender: {
      id: tx.senderId,
      name: sender?.name ?? '',
      output_chain: sender?.outputChain ?? null,
    },
    chain,
    attempts: attempts.map((a) => attemptDetail(a, events)),
    events: events.map((e, i) => ({
      id: e.id,
      at: e.at.toISOString(),
      type: e.type,
      attempt_id: e.attemptId,
      data: e.data,
      since_previous_ms: i === 0 ? null : e.at.getTime() - events[i - 1]!.at.getTime(),
    })) satisfies EventDetail[],
    parent: parentRow ? linkedOf(parentRow) : null,
    children: linked
      .filter((l) => 'exploded_from' in l.metadata)
      .slice(0, CHILDREN_MAX)
      .map(linkedOf),
    children_total: childrenTotal,
    dsns: linked.filter((l) => 'dsn_for' in l.metadata).map(linkedOf),
    dsn_of: dsnOfRow ? linkedOf(dsnOfRow) : null,
  };
}

function linkedOf(r: LinkedTransactionRow): LinkedTransaction {
  return {
    id: r.id,
    status: r.status,
    recipients: r.rcptTo.map((m) => m.m),
    final_attempt_reason: r.finalAttemptReason,
    created_at: r.createdAt.toISOString(),
  };
}

/**
 * The chain as it ran: the revision the engine recorded on the latest attempt
 * (`attempts.chain_name/chain_version`, revision_source `recorded`); before any attempt, or for
 * attempts from before revisions were recorded, the chain's current revision (`current`).
 */
async function chainAtRun(
  ctx: ServiceCall<unknown>['ctx'],
  name: string | null,
  attempts: schema.Attempt[],
): Promise<ChainAtRun> {
  const ran = attempts.findLast((a) => a.chainName && a.chainVersion !== null);
  const current = await chainByName(ctx, ran?.chainName ?? name ?? '');
  if (ran?.chainName && ran.chainVersion !== null && current) {
    const revision = await getChainRevision(ctx.db, current.id, ran.chainVersion);
    if (revision) {
      return {
        name: ran.chainName,
        version: revision.version,
        filters: revision.filters,
        revision_source: 'recorded',
      };
    }
  }
  if (!current) return { name, version: null, filters: [], revision_source: 'missing' };
  return {
    name: current.name,
    version: current.version,
    filters: current.filters,
    revision_source: 'current',
  };
}

function attemptDetail(a: schema.Attempt, events: schema.TimelineEvent[]): AttemptDetail {
  const tls = events.find(
    (e) => e.attemptId === a.id && e.data.tls && typeof e.data.tls === 'object',
  )?.data.tls as Record<string, unknown> | undefined;
  return {
    id: a.id,
    number: a.number,
    instance_id: a.instanceId,
    started_at: a.startedAt.toISOString(),
    finished_at: iso(a.finishedAt),
    duration_ms: a.finishedAt ? a.finishedAt.getTime() - a.startedAt.getTime() : null,
    upstream_host: a.upstreamHost,
    tls: tls ?? null,
    outcome: a.outcome,
    error: a.error,
    mail_reply: replyDetail(a.mailResponse),
    rcpt_replies: (a.rcptResponse ?? []).map(replyDetail),
    data_reply: replyDetail(a.dataResponse),
  };
}

/**
 * The transaction's version, status and newest event id: the live timeline re-reads the detail
 * when this changes (after a change notification on `koukan_transactions`, or on a poll).
 */
export async function getTransactionStamp({
  ctx,
  input,
}: ServiceCall<TransactionIdInput>): Promise<TransactionStamp> {
  const { id } = parseInput(transactionIdInputSchema, input);
  const t = schema.transactions;
  const e = schema.events;
  const [row] = await ctx.db
    .select({ id: t.id, status: t.status, version: t.version, updatedAt: t.updatedAt })
    .from(t)
    .where(eq(t.id, id));
  if (!row) throw transactionNotFound(id);
  const [last] = await ctx.db
    .select({ id: e.id })
    .from(e)
    .where(eq(e.transactionId, id))
    .orderBy(desc(e.id))
    .limit(1);
  return {
    id: row.id,
    status: row.status,
    version: row.version,
    updated_at: row.updatedAt.toISOString(),
    last_event_id: last?.id ?? 0,
  };
}
