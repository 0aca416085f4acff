import { createTransport } from 'nodemailer';
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

let gw: Inbound;
afterEach(() => gw?.stop());

/** nodemailer submitting to the listener with STARTTLS and AUTH as `app` with `pass`. */
const submitter = (pass: string, method?: string) =>
  createTransport({
    host: '127.0.0.1',
    port: gw.port,
    requireTLS: true,
    tls: { rejectUnauthorized: false },
    auth: { user: 'app', pass, method },
  });

describe('MSA listener', () => {
  it('hides AUTH until STARTTLS and wants AUTH before MAIL', async () => {
    gw = await startInbound(msa);
    const c = await RawSmtp.open(gw.port);
    await c.reply();
    const ehlo = await c.cmd('EHLO client.test');
    expect(ehlo).toContain('STARTTLS');
    expect(ehlo).not.toContain('AUTH');
    expect(await c.cmd(`AUTH PLAIN ${plain('app', MSA_KEY)}`)).toMatch(/^5\d\d /);
    expect(await c.cmd('MAIL FROM:<a@example.org>')).toBe('530 5.7.0 Authentication required');
    await c.starttls();
    const secure = await c.cmd('EHLO client.test');
    expect(secure).toContain('AUTH PLAIN LOGIN');
    expect(await c.cmd('MAIL FROM:<a@example.org>')).toMatch(/^530 /);
    expect(await c.cmd(`AUTH PLAIN ${plain('app', 'wrong-key')}`)).toBe(
      '535 5.7.8 Authentication credentials invalid',
    );
    expect(await c.cmd(`AUTH PLAIN ${plain('app', MSA_KEY)}`)).toMatch(/^235 /);
    expect(await c.cmd('MAIL FROM:<a@example.org>')).toMatch(/^250 /);
    expect(gw.router.txns.size).toBe(0); // MAIL stores nothing
    expect(await c.cmd('RCPT TO:<b@example.net>')).toMatch(/^250 /);
    expect(gw.router.sole().sender).toBe('app');
    // the AUTH check creates nothing: GET /v1/senders/{sender}/smtp-submission
    const calls = gw.router.log.map((l) => `${l.method} ${l.url}`);
    expect(calls.filter((l) => l === 'GET /v1/senders/app/smtp-submission')).toHaveLength(2);
    expect(calls.filter((l) => l === 'POST /v1/senders/app/transactions')).toHaveLength(1);
    expect(gw.router.sole().heartbeats).toBe(0);
    c.close();
  });

  it('submits with a nodemailer client (STARTTLS, AUTH LOGIN), the key as bearer', async () => {
    gw = await startInbound(msa);
    const transport = submitter(MSA_KEY, 'LOGIN');
    const info = await transport.sendMail({
      from: 'a@example.org',
      to: ['b@example.net', 'c@example.net'],
      subject: 'submission',
      text: 'hello ünïcode',
    });
    expect(info.accepted).toHaveLength(2);
    const t = gw.router.sole();
    expect(t.sender).toBe('app');
    expect(Buffer.concat(t.body).toString()).toContain('Subject: submission');
    transport.close();
  });

  it('refuses bad credentials with 535 5.7.8 (nodemailer)', async () => {
    gw = await startInbound(msa);
    const transport = submitter('not-a-key');
    await expect(
      transport.sendMail({ from: 'a@example.org', to: 'b@example.net', text: 'x' }),
    ).rejects.toMatchObject({ responseCode: 535 });
    expect(gw.router.txns.size).toBe(0);
  });

  it('closes the connection after three failed AUTH attempts', async () => {
    gw = await startInbound(msa);
    const c = await session(gw.port, { tls: true });
    expect(await c.cmd(`AUTH PLAIN ${plain('app', 'guess-1')}`)).toMatch(/^535 /);
    expect(await c.cmd(`AUTH PLAIN ${plain('app', 'guess-2')}`)).toMatch(/^535 /);
    expect(await c.cmd(`AUTH PLAIN ${plain('app', 'guess-3')}`)).toMatch(/^421 4\.7\.0 /);
    expect(await c.reply()).toBe('');
  });

  it('says 454 when the router cannot check credentials', async () => {
    gw = await startInbound(msa);
    const c = await session(gw.port, { tls: true });
    await gw.router.close();
    expect(await c.cmd(`AUTH PLAIN ${plain('app', MSA_KEY)}`)).toMatch(/^454 4\.7\.0 /);
    c.close();
  });

  it('serves implicit TLS (465)', async () => {
    gw = await startInbound({ ...msa, name: 'smtps', implicitTls: true });
    const c = await RawSmtp.open(gw.port, { tls: true });
    expect(await c.reply()).toMatch(/^220 /);
    expect(c.encrypted).toBe(true);
    const ehlo = await c.cmd('EHLO client.test');
    expect(ehlo).toContain('AUTH PLAIN LOGIN');
    expect(ehlo).not.toContain('STARTTLS');
    expect(await c.cmd(`AUTH PLAIN ${plain('app', MSA_KEY)}`)).toMatch(/^235 /);
    c.close();
  });
});
