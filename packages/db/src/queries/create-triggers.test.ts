import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../testing/use-test-database.ts';

const t = useTestDatabase();

async function sender(): Promise<string> {
  const { rows } = await t.pool.query<{ id: string }>(
    `insert into senders (name) values ('trg-' || gen_random_uuid()) returning id`,
  );
  return rows[0]!.id;
}

describe("migration 0021: the create's triggers", () => {
  it('write the search row as koukan_rcpt_text and koukan_rcpt_domains read the recipients', async () => {
    const id = await sender();
    const rcpts = [['b@example.net', 'c@example.net', 'd@other.org', 'postmaster'], ['x@y.z'], []];
    for (const addrs of rcpts) {
      await t.pool.query(
        `insert into transactions (sender_id, mail_from, rcpt_to, rcpt_addresses)
         values ($1, '{"m":"A@Example.com"}', '[]', $2)`,
        [id, addrs],
      );
      const { rows: after } = await t.pool.query<{ same: boolean; mail_from: string }>(
        `select s.rcpt_text = koukan_rcpt_text(t.rcpt_addresses)
           and s.rcpt_domains = koukan_rcpt_domains(t.rcpt_addresses) as same, s.mail_from
         from transactions t join transaction_search s on s.transaction_id = t.id
         where t.sender_id = $1 and t.rcpt_addresses = $2`,
        [id, addrs],
      );
      expect(after).toEqual([{ same: true, mail_from: 'a@example.com' }]);
    }
    // an envelope change rewrites it the same way
    await t.pool.query(
      `update transactions set rcpt_addresses = '{q@new.example,r@new.example}' where sender_id = $1`,
      [id],
    );
    const { rows } = await t.pool.query<{ rcpt_text: string; rcpt_domains: string[] }>(
      `select s.rcpt_text, s.rcpt_domains from transaction_search s
       join transactions t on t.id = s.transaction_id where t.sender_id = $1`,
      [id],
    );
    expect(rows).toEqual(
      rcpts.map(() => ({
        rcpt_text: ' q@new.example r@new.example',
        rcpt_domains: ['new.example'],
      })),
    );
  });

  it.skipIf(!process.env.DATABASE_URL)(
    'the reply keys trigger runs only when the replies can give a key',
    async () => {
      const id = await sender();
      const client = await t.pool.connect();
      const calls = async (rcpt: unknown) => {
        await client.query('begin');
        try {
          await client.query(`set local track_functions = 'pl'`);
          await client.query(
            `insert into transactions (sender_id, mail_from, rcpt_to, rcpt_addresses, rcpt_response)
             values ($1, '{"m":""}', '[]', '{}', $2)`,
            [id, JSON.stringify(rcpt)],
          );
          const { rows } = await client.query<{ calls: string }>(
            `select coalesce(sum(calls), 0) as calls from pg_stat_xact_user_functions
             where funcname = 'koukan_reply_keys'`,
          );
          return Number(rows[0]!.calls);
        } finally {
          await client.query('rollback');
        }
      };
      try {
        expect(await calls([{ code: 250, message: 'ok' }])).toBe(0);
        expect(
          await calls([
            { code: 250, message: 'ok' },
            { code: 450, message: 'later' },
          ]),
        ).toBe(1);
      } finally {
        client.release();
      }
    },
  );
});
