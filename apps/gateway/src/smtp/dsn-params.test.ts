import { afterEach, describe, expect, it } from 'vitest';
import { type Inbound, startInbound } from '../testing/inbound.ts';
import { RawSmtp } from '../testing/raw-smtp.ts';

/** RFC 3461 parameters on the SMTP listener: advertised, decoded, validated (real sockets). */
let gw: Inbound;
afterEach(async () => {
  await gw?.stop();
});

async function session(): Promise<RawSmtp> {
  gw = await startInbound();
  const c = await RawSmtp.open(gw.port);
  expect(await c.reply()).toMatch(/^220 /);
  expect(await c.cmd('EHLO client.test')).toMatch(/^250[ -]DSN$/m);
  return c;
}

describe('DSN parameters over SMTP', () => {
  it('xtext values reach the router decoded', async () => {
    const c = await session();
    expect(await c.cmd('MAIL FROM:<a@example.org> RET=full ENVID=QQ+2B314=159+3D')).toMatch(
      /^250 /,
    );
    expect(
      await c.cmd('RCPT TO:<b@localhost> NOTIFY=failure,DELAY ORCPT=rfc822;B+2Bx@localhost'),
    ).toMatch(/^250 /);
    const t = gw.router.sole();
    expect(t.mail_from.e).toEqual(
      expect.arrayContaining([
        { k: 'RET', p: 'full' },
        { k: 'ENVID', p: 'QQ+314=159=' },
      ]),
    );
    expect(t.rcpt_to[0]?.e).toEqual(
      expect.arrayContaining([
        { k: 'NOTIFY', p: 'failure,DELAY' },
        { k: 'ORCPT', p: 'rfc822;B+x@localhost' },
      ]),
    );
    c.close();
  });

  it.each([
    ['MAIL FROM:<a@example.org> RET=ALL', /RET/],
    ['MAIL FROM:<a@example.org> ENVID=' + 'x'.repeat(101), /ENVID is longer than 100/],
    ['MAIL FROM:<a@example.org> NOTIFY=NEVER', /NOTIFY is a RCPT parameter/],
    ['MAIL FROM:<a@example.org> ORCPT=rfc822;a@example.org', /ORCPT is a RCPT parameter/],
    ['MAIL FROM:<a@example.org> ENVID=a ENVID=b', /duplicate ENVID/],
  ])('MAIL refused with 501 5.5.4: %s', async (line, text) => {
    const c = await session();
    const reply = await c.cmd(line);
    expect(reply).toMatch(/^501 5\.5\.4 /);
    expect(reply).toMatch(text);
    // the session goes on: a good MAIL is taken
    expect(await c.cmd('MAIL FROM:<a@example.org> ENVID=ok')).toMatch(/^250 /);
    c.close();
  });

  it.each([
    ['RCPT TO:<b@localhost> NOTIFY=NEVER,SUCCESS', /NEVER/],
    ['RCPT TO:<b@localhost> NOTIFY=SOMETIMES', /NOTIFY/],
    ['RCPT TO:<b@localhost> NOTIFY=SUCCESS,SUCCESS', /twice/],
    ['RCPT TO:<b@localhost> ORCPT=b@localhost', /ORCPT/],
    ['RCPT TO:<b@localhost> ORCPT=rfc822;j+C3+B6rg@localhost', /US-ASCII/],
    ['RCPT TO:<b@localhost> ORCPT=rfc822;' + 'x'.repeat(500), /longer than 500/],
    ['RCPT TO:<b@localhost> RET=HDRS', /RET is a MAIL parameter/],
  ])('RCPT refused with 501 5.5.4 and nothing stored: %s', async (line, text) => {
    const c = await session();
    expect(await c.cmd('MAIL FROM:<a@example.org>')).toMatch(/^250 /);
    const reply = await c.cmd(line);
    expect(reply).toMatch(/^501 5\.5\.4 /);
    expect(reply).toMatch(text);
    expect(gw.router.txns.size).toBe(0);
    expect(await c.cmd('RCPT TO:<b@localhost> NOTIFY=NEVER')).toMatch(/^250 /);
    expect(gw.router.sole().rcpt_to[0]?.e).toEqual([{ k: 'NOTIFY', p: 'NEVER' }]);
    c.close();
  });
});
