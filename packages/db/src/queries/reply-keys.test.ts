import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../testing/use-test-database.ts';

const t = useTestDatabase();

async function keys(id: string) {
  const { rows } = await t.pool.query<{ reply_code: number | null; reply_pattern: string | null }>(
    'select reply_code, reply_pattern from transactions where id = $1',
    [id],
  );
  return rows[0];
}

describe('retry queue keys (reply_code, reply_pattern), kept by a trigger', () => {
  it('follow the replies and the status, and cannot be written directly', async () => {
    const { rows: s } = await t.pool.query<{ id: string }>(
      `insert into senders (name) values ('keys-' || gen_random_uuid()) returning id`,
    );
    const { rows } = await t.pool.query<{ id: string }>(
      `insert into transactions (sender_id, status, mail_from, rcpt_to, rcpt_addresses, next_attempt_at)
       values ($1, 'queued', '{"m":"a@example.com"}', '[{"m":"b@example.net"}]', '{b@example.net}', now())
       returning id`,
      [s[0]!.id],
    );
    const id = rows[0]!.id;
    expect(await keys(id)).toEqual({ reply_code: null, reply_pattern: null });
    const reply = (code: number, message: string) =>
      t.pool.query('update transactions set rcpt_response = $2 where id = $1', [
        id,
        JSON.stringify([{ code, message }]),
      ]);
    await reply(452, '4.2.2 mailbox full (1234 bytes) for b@example.net');
    expect(await keys(id)).toEqual({
      reply_code: 452,
      reply_pattern: '4.2.2 mailbox full (# bytes) for <addr>',
    });
    // A change elsewhere in the row keeps them; held and failed are queue statuses too.
    await t.pool.query(
      `update transactions set status = 'held', next_attempt_at = null where id = $1`,
      [id],
    );
    expect((await keys(id))?.reply_code).toBe(452);
    await t.pool.query(`update transactions set status = 'delivered' where id = $1`, [id]);
    expect(await keys(id)).toEqual({ reply_code: null, reply_pattern: null });
    await t.pool.query(`update transactions set status = 'failed' where id = $1`, [id]);
    expect((await keys(id))?.reply_pattern).toBe('4.2.2 mailbox full (# bytes) for <addr>');
    // A direct write is recomputed from the replies.
    await t.pool.query(
      `update transactions set reply_code = 999, reply_pattern = 'x' where id = $1`,
      [id],
    );
    expect((await keys(id))?.reply_code).toBe(452);
    await reply(550, '5.1.1 user unknown');
    expect(await keys(id)).toEqual({ reply_code: 550, reply_pattern: '5.1.1 user unknown' });
  });

  it.each([
    [
      'are computed for a row inserted with its replies',
      { message: '5.7.1 rejected by mx1.example.net' },
    ],
    [
      'read the structured reply as its text with the enhanced code first, as before 0019',
      { enhanced: '5.7.1', message: 'rejected by mx1.example.net' },
    ],
  ])('%s', async (_name, reply) => {
    const { rows: s } = await t.pool.query<{ id: string }>(
      `insert into senders (name) values ('keys-' || gen_random_uuid()) returning id`,
    );
    const { rows } = await t.pool.query<{ reply_code: number; reply_pattern: string }>(
      `insert into transactions (sender_id, status, mail_from, rcpt_to, rcpt_addresses, data_response)
       values ($1, 'failed', '{"m":"a@example.com"}', '[{"m":"b@example.net"}]', '{b@example.net}', $2)
       returning reply_code, reply_pattern`,
      [s[0]!.id, { code: 554, ...reply }],
    );
    expect(rows[0]).toEqual({ reply_code: 554, reply_pattern: '5.7.1 rejected by <host>' });
  });
});

