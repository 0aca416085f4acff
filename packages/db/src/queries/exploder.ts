import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../client/create-db.ts';
import { executeTemplate, p } from '../client/prepared.ts';
import { mapRow } from '../client/rows.ts';
import { attempts } from '../schema/attempts/table.ts';
import { type Transaction, transactions } from '../schema/transactions/table.ts';
import type { ClaimedTransaction } from './delivery.ts';

export interface HandOver {
  /** The downstream's body and RCPT answers; undefined when it is gone. */
  downstream?: Pick<Transaction, 'bodyBlobId' | 'rcptResponse'>;
  /** Its upstream transactions (`metadata.exploded_from`), as the hand-over left them. */
  upstreams: Transaction[];
  /** The ids that got the body now (an upstream that had one already, on a re-run, did not). */
  shared: string[];
  /** Those of them claimed for `owner` (cut-through), each with its attempt opened. */
  claimed: ClaimedTransaction[];
}

/**
 * The exploder's hand-over at DATA, in one statement: reads the downstream and its upstream
 * transactions; those still queued without a body get the downstream's body blob (each holds a
 * reference to it) and become due now, each with a `body_shared` event; and at most `limit` of
 * them (none of a sender in `skip`) are claimed for `owner` at the same time, as
 * `claimTransactions` would (in flight under a lease, attempt and `attempt_started` event).
 */
export async function handOverToUpstreams(
  db: DbOrTx,
  input: {
    downstreamId: string;
    owner?: string;
    leaseMs?: number;
    limit?: number;
    skip?: string[];
  },
): Promise<HandOver> {
  const [row] = await executeTemplate<{
    downstream: Record<string, unknown> | null;
    upstreams: { transaction: Record<string, unknown>; shared: boolean; attempt: unknown }[];
  }>(db, 'exploder:hand-over', handOverStatement, {
    downstream: input.downstreamId,
    owner: input.owner ?? null,
    leaseSecs: (input.leaseMs ?? 0) / 1000,
    limit: input.owner ? (input.limit ?? 0) : 0,
    skip: input.skip ?? [],
  });
  const out: HandOver = { upstreams: [], shared: [], claimed: [] };
  if (row?.downstream) {
    const d = mapRow(transactions, row.downstream);
    out.downstream = { bodyBlobId: d.bodyBlobId, rcptResponse: d.rcptResponse };
  }
  for (const u of row?.upstreams ?? []) {
    const transaction = mapRow(transactions, u.transaction);
    out.upstreams.push(transaction);
    if (u.shared) out.shared.push(transaction.id);
    if (u.attempt) {
      const attempt = mapRow(attempts, u.attempt as Record<string, unknown>);
      out.claimed.push({ transaction, attempt });
    }
  }
  return out;
}

function handOverStatement() {
  const down = sql`${p('downstream')}::uuid`;
  return sql`
    with down as (
      select body_blob_id, rcpt_response from transactions where id = ${down}
    ), family as (
      select * from transactions
      where parent_id = ${down} and metadata->>'exploded_from' = ${down}::text
    ), waiting as (
      select f.id from family f, down d
      where f.status = 'queued' and f.body_blob_id is null and d.body_blob_id is not null
    ), start as (
      select f.id from family f join waiting w on w.id = f.id
      where f.sender_id <> all(${p('skip')}::uuid[])
      order by (f.metadata->>'rcpt_index')::int
      limit ${p('limit')}::int
    ), shared as (
      update transactions t set
        body_blob_id = d.body_blob_id,
        next_attempt_at = now(),
        status = case when s.id is null then t.status else 'inflight' end,
        lease_owner = case when s.id is null then null else ${p('owner')}::uuid end,
        lease_expires_at = case when s.id is null then null
          else now() + make_interval(secs => ${p('leaseSecs')}::float8) end,
        version = t.version + 1,
        updated_at = now()
      from waiting w cross join down d left join start s on s.id = w.id
      where t.id = w.id and t.status = 'queued' and t.body_blob_id is null
      returning t.*, s.id is not null as started
    ), refs as (
      insert into transaction_blobs (transaction_id, blob_id) select id, body_blob_id from shared
    ), opened as (
      insert into attempts (transaction_id, number, instance_id)
      select id, attempt_count + 1, ${p('owner')}::uuid from shared where started
      returning *
    ), timeline as (
      insert into events (transaction_id, attempt_id, type, data)
      select id, null, 'body_shared', jsonb_build_object('downstream', ${down}::text) from shared
      union all
      select transaction_id, id, 'attempt_started', jsonb_build_object(
        'number', number, 'instance_id', ${p('owner')}::text)
      from opened
    )
    select (select row_to_json(d) from down d) as downstream,
      coalesce((select json_agg(json_build_object(
        'transaction', coalesce(row_to_json(s), row_to_json(f)),
        'shared', s.id is not null,
        'attempt', (select row_to_json(o) from opened o where o.transaction_id = f.id)))
        from family f left join shared s on s.id = f.id), '[]') as upstreams`;
}
