import { sql } from 'drizzle-orm';
import { announceChanges, notifyMode } from '../client/change-hints.ts';
import type { DbOrTx } from '../client/create-db.ts';
import { executeTemplate, p } from '../client/prepared.ts';
import { mapRow } from '../client/rows.ts';
import { statementBatcher } from '../client/tick-batch.ts';
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

export interface HandOverInput {
  downstreamId: string;
  owner?: string;
  leaseMs?: number;
  limit?: number;
  skip?: string[];
}

type Row = {
  downstream: Record<string, unknown> | null;
  upstreams: { transaction: Record<string, unknown>; shared: boolean; attempt: unknown }[];
};

/**
 * The exploder's hand-over at DATA, in one statement: reads the downstream and its upstream
 * transactions; those still queued without a body get the downstream's body blob (each holds a
 * reference to it) and become due now, each with a `body_shared` event; and at most `limit` of
 * them (none of a sender in `skip`) are claimed for `owner` at the same time, as
 * `claimTransactions` would (in flight under a lease, attempt and `attempt_started` event).
 *
 * Hand-overs that concurrent exploders make in the same tick share the statement and its commit.
 */
export const handOverToUpstreams: (db: DbOrTx, input: HandOverInput) => Promise<HandOver> =
  statementBatcher(
    async (db, inputs: HandOverInput[]) => {
      const notify = notifyMode(db);
      const rows = await executeTemplate<Row & { id: string }>(
        db,
        'exploder:hand-overs',
        handOversStatement,
        {
          rows: JSON.stringify(
            inputs.map((input) => ({
              downstream: input.downstreamId,
              owner: input.owner ?? null,
              lease_secs: (input.leaseMs ?? 0) / 1000,
              lim: input.owner ? (input.limit ?? 0) : 0,
              skip: input.skip ?? [],
            })),
          ),
          notify: notify.mode,
        },
      );
      const byId = new Map(rows.map((r) => [r.id, r]));
      const out = inputs.map((input) => handOverOf(byId.get(input.downstreamId)));
      announceChanges(
        notify.pool,
        out.flatMap((h) =>
          h.upstreams
            .filter((u) => h.shared.includes(u.id))
            .map((u) => ({ id: u.id, version: u.version })),
        ),
      );
      return out;
    },
    (input) => input.downstreamId,
  );

function handOverOf(row: Row | undefined): HandOver {
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

/** The hand-over statement for any number of downstreams, each with its own claim terms. */
function handOversStatement() {
  return sql`
    with i as (
      select x.*, set_config('koukan.notify', ${p('notify')}, true) as notify
      from koukan_batch_rows(${p('rows')}::jsonb) as batch_row(v), jsonb_to_record(batch_row.v) as x(downstream uuid, owner uuid,
        lease_secs float8, lim int, skip uuid[])
    ), down as (
      -- lookups by key per batch row, however small the table was when the plan was made (a
      -- join lets a generic plan made on a young table read all of it every time)
      select t.* from i cross join lateral (
        select t.id, t.body_blob_id, t.rcpt_response from transactions t
        where t.id = i.downstream offset 0
      ) t
    ), family as (
      select f.* from i cross join lateral (
        select f.* from transactions f
        where f.parent_id = i.downstream and f.metadata->>'exploded_from' = i.downstream::text
        offset 0
      ) f
    ), waiting as (
      select f.id, f.parent_id from family f join down d on d.id = f.parent_id
      where f.status = 'queued' and f.body_blob_id is null and d.body_blob_id is not null
    ), start as (
      select id from (
        select f.id, i.lim, row_number() over (
          partition by f.parent_id order by (f.metadata->>'rcpt_index')::int) as n
        from family f join waiting w on w.id = f.id join i on i.downstream = f.parent_id
        where f.sender_id <> all(i.skip)
      ) ranked where n <= lim
    ), shared as (
      update transactions t set
        body_blob_id = d.body_blob_id,
        next_attempt_at = now(),
        status = case when s.id is null then t.status else 'inflight' end,
        lease_owner = case when s.id is null then null else i.owner end,
        lease_expires_at = case when s.id is null then null
          else now() + make_interval(secs => i.lease_secs) end,
        version = t.version + 1,
        updated_at = now()
      from waiting w join down d on d.id = w.parent_id join i on i.downstream = w.parent_id
        left join start s on s.id = w.id
      where t.id = w.id and t.status = 'queued' and t.body_blob_id is null
      returning t.*, s.id is not null as started
    ), refs as (
      insert into transaction_blobs (transaction_id, blob_id) select id, body_blob_id from shared
    ), opened as (
      insert into attempts (transaction_id, number, instance_id)
      select id, attempt_count + 1, lease_owner from shared where started
      returning *
    ), timeline as (
      insert into events (transaction_id, attempt_id, type, data)
      select id, null, 'body_shared', jsonb_build_object('downstream', parent_id::text) from shared
      union all
      select transaction_id, id, 'attempt_started', jsonb_build_object(
        'number', number, 'instance_id', instance_id::text)
      from opened
    )
    select i.downstream as id, (select row_to_json(d) from down d where d.id = i.downstream) as downstream,
      coalesce((select json_agg(json_build_object(
        'transaction', coalesce(row_to_json(s), row_to_json(f)),
        'shared', s.id is not null,
        'attempt', (select row_to_json(o) from opened o where o.transaction_id = f.id)))
        from family f left join shared s on s.id = f.id
        where f.parent_id = i.downstream), '[]') as upstreams
    from i`;
}
