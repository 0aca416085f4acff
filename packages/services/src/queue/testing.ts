import type { Db, schema } from '@koukan/db';
import { sql } from 'drizzle-orm';

export interface GeneratedGroup {
  count: number;
  domain: string;
  status?: schema.TransactionStatus;
  /** The last reply, per message `i` (so texts can vary by id, address, count…). */
  reply?: (i: number) => { code: number; message: string } | null;
  /** Next attempt, seconds from now (waiting messages). */
  dueInS?: number;
}

/**
 * Inserts the transactions of each group in one statement per group (test and bench data: no
 * bodies, so they are never claimable by an engine). Returns their ids.
 */
export async function generateQueue(
  db: Db,
  senderId: string,
  groups: GeneratedGroup[],
): Promise<string[]> {
  const ids: string[] = [];
  for (const g of groups) {
    const replies = Array.from({ length: g.count }, (_, i) => g.reply?.(i) ?? null);
    const status = g.status ?? 'queued';
    const result = await db.execute<{ id: string }>(sql`
      insert into transactions (sender_id, status, mail_from, rcpt_to, rcpt_addresses,
        rcpt_response, attempt_count, next_attempt_at, finished_at, final_attempt_reason)
      select ${senderId}::uuid, ${status}, '{"m":"app@example.com"}'::jsonb,
        jsonb_build_array(jsonb_build_object('m', 'user' || n || '@' || ${g.domain})),
        array['user' || n || '@' || ${g.domain}],
        case when r.reply is null then null else jsonb_build_array(r.reply) end,
        case when r.reply is null then 0 else 1 end,
        case when ${status} = 'queued'
          then now() + make_interval(secs => ${g.dueInS ?? 600}) end,
        case when ${status} in ('failed', 'delivered', 'cancelled') then now() end,
        case when ${status} = 'failed' then 'upstream_permanent_failure_rcpt'
          when ${status} = 'delivered' then 'upstream_success'
          when ${status} = 'cancelled' then 'cancelled' end
      from (select nullif(x, 'null'::jsonb) as reply, n
        from jsonb_array_elements(${JSON.stringify(replies)}::jsonb) with ordinality as e(x, n)) r
      returning id`);
    ids.push(...result.rows.map((r) => r.id));
  }
  return ids;
}
