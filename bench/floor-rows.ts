/**
 * The rows Koukan's data model keeps for one relayed single-recipient MX message, written the
 * fewest ways durability allows: one statement before the message goes upstream and one after
 * the upstream accepted it, each its own commit (`bench/node-floor.ts`'s `koukan` store).
 *
 * Per message, as Koukan writes them on its relay path (counted with pg_stat_user_tables during
 * `bench/smtp-latency.ts`): the body (a blob, its chunk, two references), the downstream
 * transaction (`smtp-mx`) and its upstream (`smtp-mx-output`) in flight under a lease, an
 * attempt each, the 16 timeline events, then both transactions and attempts finished. The
 * schema is Koukan's own (migrated), so its indexes, foreign keys and triggers (search rows,
 * blob reference counts, reply keys) all run. What it leaves out is Koukan's path, not its
 * data: the create at RCPT, the claim, the journal entries as separate commits.
 */
import { bodyHeaderFields } from '@koukan/services/header-fields';
import type pg from 'pg';

const EVENTS_BEFORE = [
  ['d', 'created'],
  ['d', 'blob_finalized'],
  ['d', 'exploded'],
  ['d', 'attempt_started'],
  ['u', 'body_shared'],
  ['u', 'attempt_started'],
  ['u', 'upstream_created'],
  ['u', 'upstream_body_sent'],
] as const;
const EVENTS_AFTER = [
  ['u', 'upstream_accepted'],
  ['u', 'upstream_done'],
  ['u', 'responses'],
  ['u', 'attempt_finished'],
  ['u', 'final'],
  ['d', 'responses'],
  ['d', 'attempt_finished'],
  ['d', 'final'],
] as const;

const eventRows = (events: readonly (readonly ['d' | 'u', string])[]) =>
  events.map(([who, type]) => `('${who}', '${type}')`).join(', ');

const ACCEPT = `
  with cfg as (select set_config('koukan.notify', 'deferred', true) as n),
  b as (
    insert into blobs (sender_id, status, size, chunk_count, content_type, finalized_at)
    select $1, 'finalized', $7, 1, 'message/rfc822', now() from cfg returning id),
  c as (insert into blob_chunks (blob_id, seq, "offset", data) select id, 0, 0, $6 from b),
  d as (
    insert into transactions (sender_id, status, mail_from, rcpt_to, rcpt_addresses,
      body_blob_id, message_id, subject, lease_owner, lease_expires_at)
    select $1, 'inflight', $3, $4, $5, b.id, $8, $9, $10, now() + interval '5 minutes' from b
    returning id, body_blob_id),
  u as (
    insert into transactions (sender_id, status, mail_from, rcpt_to, rcpt_addresses,
      body_blob_id, parent_id, message_id, subject, lease_owner, lease_expires_at)
    select $2, 'inflight', $3, $4, $5, d.body_blob_id, d.id, $8, $9, $10,
      now() + interval '5 minutes' from d
    returning id, body_blob_id),
  tb as (
    insert into transaction_blobs (transaction_id, blob_id)
    select id, body_blob_id from d union all select id, body_blob_id from u),
  da as (
    insert into attempts (transaction_id, number, instance_id, chain_name, chain_version)
    select id, 1, $10, 'smtp-mx', 1 from d returning id, transaction_id),
  ua as (
    insert into attempts (transaction_id, number, instance_id, chain_name, chain_version)
    select id, 1, $10, 'relay', 1 from u returning id, transaction_id),
  ev as (
    insert into events (transaction_id, attempt_id, type, data)
    select case e.who when 'd' then da.transaction_id else ua.transaction_id end,
      case e.who when 'd' then da.id else ua.id end, e.type, jsonb_build_object('at', e.type)
    from da, ua, (values ${eventRows(EVENTS_BEFORE)}) as e(who, type))
  select da.transaction_id as down, ua.transaction_id as up, da.id as "downAttempt",
    ua.id as "upAttempt"
  from da, ua`;

