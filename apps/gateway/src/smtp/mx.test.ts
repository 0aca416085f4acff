import { createTransport } from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics } from '../metrics.ts';
import { type Inbound, startInbound } from '../testing/inbound.ts';
import { RawSmtp } from '../testing/raw-smtp.ts';

let gw: Inbound;
afterEach(async () => {
  await gw?.stop();
});

const MESSAGE =
  'From: a@example.org\r\nTo: b@localhost\r\nSubject: hi\r\n\r\nHello.\r\n..leading dot\r\n';

/** A client on `port`, greeted by the gateway, that said EHLO (its reply in `ehlo`). */
async function session(port: number) {
  const c = await RawSmtp.open(port);
  expect(await c.reply()).toMatch(/^220 gateway\.test .*ESMTP/);
  return Object.assign(c, { ehlo: await c.cmd('EHLO client.test') });
}

describe('MX listener', () => {
  it('turns an SMTP transaction into a router transaction (nodemailer client)', async () => {
    gw = await startInbound();
    gw.router.policy.rcpt = (m) =>
      m.m.endsWith('@localhost')
        ? { code: 250, message: '2.1.5 OK' }
        : { code: 550, message: '5.7.1 Relaying denied' };
    const transport = createTransport({ host: '127.0.0.1', port: gw.port, ignoreTLS: true });
    const info = await transport.sendMail({
      envelope: { from: 'a@example.org', to: ['b@localhost', 'c@localhost', 'x@elsewhere.test'] },
      raw: MESSAGE,
    });
    expect(info.accepted).toEqual(['b@localhost', 'c@localhost']);
    expect(info.rejected).toEqual(['x@elsewhere.test']);
    expect(info.response).toBe('250 2.0.0 OK queued as t1');
    const t = gw.router.sole();
    expect(t.sender).toBe('smtp-mx');
    expect(t.mail_from.m).toBe('a@example.org');
    expect(t.rcpt_to.map((r) => r.m)).toEqual(['b@localhost', 'c@localhost', 'x@elsewhere.test']);
    expect(Buffer.concat(t.body).toString()).toBe(MESSAGE);
    expect(t.cancelled).toBe(false);
    // the first recipient creates the transaction, the others are PATCHed in (with heartbeats)
    expect(t.heartbeats).toBe(2);
  });

  it('counts its replies by stage and class in the metrics', async () => {
    const metrics = createMetrics();
    gw = await startInbound({}, { metrics });
    gw.router.policy.rcpt = (m) =>
      m.m.endsWith('@localhost')
        ? { code: 250, message: '2.1.5 OK' }
        : { code: 550, message: '5.7.1 Relaying denied' };
    const transport = createTransport({ host: '127.0.0.1', port: gw.port, ignoreTLS: true });
    for (let i = 0; i < 2; i++) {
      await transport.sendMail({
        envelope: { from: 'a@example.org', to: ['b@localhost', 'x@elsewhere.test'] },
        raw: MESSAGE,
      });
    }
    const text = await metrics.registry.metrics();
    const count = (stage: string, cls: string) =>
      new RegExp(
        `koukan_gateway_smtp_replies_total\\{listener="mx",stage="${stage}",class="${cls}"\\} (\\d+)`,
      ).exec(text)?.[1];
    expect([count('mail', '2xx'), count('rcpt', '2xx'), count('rcpt', '5xx')]).toEqual([
      '2',
      '2',
      '2',
    ]);
    expect(count('data', '2xx')).toBe('2');
  });

  it('advertises the ESMTP extensions, never AUTH, and is no open relay', async () => {
    gw = await startInbound();
    gw.router.policy.rcpt = () => ({ code: 550, message: '5.7.1 Relaying denied' });
    const c = await session(gw.port);
    const { ehlo } = c;
    for (const ext of [
      'PIPELINING',
      '8BITMIME',
      'SMTPUTF8',
      'ENHANCEDSTATUSCODES',
      'DSN',
      'STARTTLS',
    ]) {
      expect(ehlo).toContain(ext);
    }
    expect(ehlo).toContain(`SIZE ${1024 * 1024}`);
    expect(ehlo).not.toContain('AUTH');
    expect(await c.cmd('AUTH PLAIN AGZvbwBiYXI=')).toMatch(/^5\d\d /);
    expect(await c.cmd('MAIL FROM:<spammer@example.org>')).toMatch(/^250 /);
    expect(await c.cmd('RCPT TO:<victim@elsewhere.test>')).toBe('550 5.7.1 Relaying denied');
    expect(await c.cmd('DATA')).toMatch(/^503 /);
    await c.starttls();
    const secureEhlo = await c.cmd('EHLO client.test');
    expect(secureEhlo).not.toContain('AUTH');
    expect(secureEhlo).not.toContain('STARTTLS');
    c.close();
  });

  it('passes DSN, SMTPUTF8 and 8BITMIME parameters through as ESMTP params', async () => {
    gw = await startInbound();
    const c = await session(gw.port);
    expect(
      await c.cmd('MAIL FROM:<jörg@exämple.org> SMTPUTF8 BODY=8BITMIME RET=HDRS ENVID=abc'),
    ).toMatch(/^250/);
    expect(
      await c.cmd('RCPT TO:<b@localhost> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@localhost'),
    ).toMatch(/^250/);
    const t = gw.router.sole();
    expect(t.mail_from.m).toBe('jörg@exämple.org');
    expect(t.mail_from.e).toEqual(
      expect.arrayContaining([
        { k: 'SMTPUTF8' },
        { k: 'BODY', p: '8BITMIME' },
        { k: 'RET', p: 'HDRS' },
        { k: 'ENVID', p: 'abc' },
      ]),
    );
    expect(t.rcpt_to[0]?.e).toEqual(
      expect.arrayContaining([
        { k: 'NOTIFY', p: 'SUCCESS,FAILURE' },
        { k: 'ORCPT', p: 'rfc822;b@localhost' },
      ]),
    );
    expect(await c.cmd('DATA')).toMatch(/^354/);
    const eightBit = Buffer.from(
      'Subject: =?utf-8?q?gr=C3=BC=C3=9Fe?=\r\n\r\ngrüße, 日本\r\n',
      'utf8',
    );
    c.write(Buffer.concat([eightBit, Buffer.from('.\r\n')]));
    expect(await c.reply()).toMatch(/^250 /);
    expect(Buffer.concat(t.body).equals(eightBit)).toBe(true);
    c.close();
  });

  it('answers pipelined commands in order, all in one write (RFC 2920)', async () => {
    gw = await startInbound();
    const c = await session(gw.port);
    const reads = c.reads;
    c.write(
      'MAIL FROM:<a@example.org>\r\nRCPT TO:<b@localhost>\r\nRCPT TO:<c@localhost>\r\nDATA\r\n',
    );
    expect(await c.reply()).toMatch(/^250 /);
    expect(await c.reply()).toBe('250 2.1.5 OK');
    expect(await c.reply()).toBe('250 2.1.5 OK');
    expect(await c.reply()).toMatch(/^354 /);
    expect(c.reads - reads).toBe(1);
    c.write(`${MESSAGE}.\r\nQUIT\r\n`);
    expect(await c.reply()).toBe('250 2.0.0 OK queued as t1');
    expect(await c.reply()).toMatch(/^221 /);
    expect(gw.router.sole().bodyComplete).toBe(true);
  });

  it('refuses too many recipients and cancels when the client goes away mid-transaction', async () => {
    gw = await startInbound({ maxRecipients: 2 });
    const c = await session(gw.port);
    await c.cmd('MAIL FROM:<a@example.org>');
    await c.cmd('RCPT TO:<b@localhost>');
    await c.cmd('RCPT TO:<c@localhost>');
    expect(await c.cmd('RCPT TO:<d@localhost>')).toMatch(/^452 /);
    c.close();
    await expect.poll(() => gw.router.sole().cancelled).toBe(true);
  });

  it('RSET and QUIT mid-transaction cancel the router transaction; a new MAIL starts another', async () => {
    gw = await startInbound();
    const c = await session(gw.port);
    await c.cmd('MAIL FROM:<a@example.org>');
    await c.cmd('RCPT TO:<b@localhost>');
    expect(await c.cmd('RSET')).toMatch(/^250 /);
    await expect.poll(() => gw.router.txns.get('t1')?.cancelled).toBe(true);
    await c.cmd('MAIL FROM:<a@example.org>');
    await c.cmd('RCPT TO:<b@localhost>');
    expect(await c.cmd('QUIT')).toMatch(/^221 /);
    await expect.poll(() => gw.router.txns.get('t2')?.cancelled).toBe(true);
  });

  it('gives 451, never 250, when the router does not answer in time, and cancels', async () => {
    gw = await startInbound({ routerTimeoutMs: 600 });
    gw.router.policy.rcpt = (m) =>
      m.m.startsWith('slow') ? undefined : { code: 250, message: '2.1.5 OK' };
    gw.router.policy.data = () => undefined;
    const c = await session(gw.port);
    // a recipient the router does not answer for: the whole transaction is given up
    await c.cmd('MAIL FROM:<a@example.org>');
    expect(await c.cmd('RCPT TO:<b@localhost>')).toMatch(/^250 /);
    expect(await c.cmd('RCPT TO:<slow@localhost>')).toMatch(/^451 4\.4\.7 /);
    await expect.poll(() => gw.router.txns.get('t1')?.cancelled).toBe(true);
    expect(await c.cmd('RCPT TO:<c@localhost>')).toMatch(/^451 4\.4\.7 /);
    expect(await c.cmd('DATA')).toMatch(/^354/);
    c.write(`${MESSAGE}.\r\n`);
    expect(await c.reply()).toMatch(/^451 4\.4\.7 /);
    expect(gw.router.txns.get('t1')?.body).toHaveLength(0);
    // no data_response in time
    await c.cmd('MAIL FROM:<a@example.org>');
    expect(await c.cmd('RCPT TO:<b@localhost>')).toMatch(/^250 /);
    await c.cmd('DATA');
    c.write(`${MESSAGE}.\r\n`);
    expect(await c.reply()).toMatch(/^451 4\.4\.7 /);
    await expect.poll(() => gw.router.txns.get('t2')?.cancelled).toBe(true);
    c.close();
  });

  it('gives 451 when the router is down or failing', async () => {
    gw = await startInbound();
    gw.router.policy.createStatus = 503;
    const c = await session(gw.port);
    // MAIL stores nothing; the first recipient creates the router transaction
    expect(await c.cmd('MAIL FROM:<a@example.org>')).toMatch(/^250 /);
    expect(await c.cmd('RCPT TO:<b@localhost>')).toMatch(/^451 4\.3\.0 /);
    await gw.router.close();
    await c.cmd('RSET');
    expect(await c.cmd('MAIL FROM:<a@example.org>')).toMatch(/^250 /);
    expect(await c.cmd('RCPT TO:<b@localhost>')).toMatch(/^451 4\.3\.0 /);
    c.close();
  });

  it('defers recipients the router will not add to this transaction (452 4.5.3)', async () => {
    gw = await startInbound();
    gw.router.policy.maxRecipients = 1;
    const c = await session(gw.port);
    await c.cmd('MAIL FROM:<a@example.org>');
    expect(await c.cmd('RCPT TO:<b@localhost>')).toBe('250 2.1.5 OK');
    expect(await c.cmd('RCPT TO:<c@localhost>')).toMatch(/^452 4\.5\.3 /);
    expect(await c.cmd('RCPT TO:<d@localhost>')).toMatch(/^452 4\.5\.3 /);
    await c.cmd('DATA');
    c.write(`${MESSAGE}.\r\n`);
    expect(await c.reply()).toBe('250 2.0.0 OK queued as t1');
    expect(gw.router.sole().rcpt_to.map((r) => r.m)).toEqual(['b@localhost']);
    c.close();
  });

  it('passes a router refusal of the message through verbatim', async () => {
    gw = await startInbound();
    gw.router.policy.data = () => ({ code: 554, message: '5.7.1 Message rejected as spam' });
    const c = await session(gw.port);
    await c.cmd('MAIL FROM:<a@example.org>');
    await c.cmd('RCPT TO:<b@localhost>');
    await c.cmd('DATA');
    c.write(`${MESSAGE}.\r\n`);
    expect(await c.reply()).toBe('554 5.7.1 Message rejected as spam');
    c.close();
  });
});
