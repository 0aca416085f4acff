import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Inbound,
  MSA_KEY,
  MSA as msa,
  plain,
  session,
  startInbound,
} from '../testing/inbound.ts';
import { RawSmtp } from '../testing/raw-smtp.ts';

// Issue 10 items 8–11 and an attacker's probes of the SMTP listeners, on real sockets against
// the scripted router (@koukan/protocol/testing).
let gw: Inbound;
afterEach(() => gw?.stop());

/** A logger whose lines the test reads. */
function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

describe('AUTH failure budget per client address (issue 10 item 8)', () => {
  it('counts failures across connections, then locks the address out with 421, logged with the IP and never the secret', async () => {
    const log = capture();
    gw = await startInbound(
      { ...msa, authFailuresPerIp: 4, authDelayMs: 10, authLockoutMs: 60_000 },
      { logger: log.logger },
    );
    const a = await session(gw.port, { tls: true });
    expect(await a.cmd(`AUTH PLAIN ${plain('app', 'secret-guess-1')}`)).toMatch(/^535 5\.7\.8 /);
    expect(await a.cmd(`AUTH PLAIN ${plain('app', 'secret-guess-2')}`)).toMatch(/^535 5\.7\.8 /);
    a.close();
    // a new connection does not start a new budget
    const b = await session(gw.port, { tls: true });
    expect(await b.cmd(`AUTH PLAIN ${plain('app', 'secret-guess-3')}`)).toMatch(/^535 5\.7\.8 /);
    expect(await b.cmd(`AUTH PLAIN ${plain('app', 'secret-guess-4')}`)).toMatch(/^421 4\.7\.0 /);
    expect(await b.reply()).toBe(''); // closed
    // locked out: even the right key is refused, and the router is not asked
    const checks = gw.router.log.length;
    const c = await session(gw.port, { tls: true });
    expect(await c.cmd(`AUTH PLAIN ${plain('app', MSA_KEY)}`)).toMatch(
      /^421 4\.7\.0 Too many authentication failures from your address/,
    );
    expect(gw.router.log.length).toBe(checks);
    const text = log.lines.join('');
    expect(text).toMatch(/"remote":"(::ffff:)?127\.0\.0\.1".*"msg":"AUTH refused"/);
    expect(text).toContain('"locked_out":true');
    expect(text).not.toContain('secret-guess');
    expect(text).not.toContain(MSA_KEY);
  });

  it('refuses undecodable AUTH data and empty credentials without a crash', async () => {
    gw = await startInbound({ ...msa, authDelayMs: 0 });
    const c = await session(gw.port, { tls: true });
    expect(await c.cmd('AUTH PLAIN !!!not-base64!!!')).toMatch(/^5\d\d /);
    expect(await c.cmd(`AUTH PLAIN ${plain('', '')}`)).toMatch(/^5\d\d /);
    expect(await c.cmd(`AUTH PLAIN ${plain('a'.repeat(300), 'x')}`)).toMatch(/^(535|421) /);
    expect(await c.cmd('AUTH NTLM')).toMatch(/^504 /);
    c.close();
  });
});

describe('no stored transaction before the first accepted recipient (issue 10 item 9)', () => {
  it('100 pipelined MAIL/RSET pairs store nothing, and MAIL is bounded per connection', async () => {
    gw = await startInbound({ maxTransactionsPerConnection: 20 });
    const c = await session(gw.port);
    c.write('MAIL FROM:<a@example.org>\r\nRSET\r\n'.repeat(100));
    const replies: string[] = [];
    for (;;) {
      const r = await c.reply();
      if (!r) break;
      replies.push(r);
    }
    // 20 MAIL (250) and their RSETs (250), then the 21st MAIL: 421 and the connection closes
    expect(replies.filter((r) => r.startsWith('250')).length).toBe(40);
    expect(replies.at(-1)).toBe('421 4.7.0 Too many transactions on one connection, closing');
    expect(gw.router.txns.size).toBe(0);
    expect(gw.router.log.filter((l) => l.method === 'POST')).toEqual([]);
  });
});

