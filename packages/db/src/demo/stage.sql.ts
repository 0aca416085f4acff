import { sql } from 'drizzle-orm';

/**
 * The staging rows of one batch: every generated transaction's attributes, drawn with random()
 * in an inner query (volatile, so evaluated once per row) and shaped in the outer one.
 * Parameters: lo, hi (row numbers), sender ids and names, blob ids, days, run tag.
 */
export function stageStatement(p: {
  lo: number;
  hi: number;
  senderIds: string[];
  senderNames: string[];
  blobIds: string[];
  days: number;
  run: string;
}) {
  const senderIds = `{${p.senderIds.join(',')}}`;
  const senderNames = `{${p.senderNames.map((n) => `"${n}"`).join(',')}}`;
  const blobIds = `{${p.blobIds.join(',')}}`;
  return sql`
insert into demo_stage
select n, gen_random_uuid(), sid, sname, created_at, status, attempts, reason, rcpt, domain,
  mail_from,
  case when status in ('queued', 'held') or (status = 'failed' and reason = 'retry_policy_max_attempts')
    then 'defer' when status = 'failed' then 'perm' when status = 'delivered' then 'ok' else 'defer' end,
  case when status in ('delivered', 'failed', 'cancelled')
    then created_at + make_interval(secs => 2 + (power(2, attempts - 1) - 1) * 300 + r9 * 3) end,
  case when status = 'queued' then now() + make_interval(secs => 60 + r9 * 3600) end,
  (${blobIds}::uuid[])[1 + (n % ${p.blobIds.length})],
  '<' || to_hex(n) || '.' || substr(md5(n::text || ${p.run}), 1, 12) || '@' || sname || '.example>',
  subject,
  case when grouped then overlay(overlay(md5('demo-parent-' || ${p.run} || '-' || (n / 250))
    placing '4' from 13) placing '8' from 17)::uuid end
from (
  select n, sid, sname, grouped, rcpt, domain, subject,
    case when grouped
      then date_trunc('second', now() - make_interval(secs => ((n / 250) * 7919) % (${p.days} * 86400)))
      else date_trunc('second', now() - make_interval(secs => power(r1, 1.3) * ${p.days} * 86400)) end
      as created_at,
    case when r2 < 0.82 then 'delivered' when r2 < 0.86 then 'failed' when r2 < 0.93 then 'queued'
      when r2 < 0.94 then 'held' else 'cancelled' end as status,
    case when r2 < 0.82 then (case when r3 < 0.9 then 1 else 2 + (r3 * 10)::int % 2 end)
      when r2 < 0.86 then (case when r3 < 0.75 then 1 else 5 end)
      when r2 < 0.94 then 1 + (r3 * 4)::int
      else (r3 * 2)::int end as attempts,
    case when r2 < 0.82 then 'upstream_success'
      when r2 < 0.86 then (case when r3 < 0.6 then 'upstream_permanent_failure_rcpt'
        when r3 < 0.75 then 'upstream_permanent_failure_data' else 'retry_policy_max_attempts' end)
      when r2 >= 0.94 then 'cancelled' end as reason,
    case when r8 < 0.7 or grouped then 'noreply@' || sname || '.example'
      else 'bounces+' || to_hex(n) || '@' || sname || '.example' end as mail_from,
    r9
  from (
    select n, r1, r2, r3, r8, r9, sid, sname, grouped, local || '@' || domain as rcpt, domain,
      (array['Your order #', 'Receipt for payment #', 'Your weekly digest #',
        'Password reset request #', 'Invoice #', 'Shipping update for order #'])[1 + (n % 6)]
        || (100000 + n)::text as subject
    from (
      select n, r1, r2, r3, r8, r9,
        (${senderIds}::uuid[])[si] as sid,
        (${senderNames}::text[])[si] as sname,
        grouped,
        (array['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy',
          'mallory', 'niaj', 'olivia', 'peggy', 'rupert', 'sybil', 'trent', 'victor', 'walter',
          'yuki', 'zoe', 'amir', 'bea', 'chen', 'dmitri', 'eva', 'fatima', 'goran', 'hana', 'ines'])
          [1 + floor(r5 * 30)::int]
          || '.' || (array['smith', 'jones', 'garcia', 'muller', 'rossi', 'tanaka', 'kim',
          'nguyen', 'silva', 'kowalski', 'dubois', 'jensen'])[1 + floor(r6 * 12)::int]
          || floor(r6 * 1000)::int::text as local,
        case when r7 < 0.30 then 'gmail.com' when r7 < 0.40 then 'yahoo.com'
          when r7 < 0.48 then 'outlook.com' when r7 < 0.54 then 'hotmail.com'
          when r7 < 0.59 then 'icloud.com' when r7 < 0.61 then 'aol.com'
          when r7 < 0.63 then 'gmx.de' when r7 < 0.65 then 'web.de'
          when r7 < 0.665 then 'orange.fr' when r7 < 0.68 then 'comcast.net'
          else 'customer' || floor(power(r8, 3) * 5000)::int || '.example' end as domain
      from (
        select *, case when grouped then 1 + ((n / 250) % ${p.senderIds.length})
            else 1 + floor(power(r4, 2.5) * ${p.senderIds.length})::int end as si
        from (
          select n, n % 250 < 4 as grouped, random() r1, random() r2, random() r3, random() r4,
            random() r5, random() r6, random() r7, random() r8, random() r9
          from generate_series(${p.lo}::bigint, ${p.hi}::bigint) n
        ) q
      ) r
    ) s
  ) u
) v`;
}
