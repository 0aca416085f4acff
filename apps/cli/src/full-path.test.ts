import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it as vitestIt } from 'vitest';
import { smtpSource } from '../../../bench/postfix.ts';
import { msaTransport, mxTransport } from '../../../bench/smtp-koukan.ts';
import { stackSuite } from './testing/stack.ts';

/**
 * The whole stack as `npm start` runs it — router with its engine and the exploder, gateway —
 * between a real SMTP client (nodemailer) and a real SMTP server (smtp-server) standing in for
 * the next hop, all on loopback: once on the embedded database (`npm start` without
 * configuration), once on a real PostgreSQL (`DATABASE_URL`; CI has one and refuses skips).
 */
const databases = [
  { name: 'embedded database', postgres: false },
  { name: 'PostgreSQL', postgres: true },
] as const;

describe.each(databases)(
  'SMTP client → gateway → router → gateway → SMTP server, on the $name',
  ({ postgres }) => {
    // On PostgreSQL, a fresh, empty database of its own: the stack migrates it as `npm start`
    // would.
    const { sink, stack } = stackSuite(
      { KOUKAN_SEED_API_KEY: 'kk_FullPath01_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB' },
      { db: postgres },
    );

    // Needs a PostgreSQL server; without DATABASE_URL (a machine with only Node.js) it is
    // skipped (and with all its tests skipped, so is the stack: vitest runs no hooks then).
    const ready = !postgres || Boolean(process.env.DATABASE_URL);
    const it = vitestIt.runIf(ready);

    it('MSA: three recipients; two delivered unchanged but for Received:, a DSN for the refused one', async () => {
      // smtp-msa's API key: the CLI can make one while the stack runs.
      // Through the running stack's embedded database (it announces itself in the data dir).
      const key = await stack.cli(['apikey', 'create', 'smtp-msa']);
      const client = msaTransport(stack.ports.msa, key);
      const raw = [
        'From: Alice <alice@example.com>',
        'To: bob@example.org, carol@example.org, refused@example.org',
        'Subject: full path ✓',
        'Message-ID: <full-path-1@example.com>',
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: 8bit',
        '',
        'Grüße über den ganzen Weg.',
        '.leading dot stays',
        '',
      ].join('\r\n');
      const info = await client.sendMail({
        envelope: {
          from: 'alice@example.com',
          to: ['bob@example.org', 'carol@example.org', 'refused@example.org'],
        },
        raw,
      });
      // MSA takes responsibility: every recipient accepted at RCPT, 250 at DATA (mixed outcome).
      expect(info.accepted.sort()).toEqual([
        'bob@example.org',
        'carol@example.org',
        'refused@example.org',
      ]);
      // Two deliveries, and a DSN to the sender for the refused recipient (through the smarthost).
      await expect.poll(() => sink.received.length, { timeout: 30_000 }).toBe(3);
      const dsn = sink.received.find((r) => r.to.includes('alice@example.com'));
      expect(dsn?.from).toBe('');
      expect(dsn?.body).toMatch(/Content-Type: multipart\/report; report-type=delivery-status/i);
      expect(dsn?.body).toMatch(/Final-Recipient: rfc822; ?refused@example.org/i);
      expect(dsn?.body).toMatch(/Status: 5\.1\.1/);
      const delivered = sink.received.filter((r) => r !== dsn);
      expect(delivered.flatMap((r) => r.to).sort()).toEqual([
        'bob@example.org',
        'carol@example.org',
      ]);
      for (const r of delivered) {
        expect(r.from).toBe('alice@example.com');
        // Identical apart from the Received: header the chain prepends.
        const [first, ...rest] = r.body.split('\r\n');
        expect(first).toMatch(/^Received: /);
        // The gateway's session facts reach the chain: client address, TLS and AUTH.
        const received = r.body.slice(0, r.body.indexOf('\r\n', r.body.indexOf(';')));
        expect(received).toContain('127.0.0.1');
        expect(received).toMatch(/ESMTPSA/);
        const afterReceived = rest.join('\r\n').replace(/^(?:[ \t].*\r\n)*/, '');
        expect(afterReceived).toBe(raw);
      }
    }, 120_000);

    it('MX: accepts mail for the local domain into the sandbox and refuses relaying', async () => {
      const mx = mxTransport(stack.ports.mx);
      const ok = await mx.sendMail({
        envelope: { from: 'someone@example.net', to: ['postmaster@localhost'] },
        raw: 'From: someone@example.net\r\nTo: postmaster@localhost\r\nSubject: hi\r\n\r\nhello\r\n',
      });
      expect(ok.response).toMatch(/^250 /);
      const relay = await mx
        .sendMail({
          envelope: { from: 'someone@example.net', to: ['victim@elsewhere.test'] },
          raw: 'Subject: relay?\r\n\r\nno\r\n',
        })
        .catch((e: { responseCode?: number }) => e);
      expect((relay as { responseCode?: number }).responseCode).toBe(550);
      expect(sink.received.length).toBe(3); // nothing relayed
      expect(stack.output()).not.toContain('kk_FullPath01');
    }, 60_000);

    // Debian's swaks and Postfix's smtp-source as the clients. CI installs them and sets
    // KOUKAN_REQUIRE_SMTP_PEERS, so there they must run; elsewhere, missing, this is skipped.
    const peers =
      Boolean(process.env.KOUKAN_REQUIRE_SMTP_PEERS) ||
      (existsSync('/usr/bin/swaks') && existsSync('/usr/sbin/smtp-source'));
    vitestIt.runIf(ready && peers)(
      'swaks submits through the MSA; smtp-source and swaks send through the MX',
      async () => {
        const run = promisify(execFile);
        const key = await stack.cli(['apikey', 'create', 'smtp-msa']);
        const before = sink.received.length;
        const swaks = await run('/usr/bin/swaks', [
          '--server',
          `127.0.0.1:${stack.ports.msa}`,
          '--tls',
          '--auth',
          'PLAIN',
          '--auth-user',
          'smtp-msa',
          '--auth-password',
          key,
          '--from',
          'swaks@example.com',
          '--to',
          'dave@example.org,erin@example.org',
          '--timeout',
          '60',
        ]);
        const transcript = `${swaks.stdout}${swaks.stderr}`;
        // The reply to the end of DATA is a 250 (the MSA takes responsibility).
        expect(transcript).toMatch(/ ~> \.\n<~ +250 /);
        await expect.poll(() => sink.received.length - before, { timeout: 30_000 }).toBe(2);
        expect(
          sink.received
            .slice(before)
            .flatMap((r) => r.to)
            .sort(),
        ).toEqual(['dave@example.org', 'erin@example.org']);

        // Ten messages over two reused MX sessions; each lands in the sandbox inbox.
        await smtpSource({
          port: stack.ports.mx,
          messages: 10,
          sessions: 2,
          reuse: true,
          from: 'source@example.net',
          to: 'postmaster@localhost',
        });
        // Delivered by the MX's output chain (into the sandbox), per envelope sender.
        const delivered = async (from: string) =>
          (
            await stack.query(
              `select count(*)::int as n from transactions t join senders s on s.id = t.sender_id
            where s.name = 'smtp-mx-output' and t.status = 'delivered' and t.mail_from->>'m' = $1`,
              [from],
            )
          )[0]?.n;
        await expect.poll(() => delivered('source@example.net'), { timeout: 30_000 }).toBe(10);

        // swaks as an MX client: local mail is taken (250), relaying refused at RCPT (550 5.7.1).
        const swaksMx = (to: string) =>
          run('/usr/bin/swaks', [
            ...['--server', `127.0.0.1:${stack.ports.mx}`, '--from', 'swaks-mx@example.net'],
            ...['--to', to, '--timeout', '60'],
          ]).catch((e: { stdout: string; stderr: string }) => e);
        const local = await swaksMx('postmaster@localhost');
        expect(`${local.stdout}${local.stderr}`).toMatch(/ -> \.\n<- +250 /);
        const relay = await swaksMx('victim@elsewhere.test');
        expect(`${relay.stdout}${relay.stderr}`).toMatch(
          / -> RCPT TO:<victim@elsewhere\.test>\n<\*\* +550 5\.7\.1 relaying denied/,
        );
        await expect.poll(() => delivered('swaks-mx@example.net'), { timeout: 30_000 }).toBe(1);
      },
      120_000,
    );
  },
);