describe('per-client connection cap under a burst (issue 10 item 10)', () => {
  it('greets exactly 20 of 25 simultaneous connections from 127.0.0.1 (MX, greet pause on)', async () => {
    gw = await startInbound({ maxClientsPerIp: 20, greetPauseMs: 100 });
    const conns = await Promise.all(Array.from({ length: 25 }, () => RawSmtp.open(gw.port)));
    const greetings = await Promise.all(conns.map((c) => c.reply()));
    expect(greetings.filter((g) => g.startsWith('220 ')).length).toBe(20);
    expect(greetings.filter((g) => g.startsWith('421 4.7.0 Too many connections')).length).toBe(5);
    for (const c of conns) c.close();
  });
});

describe('mail loops (issue 10 item 11)', () => {
  const message = (n: number) =>
    `${'Received: from a by b; Mon, 30 Nov 2026 10:00:00 +0000\r\n'.repeat(n)}Subject: loop\r\n\r\nx\r\n.\r\n`;
  it('refuses more than 25 Received headers with 554 5.4.6 and keeps 25', async () => {
    gw = await startInbound();
    const c = await session(gw.port);
    for (const [n, reply] of [
      [26, /^554 5\.4\.6 /],
      [25, /^250 /],
    ] as const) {
      await c.cmd('MAIL FROM:<a@example.org>');
      expect(await c.cmd('RCPT TO:<b@localhost>')).toMatch(/^250 /);
      expect(await c.cmd('DATA')).toMatch(/^354 /);
      c.write(message(n));
      expect(await c.reply()).toMatch(reply);
    }
    // the looping one was cancelled at the router, never completed
    const [looped, kept] = [...gw.router.txns.values()];
    expect(looped?.cancelled).toBe(true);
    expect(looped?.bodyComplete).toBe(false);
    expect(kept?.bodyComplete).toBe(true);
    c.close();
  });
});

describe('greeting pause (issue 13 item 5)', () => {
  it('answers a client that talks before the greeting with 421; no pause greets at once', async () => {
    gw = await startInbound({ greetPauseMs: 400 });
    const early = await RawSmtp.open(gw.port);
    early.write('EHLO early.test\r\n');
    expect(await early.reply()).toMatch(/^421 .*too soon/i);
    await gw.stop();
    gw = await startInbound({ greetPauseMs: 0 });
    const c = await RawSmtp.open(gw.port);
    c.write('EHLO early.test\r\n');
    expect(await c.reply()).toMatch(/^220 /);
    expect(await c.reply()).toMatch(/^250-/);
    c.close();
  });
});

