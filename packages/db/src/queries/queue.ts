import { type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client/create-db.ts';
import type { TransactionStatus } from '../schema/transactions/state.ts';

/**
 * The operator's queues:
 * - `waiting`: queued with a next attempt time (served by `transactions_due_idx`);
 * - `held`: parked by an operator (`transactions_held_idx`);
 * - `failed`: failed for good since `failedSince` (`transactions_finished_idx`);
 * - `any`: no status condition (a selection of ids).
 */
export type QueueName = 'waiting' | 'held' | 'failed' | 'any';

/**
 * Which transactions a queue view, a group or a bulk action is about. Every condition given
 * must hold. `replyCode: null` / `replyPattern: null` select the transactions that have no
 * reply yet.
 */
export interface QueueFilter {
  queue: QueueName;
  senderId?: string;
  /** Destination domain: the domain of the first recipient, lower-case. */
  domain?: string;
  replyCode?: number | null;
  /** A pattern as `queueGroups` returns it (`koukan_reply_pattern`). */
  replyPattern?: string | null;
  /** `failed` only: finished at or after this time (default: 7 days ago). */
  failedSince?: Date;
  /** Only these transactions. */
  ids?: string[];
}

/** SQL of the derived keys, over the alias `t` (migration 0009 defines the functions). */
const queueKeys = {
  domain: sql`split_part(t.rcpt_addresses[1], '@', 2)`,
  reply: sql`koukan_last_reply(t.mail_response, t.rcpt_response, t.data_response)`,
  /** Stored (generated) columns: see migration 0009. */
  code: sql`t.reply_code`,
  pattern: sql`t.reply_pattern`,
};

/**
 * A list as one array parameter (drizzle would spread a JS array into a row of parameters).
 * For values without commas, quotes or braces: uuids and status names.
 */
export function arrayParam(values: readonly string[], type: 'uuid' | 'text'): SQL {
  const literal = `{${values.join(',')}}`;
  return type === 'uuid' ? sql`${literal}::uuid[]` : sql`${literal}::text[]`;
}

const WEEK_MS = 7 * 86_400_000;

function failedSinceOf(filter: QueueFilter): Date {
  return filter.failedSince ?? new Date(Date.now() - WEEK_MS);
}

/** The WHERE condition of a filter, over the alias `t`. */
export function queueCondition(filter: QueueFilter): SQL {
  const parts: SQL[] = [];
  switch (filter.queue) {
    case 'waiting':
      parts.push(sql`t.status = 'queued' and t.next_attempt_at is not null`);
      break;
    case 'held':
      parts.push(sql`t.status = 'held'`);
      break;
    case 'failed':
      parts.push(
        sql`t.status = 'failed' and t.finished_at >= ${failedSinceOf(filter).toISOString()}::timestamptz`,
      );
      break;
  }
  if (filter.senderId) parts.push(sql`t.sender_id = ${filter.senderId}::uuid`);
  const is = (key: SQL, value: unknown) =>
    value === null ? sql`${key} is null` : sql`${key} = ${value}`;
  if (filter.domain !== undefined) parts.push(is(queueKeys.domain, filter.domain.toLowerCase()));
  if (filter.replyCode !== undefined) parts.push(is(queueKeys.code, filter.replyCode));
  if (filter.replyPattern !== undefined) parts.push(is(queueKeys.pattern, filter.replyPattern));
  if (filter.ids) parts.push(sql`t.id = any(${arrayParam(filter.ids, 'uuid')})`);
  if (parts.length === 0) return sql`true`;
  return sql.join(parts, sql` and `);
}

export type QueueGroupBy = 'domain' | 'reply' | 'domain_reply';

export interface QueueGroup {
  domain: string | null;
  replyCode: number | null;
  replyPattern: string | null;
  /** One reply text of the group, verbatim, as an example. */
  sampleReply: string | null;
  count: number;
  oldestCreatedAt: Date;
  /** The group's earliest next attempt (waiting queue), null elsewhere. */
  nextAttemptAt: Date | null;
  /** Latest change: when the last one was held / failed. */
  lastChangeAt: Date;
}

/** Counts per group, largest first (at most `limit` groups). */
export async function queueGroups(
  db: DbOrTx,
  input: { filter: QueueFilter; groupBy: QueueGroupBy; limit?: number },
): Promise<QueueGroup[]> {
  const byDomain = input.groupBy !== 'reply';
  const byReply = input.groupBy !== 'domain';
  const result = await db.execute<{
    domain: string | null;
    reply_code: number | null;
    reply_pattern: string | null;
    sample_reply: string | null;
    count: number;
    oldest: string;
    next_attempt: string | null;
    last_change: string;
  }>(sql`
    select ${byDomain ? sql`domain` : sql`null::text`} as domain,
      ${byReply ? sql`code` : sql`null::int`} as reply_code,
      ${byReply ? sql`pattern` : sql`null::text`} as reply_pattern,
      ${byReply ? sql`min(koukan_reply_text(koukan_last_reply(mail_response, rcpt_response, data_response)))` : sql`null`} as sample_reply,
      count(*)::int as count, min(created_at) as oldest, min(next_attempt_at) as next_attempt,
      max(updated_at) as last_change
    from (
      select ${byDomain ? queueKeys.domain : sql`null`} as domain,
        ${byReply ? queueKeys.code : sql`null`} as code,
        ${byReply ? queueKeys.pattern : sql`null`} as pattern,
        t.mail_response, t.rcpt_response, t.data_response,
        t.created_at, t.next_attempt_at, t.updated_at
      from transactions t
      where ${queueCondition(input.filter)}
    ) x
    group by 1, 2, 3
    order by count desc, 1, 2, 3
    limit ${Math.min(input.limit ?? 100, 1000)}`);
  return result.rows.map((r) => ({
    domain: r.domain,
    replyCode: r.reply_code,
    replyPattern: r.reply_pattern,
    sampleReply: r.sample_reply,
    count: r.count,
    oldestCreatedAt: new Date(r.oldest),
    nextAttemptAt: r.next_attempt ? new Date(r.next_attempt) : null,
    lastChangeAt: new Date(r.last_change),
  }));
}

export interface QueueItem {
  id: string;
  senderId: string;
  status: TransactionStatus;
  mailFrom: string;
  rcptTo: string[];
  domain: string;
  attemptCount: number;
  reply: { code: number; message: string } | null;
  createdAt: Date;
  nextAttemptAt: Date | null;
  updatedAt: Date;
  finishedAt: Date | null;
  finalAttemptReason: string | null;
}

/**
 * The keyset of a queue page: its sort time (as PostgreSQL prints it, to the microsecond,
 * which a JavaScript Date would round) and id.
 */
export interface QueueCursor {
  at: string;
  id: string;
}

/** The column a queue is ordered by (each served by that queue's index). */
function sortColumn(queue: QueueName): { col: SQL; desc: boolean } {
  if (queue === 'waiting') return { col: sql`t.next_attempt_at`, desc: false };
  if (queue === 'held') return { col: sql`t.updated_at`, desc: false };
  if (queue === 'failed') return { col: sql`t.finished_at`, desc: true };
  return { col: sql`t.created_at`, desc: true };
}

/**
 * The transactions of a queue, group or filter: waiting ones by next attempt, held ones by
 * when they were held, failed ones newest first; keyset-paginated (pass the last item's
 * `cursor` back as `after`).
 */
export async function listQueue(
  db: DbOrTx,
  input: { filter: QueueFilter; after?: QueueCursor; limit?: number },
): Promise<{ items: QueueItem[]; next: QueueCursor | null }> {
  const { col, desc } = sortColumn(input.filter.queue);
  const limit = Math.min(input.limit ?? 50, 500);
  const after = input.after
    ? sql`and (${col}, t.id) ${desc ? sql`<` : sql`>`} (${input.after.at}::timestamptz, ${input.after.id}::uuid)`
    : sql``;
  const order = desc ? sql`${col} desc, t.id desc` : sql`${col} asc, t.id asc`;
  const result = await db.execute<Record<string, unknown>>(sql`
    select t.id, t.sender_id, t.status, t.mail_from ->> 'm' as mail_from, t.rcpt_addresses,
      ${queueKeys.domain} as domain, t.attempt_count, ${queueKeys.reply} as reply,
      t.created_at, t.next_attempt_at, t.updated_at, t.finished_at, t.final_attempt_reason,
      ${col}::text as sort_at
    from transactions t
    where ${queueCondition(input.filter)} ${after}
    order by ${order}
    limit ${limit}`);
  const date = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string));
  const items = result.rows.map((r) => ({
    id: r.id as string,
    senderId: r.sender_id as string,
    status: r.status as TransactionStatus,
    mailFrom: (r.mail_from as string | null) ?? '',
    rcptTo: r.rcpt_addresses as string[],
    domain: r.domain as string,
    attemptCount: r.attempt_count as number,
    reply: (r.reply as QueueItem['reply']) ?? null,
    createdAt: date(r.created_at)!,
    nextAttemptAt: date(r.next_attempt_at),
    updatedAt: date(r.updated_at)!,
    finishedAt: date(r.finished_at),
    finalAttemptReason: (r.final_attempt_reason as string | null) ?? null,
    sortAt: r.sort_at as string | null,
  }));
  const last = items.at(-1);
  const next = items.length === limit && last?.sortAt ? { at: last.sortAt, id: last.id } : null;
  return { items: items.map(({ sortAt: _s, ...i }) => i), next };
}
