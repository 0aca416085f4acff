import { afterEach, describe, expect, it } from 'vitest';
import { type Inbound, session, startInbound } from '../testing/inbound.ts';
import { RawSmtp } from '../testing/raw-smtp.ts';

let gw: Inbound;
afterEach(() => gw?.stop());

async function greetingMs(port: number): Promise<number> {
  const t0 = performance.now();
  const c = await RawSmtp.open(port);
  await c.reply();
  const ms = performance.now() - t0;
  c.close();
  return ms;
}

describe('connection limits', () => {
  it('caps connections per client address', async () => {
    gw = await startInbound({ maxClientsPerIp: 2 });
    const a = await RawSmtp.open(gw.port);
    const b = await RawSmtp.open(gw.port);
    expect(await a.reply()).toMatch(/^220 /);
    expect(await b.reply()).toMatch(/^220 /);
    const c = await RawSmtp.open(gw.port);
    expect(await c.reply()).toMatch(/^421 4\.7\.0 Too many connections/);
    a.close();
    await expect
      .poll(async () => {
        const d = await RawSmtp.open(gw.port);
        const r = await d.reply();
        d.close();
        return r.slice(0, 3);
      })
      .toBe('220');
    b.close();
  });

  it('caps connections globally', async () => {
    gw = await startInbound({ maxClients: 1 });
    const a = await RawSmtp.open(gw.port);
    expect(await a.reply()).toMatch(/^220 /);
    const b = await RawSmtp.open(gw.port);
    expect(await b.reply()).toMatch(/^421 /);
    a.close();
  });

  it('ends a session at its total deadline, even a busy one, and cancels its transaction', async () => {
    gw = await startInbound({ sessionTimeoutMs: 700 });
    const c = await session(gw.port);
    await c.cmd('MAIL FROM:<a@example.org>');
    await c.cmd('RCPT TO:<b@localhost>');
    const keepBusy = setInterval(() => c.write('NOOP\r\n'), 100);
    let last = '';
    while (!c.closed) {
      const r = await c.reply();
      if (r) last = r;
    }
    clearInterval(keepBusy);
    expect(last).toBe('421 4.4.2 Session time limit reached');
    await expect.poll(() => gw.router.sole().cancelled).toBe(true);
  });

  it('drops an idle client', async () => {
    gw = await startInbound({ idleTimeoutMs: 300 });
    const c = await RawSmtp.open(gw.port);
    await c.reply();
    expect(await c.reply()).toMatch(/^421 /);
  });

  it('drops a client after too many unrecognised commands', async () => {
    gw = await startInbound();
    const c = await RawSmtp.open(gw.port);
    await c.reply();
    for (let i = 0; i < 9; i++) expect(await c.cmd(`BOGUS${i}`)).toMatch(/^500 /);
    expect(await c.cmd('BOGUS')).toMatch(/^421 /);
  });

  it('answers DATA that takes too long with 421 and cancels', async () => {
    gw = await startInbound({ dataTimeoutMs: 500 });
    const c = await session(gw.port);
    await c.cmd('MAIL FROM:<a@example.org>');
    await c.cmd('RCPT TO:<b@localhost>');
    await c.cmd('DATA');
    c.write('Subject: slow\r\n\r\n');
    const trickle = setInterval(() => c.write('more\r\n'), 100);
    expect(await c.reply()).toBe('421 4.4.2 DATA took too long, closing connection');
    clearInterval(trickle);
    await expect.poll(() => gw.router.sole().cancelled).toBe(true);
    expect(gw.router.sole().bodyComplete).toBe(false);
  });

  it('refuses a declared SIZE over the limit at MAIL', async () => {
    gw = await startInbound({ maxMessageBytes: 10_000 });
    const c = await session(gw.port);
    expect(await c.cmd('MAIL FROM:<a@example.org> SIZE=20000')).toMatch(/^552 /);
    expect(gw.router.txns.size).toBe(0);
    c.close();
  });

  it('a client that drops mid-DATA leaves a cancelled transaction and no complete body', async () => {
    gw = await startInbound();
    const c = await session(gw.port);
    await c.cmd('MAIL FROM:<a@example.org>');
    await c.cmd('RCPT TO:<b@localhost>');
    await c.cmd('DATA');
    // past the size sent in one piece at the end of DATA (data.ts): the body streams
    c.write(`Subject: x\r\n\r\n${'part\r\n'.repeat(15_000)}`);
    await expect.poll(() => gw.router.sole().body.length).toBeGreaterThan(0);
    c.close();
    const t = gw.router.sole();
    await expect.poll(() => t.cancelled).toBe(true);
    await expect.poll(() => t.bodyAborted).toBe(true);
    expect(t.bodyComplete).toBe(false);
  });

  it('keeps the greet pause on MX only', async () => {
    gw = await startInbound({ greetPauseMs: 100 });
    const paused = await greetingMs(gw.port);
    await gw.stop();
    gw = await startInbound({ greetPauseMs: 0 });
    const immediate = await greetingMs(gw.port);
    expect(paused).toBeGreaterThanOrEqual(95);
    expect(immediate).toBeLessThan(paused - 60);
  });
});