describe('session facts sent to the router (issue 13 item 4)', () => {
  it('MX sends the client address, HELO and protocol; nothing a router would refuse', async () => {
    gw = await startInbound();
    for (const [helo, expected] of [
      ['client.example.org', 'client.example.org'],
      ['[127.0.0.1]', '[127.0.0.1]'],
      ['WIN-PC#1', undefined],
    ] as const) {
      const c = await RawSmtp.open(gw.port);
      await c.reply();
      await c.cmd(`EHLO ${helo}`);
      await c.cmd('MAIL FROM:<a@example.org>');
      expect(await c.cmd('RCPT TO:<b@localhost>')).toMatch(/^250 /);
      c.close();
      const session = [...gw.router.txns.values()].at(-1)!.session as Record<string, unknown>;
      expect(session.remote_ip).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
      expect(session.protocol).toBe('ESMTP');
      expect(session.helo).toBe(expected);
      expect(session).not.toHaveProperty('remote_host'); // smtp-server's "[ip]" stand-in
    }
  });

  it('MSA: a sender without an exploder submits as the MSA sender with its gateway key, named in the session', async () => {
    gw = await startInbound({ ...msa, sender: 'smtp-msa', apiKey: 'kk_gatewaymsa_key' });
    gw.router.addKey('smtp-msa', 'kk_gatewaymsa_key');
    gw.router.submission.set('app', { mode: 'chain' });
    const c = await session(gw.port, { tls: true });
    expect(await c.cmd(`AUTH PLAIN ${plain('app', MSA_KEY)}`)).toMatch(/^235 /);
    await c.cmd('MAIL FROM:<a@example.org>');
    expect(await c.cmd('RCPT TO:<b@example.net>')).toMatch(/^250 /);
    c.close();
    expect(gw.router.sole().sender).toBe('smtp-msa');
    expect(gw.router.sole().session).toMatchObject({
      protocol: 'ESMTPSA',
      tls: { protocol: expect.stringMatching(/^TLSv1\.[23]$/), cipher: expect.any(String) },
      auth: { user: 'app', method: 'PLAIN' },
    });
  });

  it('MSA: refuses at AUTH a sender that cannot submit, and one the gateway has no key for', async () => {
    gw = await startInbound(msa);
    gw.router.submission.set('app', { mode: 'refused', reason: 'sender "app" is disabled' });
    const c = await session(gw.port, { tls: true });
    expect(await c.cmd(`AUTH PLAIN ${plain('app', MSA_KEY)}`)).toBe(
      '550 5.7.1 Sender "app" cannot submit by SMTP: sender "app" is disabled',
    );
    gw.router.submission.set('app', { mode: 'chain' });
    expect(await c.cmd(`AUTH PLAIN ${plain('app', MSA_KEY)}`)).toMatch(/^454 4\.3\.5 /);
    expect(gw.router.txns.size).toBe(0);
    c.close();
  });
});

describe('hostile commands', () => {
  it('refuses oversized commands, 8-bit addresses without SMTPUTF8, and too many recipients, and stays up', async () => {
    gw = await startInbound({ maxRecipients: 3 });
    const huge = await session(gw.port);
    expect(await huge.cmd(`MAIL FROM:<${'a'.repeat(5000)}@example.org>`)).toBe(
      '421 4.4.2 Error: Command line too long',
    );
    expect(await huge.reply()).toBe(''); // closed
    const c = await session(gw.port);
    expect(await c.cmd('MAIL FROM:<ü@example.org>')).toBe(
      '553 5.6.7 Non-ASCII address without SMTPUTF8',
    );
    expect(await c.cmd('MAIL FROM:<a@example.org>')).toMatch(/^250 /);
    expect(await c.cmd('RCPT TO:<ü@localhost>')).toMatch(/^553 5\.6\.7 /);
    await c.cmd('RSET');
    expect(await c.cmd('MAIL FROM:<ü@example.org> SMTPUTF8')).toMatch(/^250 /);
    for (const r of ['a', 'b', 'c']) {
      expect(await c.cmd(`RCPT TO:<${r}@localhost>`)).toMatch(/^250 /);
    }
    expect(await c.cmd('RCPT TO:<d@localhost>')).toMatch(/^452 /);
    expect(await c.cmd('RCPT TO:<x@localhost>\u0000<y@localhost>')).toMatch(/^5\d\d /);
    expect(await c.cmd('NOOP')).toMatch(/^250 /);
    c.close();
    // one transaction, created by the first recipient
    expect(gw.router.txns.size).toBe(1);
  });

  it('discards commands pipelined after STARTTLS (no injection into the TLS session)', async () => {
    gw = await startInbound(msa);
    const c = await session(gw.port);
    c.write('STARTTLS\r\nMAIL FROM:<injected@example.org>\r\n');
    expect(await c.reply()).toMatch(/^220 /);
    await c.starttlsAfterReply();
    // the injected MAIL never reached the TLS session: MAIL still wants AUTH, nothing stored
    expect(await c.cmd('MAIL FROM:<a@example.org>')).toMatch(/^(530|503) /);
    expect(gw.router.txns.size).toBe(0);
    c.close();
  });
});
