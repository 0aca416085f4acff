import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { smtpSource } from '../../../../bench/postfix.ts';
import { loadEnv } from '../env.ts';
import { type Inbound, MSA_KEY, MSA as msa, startInbound } from '../testing/inbound.ts';
import { RawSmtp } from '../testing/raw-smtp.ts';

/** Real SMTP clients from Debian: swaks and Postfix's smtp-source (apt-get install swaks postfix). */
const run = promisify(execFile);
const SWAKS = '/usr/bin/swaks';
const SMTP_SOURCE = '/usr/sbin/smtp-source';
// A machine without them skips these tests; CI installs them and sets KOUKAN_REQUIRE_SMTP_PEERS,
// so there a missing peer fails instead of skipping.
const required = Boolean(process.env.KOUKAN_REQUIRE_SMTP_PEERS);
const missing = (path: string) => !required && !existsSync(path);

let gw: Inbound;
afterEach(async () => {
  await gw?.stop();
});

/** swaks to the listener, to b@example.net, authenticating as `app` with `auth` when given. */
const swaks = (
  options: { from?: string; tls?: boolean; auth?: { mechanism: string; password: string } } = {},
) =>
  run(SWAKS, [
    ...['--server', `127.0.0.1:${gw.port}`, '--to', 'b@example.net'],
    ...(options.from ? ['--from', options.from] : []),
    ...(options.tls ? ['--tls'] : []),
    ...(options.auth ? ['--auth', options.auth.mechanism, '--auth-user', 'app'] : []),
    ...(options.auth ? ['--auth-password', options.auth.password] : []),
  ]);

describe.skipIf(missing(SWAKS))('swaks', () => {
  it('submits over STARTTLS with AUTH PLAIN and is refused with a wrong key', async () => {
    gw = await startInbound(msa);
    const from = 'a@example.org';
    const ok = await swaks({ from, tls: true, auth: { mechanism: 'PLAIN', password: MSA_KEY } });
    expect(ok.stdout).toMatch(/<~ {1,2}250 2\.0\.0 OK queued as t1/);
    const bad = swaks({ from, tls: true, auth: { mechanism: 'LOGIN', password: 'nope' } });
    await expect(bad).rejects.toMatchObject({ stdout: expect.stringMatching(/535 5\.7\.8/) });
  });

  it('gets no AUTH without TLS', async () => {
    gw = await startInbound(msa);
    const bad = swaks({ auth: { mechanism: 'PLAIN', password: MSA_KEY } });
    await expect(bad).rejects.toMatchObject({
      stderr: expect.stringMatching(/did not advertise authentication/),
    });
    expect(gw.router.txns.size).toBe(0);
  });
});

describe.skipIf(missing(SMTP_SOURCE))('smtp-source', () => {
  it('delivers 40 messages over 4 parallel reused sessions with 3 recipients each', async () => {
    gw = await startInbound();
    await smtpSource({
      port: gw.port,
      messages: 40,
      sessions: 4,
      reuse: true,
      recipients: 3,
      size: 2000,
      from: 'a@example.org',
      to: 'b@localhost',
    });
    const txns = [...gw.router.txns.values()];
    expect(txns).toHaveLength(40);
    for (const t of txns) {
      expect(t.bodyComplete).toBe(true);
      expect(t.rcpt_to).toHaveLength(3);
    }
  });
});

describe('PROXY protocol', () => {
  it('takes the client address from the PROXY header (per-client caps use it)', async () => {
    gw = await startInbound({ proxyProtocol: true, maxClientsPerIp: 1 });
    const open = async (ip: string) => {
      const c = await RawSmtp.open(gw.port);
      c.write(`PROXY TCP4 ${ip} 127.0.0.1 40000 25\r\n`);
      return { c, greeting: await c.reply() };
    };
    const a = await open('203.0.113.7');
    const b = await open('198.51.100.9');
    const again = await open('203.0.113.7');
    expect(a.greeting).toMatch(/^220 /);
    expect(b.greeting).toMatch(/^220 /);
    expect(again.greeting).toMatch(/^421 4\.7\.0 /);
    for (const x of [a, b, again]) x.c.close();
  });

  it('takes it only from the listed load balancers; anyone else is its socket address', async () => {
    gw = await startInbound({ proxyProtocol: ['127.0.0.9'], maxClientsPerIp: 1 });
    const balanced = await RawSmtp.open(gw.port, { localAddress: '127.0.0.9' });
    balanced.write('PROXY TCP4 203.0.113.7 127.0.0.1 40000 25\r\n');
    expect(await balanced.reply()).toMatch(/^220 /);
    const direct = await RawSmtp.open(gw.port, { localAddress: '127.0.0.2' });
    expect(await direct.reply()).toMatch(/^220 /); // no header expected: greeted at once
    direct.write('PROXY TCP4 198.51.100.9 127.0.0.1 40000 25\r\n');
    expect(await direct.reply()).toMatch(/^5\d\d /);
    // the per-client cap counts the direct client as 127.0.0.2, whatever it claimed
    const again = await RawSmtp.open(gw.port, { localAddress: '127.0.0.2' });
    expect(await again.reply()).toMatch(/^421 4\.7\.0 /);
    for (const c of [balanced, direct, again]) c.close();
  });

  it('KOUKAN_SMTP_PROXY_PROTOCOL: true, false, or addresses; anything else is named', () => {
    const parse = (v?: string) =>
      loadEnv({ KOUKAN_SMTP_PROXY_PROTOCOL: v }).KOUKAN_SMTP_PROXY_PROTOCOL;
    expect([parse(), parse('true'), parse('no')]).toEqual([false, true, false]);
    expect(parse('10.0.0.5, ::1')).toEqual(['10.0.0.5', '::1']);
    expect(() => parse('10.0.0.5,lb.example')).toThrow(
      'KOUKAN_SMTP_PROXY_PROTOCOL: "lb.example" is not an IP address',
    );
  });
});
