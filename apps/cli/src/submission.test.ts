import { describe, expect, it } from 'vitest';
import { msaSession, postTransaction, stackSuite } from './testing/stack.ts';

/**
 * Issue 13 item 3 — one key, REST and SMTP — against the whole stack as `npm start` runs it
 * (default configuration, embedded database): the seed key (KOUKAN_SEED_API_KEY, registered for
 * `submission` and `sandbox`) submits by SMTP on the MSA as `submission`, whose chain answers
 * recipients only after DATA. Before, every RCPT waited 30 s for `451 4.4.7`; now the MSA's own
 * sender (exploder(msa), its gateway key from `npm start`) answers each recipient at once and
 * fans the mail out into `submission` transactions (its chain, retries and DSNs).
 */
const SEED = 'kk_Submission_CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC';

describe('one key, REST and SMTP', () => {
  const { sink, stack } = stackSuite({ KOUKAN_SEED_API_KEY: SEED });
  const msa = (user: string, key: string) => msaSession(stack.ports.msa, user, key);

  it('the seed key submits by SMTP as "submission": recipients answered at once, delivered, a DSN for the refused one', async () => {
    const before = sink.received.length;
    const { c, auth } = await msa('submission', SEED);
    expect(auth).toMatch(/^235 /);
    expect(await c.cmd('MAIL FROM:<app@example.com>')).toMatch(/^250 /);
    // answered by the MSA's exploder (store-and-forward), not after a 30 s wait with 451 4.4.7
    expect(await c.cmd('RCPT TO:<bob@example.org>')).toMatch(/^250 2\.1\.5 /);
    expect(await c.cmd('RCPT TO:<refused@example.org>')).toMatch(/^250 2\.1\.5 /);
    expect(await c.cmd('DATA')).toMatch(/^354 /);
    c.write(
      'From: app@example.com\r\nSubject: by SMTP\r\n\r\nsubmitted with the REST key\r\n.\r\n',
    );
    expect(await c.reply(60_000)).toMatch(/^250 /);
    await c.cmd('QUIT');
    await expect.poll(() => sink.received.length - before, { timeout: 60_000 }).toBe(2);
    const got = sink.received.slice(before);
    const delivered = got.find((r) => r.to.includes('bob@example.org'));
    expect(delivered?.from).toBe('app@example.com');
    expect(delivered?.body).toContain('submitted with the REST key');
    const dsn = got.find((r) => r.to.includes('app@example.com'));
    expect(dsn?.from).toBe('');
    expect(dsn?.body).toMatch(/Final-Recipient: rfc822; ?refused@example.org/i);

    // the fan-out transactions are the submission sender's own (its chain, its retries)
    const rows = await stack.query(
      `select s.name, t.rcpt_to->0->>'m' as rcpt from transactions t
         join senders s on s.id = t.sender_id
        where t.mail_from->>'m' = 'app@example.com' and t.parent_id is not null
          and t.metadata ? 'exploded_from' order by 2`,
    );
    expect(rows).toEqual([
      { name: 'submission', rcpt: 'bob@example.org' },
      { name: 'submission', rcpt: 'refused@example.org' },
    ]);
  }, 120_000);

  it('the same key sends by REST', async () => {
    const before = sink.received.length;
    const res = await postTransaction(stack, SEED, {
      mail_from: { m: 'app@example.com' },
      rcpt_to: [{ m: 'carol@example.org' }],
      body: { inline: 'From: app@example.com\r\nSubject: by REST\r\n\r\nhello\r\n' },
    });
    expect(res.status).toBe(201);
    await expect.poll(() => sink.received.length - before, { timeout: 60_000 }).toBe(1);
    expect(sink.received.at(-1)?.to).toEqual(['carol@example.org']);
  }, 60_000);

  it('a sender that cannot take SMTP submission is refused at AUTH at once (550 5.7.1), and no session can be forged by REST', async () => {
    try {
      await stack.query(`update senders set enabled = false where name = 'sandbox'`);
      // the router remembers a key for a moment (KOUKAN_AUTH_CACHE_MS): new sessions until then
      await expect
        .poll(
          async () => {
            const { c, auth } = await msa('sandbox', SEED);
            c.close();
            return auth;
          },
          { timeout: 15_000, interval: 500 },
        )
        .toMatch(/^550 5\.7\.1 Sender "sandbox" cannot submit by SMTP: .*disabled/);
    } finally {
      await stack.query(`update senders set enabled = true where name = 'sandbox'`);
    }
    const forged = await postTransaction(stack, SEED, {
      mail_from: { m: 'app@example.com' },
      rcpt_to: [{ m: 'carol@example.org' }],
      session: { remote_ip: '10.0.0.1', auth: { user: 'admin' } },
    });
    expect(forged.status).toBe(403);
    expect(JSON.stringify(await forged.json())).toContain('body.session');
  }, 60_000);

  it('printed "Koukan is running" only once the router and the gateway answered their readiness probes (issue 13 item 5)', async () => {
    expect(await stack.atBanner).toEqual({ router: 200, gateway: 200 });
  });
});
