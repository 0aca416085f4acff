import { afterEach, describe, expect, it } from 'vitest';
import { type Inbound, session, startInbound } from '../testing/inbound.ts';

let gw: Inbound;
afterEach(async () => {
  await gw?.stop();
});

/**
 * The ten end-of-data variants of SMTP smuggling (SEC Consult 2023, Postfix
 * smtpd_forbid_bare_newline): each would end DATA on some receiver and start a second,
 * smuggled message. smtp-server 3.21 stores every one of them with a 250.
 */
const VARIANTS: [string, string][] = [
  ['<LF>.<LF>', '\n.\n'],
  ['<LF>.<CR><LF>', '\n.\r\n'],
  ['<CR><LF>.<LF>', '\r\n.\n'],
  ['<LF>.<CR>', '\n.\r'],
  ['<CR>.<CR>', '\r.\r'],
  ['<CR>.<LF>', '\r.\n'],
  ['<CR>.<CR><LF>', '\r.\r\n'],
  ['<CR><LF>.<CR>', '\r\n.\r'],
  ['<CR><LF>.<NUL><CR><LF>', '\r\n.\x00\r\n'],
  ['<CR><LF><NUL>.<CR><LF>', '\r\n\x00.\r\n'],
];

async function openTransaction(port: number) {
  const c = await session(port);
  expect(await c.cmd('MAIL FROM:<a@example.org>')).toMatch(/^250/);
  expect(await c.cmd('RCPT TO:<b@localhost>')).toMatch(/^250/);
  expect(await c.cmd('DATA')).toMatch(/^354/);
  return c;
}

describe('SMTP smuggling and DATA limits', () => {
  it.each(VARIANTS)('refuses the %s end-of-data variant and smuggles nothing', async (_n, eod) => {
    gw = await startInbound();
    const c = await openTransaction(gw.port);
    const smuggled =
      'MAIL FROM:<admin@example.org>\r\nRCPT TO:<victim@localhost>\r\nDATA\r\n' +
      'From: admin@example.org\r\n\r\nsmuggled\r\n';
    c.write(`From: a@example.org\r\n\r\nfirst${eod}${smuggled}\r\n.\r\n`);
    expect(await c.reply()).toMatch(/^550 5\.6\.0 Message refused: (bare LF|bare CR|NUL)/);
    // the connection is still in command mode: the smuggled lines were never commands
    expect(await c.cmd('NOOP')).toMatch(/^250 /);
    expect(gw.router.txns.size).toBe(1);
    const t = gw.router.sole();
    await expect.poll(() => t.cancelled).toBe(true);
    expect(t.data_response).toBeNull();
    expect(t.bodyComplete).toBe(false);
    c.close();
  });

  it('accepts bare newlines when the listener is told to', async () => {
    gw = await startInbound({ bareNewline: 'accept' });
    const c = await openTransaction(gw.port);
    c.write('From: a@example.org\r\n\r\nfirst\n.\nsecond\r\n.\r\n');
    expect(await c.reply()).toMatch(/^250 /);
    expect(Buffer.concat(gw.router.sole().body).toString()).toContain('first\n.\nsecond');
    c.close();
  });

  it('stops storing at the size limit and answers 552', async () => {
    gw = await startInbound({ maxMessageBytes: 10_000 });
    const c = await openTransaction(gw.port);
    const line = `${'x'.repeat(98)}\r\n`;
    c.write(`Subject: big\r\n\r\n${line.repeat(1000)}.\r\n`);
    expect(await c.reply()).toMatch(/^552 5\.3\.4 /);
    const t = gw.router.sole();
    await expect.poll(() => t.cancelled).toBe(true);
    expect(t.bodyComplete).toBe(false);
    expect(Buffer.concat(t.body).length).toBeLessThanOrEqual(10_000);
    c.close();
  });

  it('refuses over-long lines and header sections', async () => {
    gw = await startInbound({ maxHeaderBytes: 2000 });
    let c = await openTransaction(gw.port);
    c.write(`Subject: long\r\n\r\n${'y'.repeat(1500)}\r\n.\r\n`);
    expect(await c.reply()).toMatch(/^550 5\.6\.0 Message refused: line longer than 998/);
    c.close();
    c = await openTransaction(gw.port);
    c.write(`${'X-Pad: abcdefgh\r\n'.repeat(200)}\r\nbody\r\n.\r\n`);
    expect(await c.reply()).toMatch(/^552 5\.3\.4 Message header exceeds 2000/);
    c.close();
  });

  it('discards commands pipelined before STARTTLS completes', async () => {
    gw = await startInbound();
    const c = await session(gw.port);
    c.write('STARTTLS\r\nMAIL FROM:<injected@example.org>\r\nRCPT TO:<b@localhost>\r\n');
    expect(await c.reply()).toMatch(/^220 /);
    const { starttlsAfterReply } = c;
    await starttlsAfterReply();
    expect(await c.cmd('EHLO client.test')).toMatch(/^250-/);
    expect(await c.cmd('RCPT TO:<b@localhost>')).toMatch(/^503 /);
    expect(gw.router.txns.size).toBe(0);
    c.close();
  });
});
