import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../client/create-db.ts';
import { executeTemplate } from '../client/prepared.ts';

/**
 * The exploder's hand-over at DATA, in one statement: the upstream transactions `ids` that are
 * still queued without a body get the downstream's body blob (each holds a reference to it) and
 * become due now, each with a `body_shared` event. Returns those that got it, with
 * the version the hand-over left (an upstream that has a body already, e.g. on a re-run, is
 * left as it is).
 */
export async function shareBodyWithUpstreams(
  db: DbOrTx,
  input: { downstreamId: string; blobId: string; ids: string[] },
): Promise<{ id: string; version: number }[]> {
  if (input.ids.length === 0) return [];
  const rows = await executeTemplate<{ id: string; version: number }>(
    db,
    'exploder:share-body',
    shareStatement,
    { ids: input.ids, blob: input.blobId, downstream: input.downstreamId },
  );
  return rows.map((r) => ({ id: r.id, version: Number(r.version) }));
}

function shareStatement() {
  const p = (name: string) => sql.placeholder(name);
  return sql`
    with shared as (
      update transactions set
        body_blob_id = ${p('blob')}::uuid,
        next_attempt_at = now(),
        version = version + 1,
        updated_at = now()
      where id = any(${p('ids')}::uuid[]) and status = 'queued' and body_blob_id is null
      returning id, version
    ), refs as (
      insert into transaction_blobs (transaction_id, blob_id) select id, ${p('blob')}::uuid from shared
    ), timeline as (
      insert into events (transaction_id, type, data)
      select id, 'body_shared', jsonb_build_object('downstream', ${p('downstream')}::text)
      from shared
    )
    select id, version from shared`;
}