const DONE = `
  with cfg as (select set_config('koukan.notify', 'deferred', true) as n),
  t as (
    update transactions set status = 'delivered', mail_response = $5, rcpt_response = $6,
      data_response = $5, attempt_count = 1, finished_at = now(), lease_owner = null,
      lease_expires_at = null, version = version + 1, updated_at = now()
    from cfg where id = any(array[$1::uuid, $2::uuid]) returning id),
  a as (
    update attempts set finished_at = now(), outcome = 'success', upstream_host = '127.0.0.1',
      mail_response = $5, rcpt_response = $6, data_response = $5
    where id = any(array[$3::uuid, $4::uuid]) returning id),
  ev as (
    insert into events (transaction_id, attempt_id, type, data)
    select case e.who when 'd' then $1::uuid else $2::uuid end,
      case e.who when 'd' then $3::uuid else $4::uuid end, e.type, jsonb_build_object('at', e.type)
    from (values ${eventRows(EVENTS_AFTER)}) as e(who, type))
  select (select count(*) from t) as t, (select count(*) from a) as a`;

/** A stored message's rows: its two transactions and their attempts. */
export interface FloorIds {
  down: string;
  up: string;
  downAttempt: string;
  upAttempt: string;
}

export interface FloorRows {
  /** Before relaying: the message is stored. */
  accept(from: string, to: string[], raw: Buffer): Promise<FloorIds>;
  /** After the upstream accepted it. */
  done(ids: FloorIds): Promise<void>;
}

/** On a database migrated to Koukan's schema: two senders of its own, then the two statements. */
export async function koukanRows(pool: pg.Pool): Promise<FloorRows> {
  const senders = await pool.query<{ id: string }>(
    `insert into senders (name) values ('floor-mx'), ('floor-mx-output')
     on conflict (name) do update set name = excluded.name returning id`,
  );
  const [down, up] = senders.rows.map((r) => r.id) as [string, string];
  const owner = crypto.randomUUID();
  const ok = { code: 250, enhanced: '2.0.0', message: 'OK' };
  return {
    async accept(from, to, raw) {
      const { messageId, subject } = bodyHeaderFields(raw);
      const r = await pool.query<FloorIds>({
        name: 'floor-rows-accept',
        text: ACCEPT,
        values: [
          down,
          up,
          JSON.stringify({ m: from }),
          JSON.stringify(to.map((m) => ({ m }))),
          to,
          raw,
          raw.length,
          messageId,
          subject,
          owner,
        ],
      });
      return r.rows[0]!;
    },
    async done(ids) {
      const r = await pool.query({
        name: 'floor-rows-done',
        text: DONE,
        values: [
          ids.down,
          ids.up,
          ids.downAttempt,
          ids.upAttempt,
          JSON.stringify(ok),
          JSON.stringify([ok]),
        ],
      });
      if (Number(r.rows[0].t) !== 2 || Number(r.rows[0].a) !== 2) {
        throw new Error(
          `floor rows: finished ${r.rows[0].t} transactions, ${r.rows[0].a} attempts`,
        );
      }
    },
  };
}

/**
 * What a relayed message left in the database, from its downstream transaction: per transaction
 * (by sender, the floor's `floor-` prefix dropped) its status, attempts and timeline event
 * types, its body references and search row; the body's blob. Koukan's relay and `koukanRows`
 * must leave the same (`apps/cli/src/burst.test.ts` compares them).
 */
export async function messageFootprint(pool: pg.Pool, downstreamId: string) {
  const { rows } = await pool.query(
    `select regexp_replace(s.name, '^floor-', 'smtp-') as sender, t.status, t.attempt_count,
       t.parent_id is not null as upstream,
       (select array_agg(a.outcome order by a.number) from attempts a where a.transaction_id = t.id)
         as attempts,
       (select array_agg(e.type order by e.type) from events e where e.transaction_id = t.id)
         as events,
       (select count(*)::int from transaction_blobs b where b.transaction_id = t.id) as body_refs,
       (select count(*)::int from transaction_search x where x.transaction_id = t.id) as search_rows,
       (select jsonb_build_object('status', b.status, 'ref_count', b.ref_count,
          'chunks', (select count(*)::int from blob_chunks c where c.blob_id = b.id))
        from blobs b where b.id = t.body_blob_id) as blob
     from transactions t join senders s on s.id = t.sender_id
     where t.id = $1 or t.parent_id = $1
     order by t.parent_id nulls first`,
    [downstreamId],
  );
  return rows;
}
