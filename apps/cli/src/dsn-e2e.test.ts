import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { parseWithPython } from '../../../packages/services/src/notifications/testing/python-parse.ts';
import { msaSession, stackSuite } from './testing/stack.ts';

/**
 * Issue 15 item 2 end to end, against the whole stack as `npm start` runs it: a client submits
 * on the MSA with RFC 3461 parameters; the next hop (a real SMTP server on loopback) refuses one
 * recipient; the DSN reaches the sender through the stack itself, carrying ENVID and ORCPT as
 * given, and NOTIFY=NEVER gets none.
 */
const SEED = 'kk_Submission_DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD';

describe('DSNs over SMTP, end to end', () => {
  const { sink, stack } = stackSuite({ KOUKAN_SEED_API_KEY: SEED });

  async function submit(mailFrom: string, rcpts: string[], body: string): Promise<void> {
    const { c, ehlo, auth } = await msaSession(stack.ports.msa, 'submission', SEED);
    expect(ehlo).toMatch(/^250[ -]DSN$/m);
    expect(auth).toMatch(/^235 /);
    expect(await c.cmd(`MAIL FROM:${mailFrom}`)).toMatch(/^250 /);
    for (const r of rcpts) expect(await c.cmd(`RCPT TO:${r}`)).toMatch(/^250 /);
    expect(await c.cmd('DATA')).toMatch(/^354 /);
    c.write(`${body}\r\n.\r\n`);
    expect(await c.reply(60_000)).toMatch(/^250 /);
    await c.cmd('QUIT');
    c.close();
  }

  it('NOTIFY=FAILURE,DELAY: the failure DSN reaches the sender with ENVID and ORCPT', async () => {
    const before = sink.received.length;
    await submit(
      '<app@example.com> RET=HDRS ENVID=order+2B4711',
      [
        '<refused@example.org> NOTIFY=FAILURE,DELAY ORCPT=rfc822;Refused+2Balias@Example.org',
        '<bob@example.org> NOTIFY=NEVER',
      ],
      'From: app@example.com\r\nSubject: with DSN options\r\nMessage-ID: <m1@example.com>\r\n\r\nsecret body text',
    );
    await expect.poll(() => sink.received.length - before, { timeout: 90_000 }).toBe(2);
    const got = sink.received.slice(before);
    expect(got.find((r) => r.to.includes('bob@example.org'))?.from).toBe('app@example.com');
    const dsn = got.find((r) => r.to.includes('app@example.com'));
    expect(dsn?.from).toBe('');
    const raw = Buffer.from(dsn!.body);

    const mail = await simpleParser(raw, { keepDeliveryStatus: true });
    expect(mail.subject).toBe('Undelivered Mail Returned to Sender');
    const status = mail.attachments
      .find((a) => a.contentType === 'message/delivery-status')
      ?.content.toString()
      .replace(/\r\n[ \t]+/g, ' ');
    expect(status).toMatch(/^Original-Envelope-Id: order\+4711\r?$/m);
    expect(status).toMatch(/^Original-Recipient: rfc822; Refused\+alias@Example\.org\r?$/m);
    expect(status).toMatch(/^Final-Recipient: rfc822; refused@example\.org\r?$/m);
    expect(status).not.toContain('bob@example.org');

    const py = parseWithPython(raw);
    expect(py.defects).toEqual([]);
    expect(py.report_type).toBe('delivery-status');
    expect(py.status[0]).toMatchObject({ 'Original-Envelope-Id': 'order+4711' });
    expect(py.status[0]!['Original-Envelope-Id']).not.toContain('m1@example.com');
    expect(py.status).toHaveLength(2);
    expect(py.status[1]).toMatchObject({
      'Original-Recipient': 'rfc822; Refused+alias@Example.org',
      'Final-Recipient': 'rfc822; refused@example.org',
      Action: 'failed',
      Status: '5.1.1',
    });
    expect(py.status[1]!['Diagnostic-Code']).toMatch(/^smtp; 550 5\.1\.1 no such user/);
    // RET=HDRS: the header section only
    expect(py.parts.at(-1)).toBe('text/rfc822-headers');
    expect(py.returned_headers).toContain('Subject: with DSN options');
    expect(raw.toString()).not.toContain('secret body text');
  }, 180_000);

  it('NOTIFY=NEVER: the refused recipient gets no DSN', async () => {
    const before = sink.received.length;
    await submit(
      '<app2@example.com> ENVID=quiet',
      ['<refused@example.net> NOTIFY=NEVER', '<carol@example.org>'],
      'From: app2@example.com\r\nSubject: no DSN please\r\n\r\nhello',
    );
    await expect.poll(() => sink.received.length - before, { timeout: 90_000 }).toBe(1);
    expect(sink.received.at(-1)?.to).toEqual(['carol@example.org']);
    // the refused upstream is final and its follow-up is done: and no DSN was made for it
    const upstream = async () =>
      (
        await stack.query(
          `select t.id, t.status,
                  (select count(*)::int from events e where e.transaction_id = t.id
                     and e.type = 'exploder_follow_up') as followed,
                  (select count(*)::int from events e where e.transaction_id = t.id
                     and e.type = 'dsn_sent') as dsns,
                  (select count(*)::int from transactions d where d.parent_id = t.id) as children
             from transactions t
            where t.mail_from->>'m' = 'app2@example.com' and t.rcpt_to->0->>'m' = 'refused@example.net'
              and t.metadata ? 'exploded_from'`,
        )
      )[0];
    await expect.poll(async () => (await upstream())?.followed, { timeout: 60_000 }).toBe(1);
    expect(await upstream()).toMatchObject({ status: 'failed', dsns: 0, children: 0 });
    expect(sink.received.slice(before).some((r) => r.to.includes('app2@example.com'))).toBe(false);
  }, 180_000);
});