describe('migration 0021: the insert trigger skips rows whose keys can only be NULL', () => {
  // What koukan_reply_keys computes, by the same functions, for each row as inserted.
  const expected = `case when status in ('queued', 'held', 'failed') then
      (koukan_last_reply(mail_response, rcpt_response, data_response) ->> 'code')::int end as code,
    case when status in ('queued', 'held', 'failed') then koukan_reply_pattern(koukan_reply_text(
      koukan_last_reply(mail_response, rcpt_response, data_response))) end as pattern`;

  it.each([
    [
      'RCPT accepted (the SMTP create at RCPT)',
      'queued',
      null,
      [{ code: 250, message: 'ok' }],
      null,
    ],
    [
      'a RCPT refused among accepted ones',
      'queued',
      null,
      [
        { code: 250, message: 'ok' },
        { code: 550, message: '5.1.1 no b@x.org' },
      ],
      null,
    ],
    ['a code given as text', 'queued', null, [{ code: '550', message: 'no' }], null],
    ['a reply without a code', 'queued', null, [{ message: 'odd' }], null],
    ['a null among the replies', 'queued', null, [null, { code: 250, message: 'ok' }], null],
    ['no RCPT replies', 'queued', null, [], null],
    ['a MAIL reply', 'queued', { code: 250, message: 'ok' }, [{ code: 250, message: 'ok' }], null],
    [
      'a DATA reply',
      'failed',
      null,
      [{ code: 250, message: 'ok' }],
      { code: 554, message: '5.7.1 spam' },
    ],
    ['RCPT replies not in a list', 'held', null, { code: 451, message: 'later' }, null],
    ['not a queue status', 'delivered', null, [{ code: 550, message: 'no' }], null],
  ])('%s', async (_name, status, mail, rcpt, data) => {
    const { rows: s } = await t.pool.query<{ id: string }>(
      `insert into senders (name) values ('keys-' || gen_random_uuid()) returning id`,
    );
    const { rows } = await t.pool.query<{
      reply_code: number | null;
      reply_pattern: string | null;
    }>(
      `insert into transactions (sender_id, status, mail_from, rcpt_to, rcpt_addresses,
         mail_response, rcpt_response, data_response, reply_code, reply_pattern)
       values ($1, $2, '{"m":"a@example.com"}', '[{"m":"b@example.net"}]', '{b@example.net}', $3, $4, $5, null, null)
       returning reply_code, reply_pattern, ${expected}`,
      [s[0]!.id, status, JSON.stringify(mail), JSON.stringify(rcpt), JSON.stringify(data)],
    );
    const r = rows[0] as unknown as Record<string, unknown>;
    expect({ code: r.reply_code, pattern: r.reply_pattern }).toEqual({
      code: r.code,
      pattern: r.pattern,
    });
  });

  it('still recomputes keys written directly on a row whose replies give none', async () => {
    const { rows: s } = await t.pool.query<{ id: string }>(
      `insert into senders (name) values ('keys-' || gen_random_uuid()) returning id`,
    );
    const { rows } = await t.pool.query<{
      reply_code: number | null;
      reply_pattern: string | null;
    }>(
      `insert into transactions (sender_id, status, mail_from, rcpt_to, rcpt_addresses, rcpt_response, reply_code, reply_pattern)
       values ($1, 'queued', '{"m":"a@example.com"}', '[]', '{}', '[{"code": 250, "message": "ok"}]', 999, 'x')
       returning reply_code, reply_pattern`,
      [s[0]!.id],
    );
    expect(rows[0]).toEqual({ reply_code: null, reply_pattern: null });
  });
});

describe('migration 0019: stored replies split once into {code, enhanced, message}', () => {
  const split = async (reply: unknown) =>
    (
      await t.pool.query<{ r: unknown }>('select koukan_split_reply($1::jsonb) as r', [
        JSON.stringify(reply),
      ])
    ).rows[0]!.r;

  it('takes the leading enhanced code apart, from each line of a multi-line reply', async () => {
    expect(await split({ code: 550, message: '5.1.1 no such user' })).toEqual({
      code: 550,
      enhanced: '5.1.1',
      message: 'no such user',
    });
    expect(await split({ code: 452, message: '4.2.2 full\n4.2.2 later' })).toEqual({
      code: 452,
      enhanced: '4.2.2',
      message: 'full\nlater',
    });
    expect(await split({ code: 451, message: '4.4.2' })).toEqual({
      code: 451,
      enhanced: '4.4.2',
      message: '',
    });
  });

  it('leaves a reply without one, an already split one and a non-object as they are', async () => {
    for (const r of [
      { code: 250, message: 'ok' },
      { code: 250, message: '1.2.3 not a status code' },
      { code: 550, enhanced: '5.1.1', message: '5.1.1 said twice' },
      null,
      'text',
    ]) {
      expect(await split(r)).toEqual(r);
    }
    const { rows } = await t.pool.query<{ r: unknown }>(
      `select koukan_split_replies('[{"code": 550, "message": "5.1.1 a"}, null, {"code": 250, "message": "ok"}]') as r`,
    );
    expect(rows[0]!.r).toEqual([
      { code: 550, enhanced: '5.1.1', message: 'a' },
      null,
      { code: 250, message: 'ok' },
    ]);
  });
});
