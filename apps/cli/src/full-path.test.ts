import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createDb } from '@koukan/db';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The whole stack as `npm start` runs it — embedded database, router with its engine and the
 * exploder, gateway — between a real SMTP client (nodemailer) and a real SMTP server
 * (smtp-server) standing in for the next hop, all on loopback.
 */
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function withoutDatabaseUrl(): NodeJS.ProcessEnv {
  const { DATABASE_URL: _omit, ...env } = process.env;
  return env;
}

interface Received {
  from: string;
  to: string[];
  data: string;
}

/** The next hop: refuses `refused@…` at RCPT, keeps everything else. */
async function startSink() {
  const received: Received[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onRcptTo(address, _session, cb) {
      if (address.address.startsWith('refused@')) {
        const err = new Error('5.1.1 no such user') as Error & { responseCode: number };
        err.responseCode = 550;
        return cb(err);
      }
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          data: Buffer.concat(chunks).toString(),
        });
        cb();
      });
    },
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { port, received, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('SMTP client → gateway → router → gateway → SMTP server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'koukan-full-'));
  let sink: Awaited<ReturnType<typeof startSink>>;
  let stack: ChildProcess;
  let output = '';
  const ports: Record<string, number> = {};

  beforeAll(async () => {
    sink = await startSink();
    for (const name of ['router', 'gateway', 'mx', 'msa']) ports[name] = await freePort();
    const { KOUKAN_CONFIG: _c, ...env } = withoutDatabaseUrl();
    stack = spawn(process.execPath, ['--import', 'tsx', 'apps/cli/src/main.ts', 'start'], {
      cwd: repoRoot,
      env: {
        ...env,
        KOUKAN_DATA_DIR: join(dir, 'data'),
        KOUKAN_EMBEDDED_DB_PORT: '0',
        KOUKAN_ROUTER_PORT: String(ports.router),
        KOUKAN_GATEWAY_PORT: String(ports.gateway),
        KOUKAN_SMTP_MX_PORT: String(ports.mx),
        KOUKAN_SMTP_MSA_PORT: String(ports.msa),
        KOUKAN_SMARTHOST: `127.0.0.1:${sink.port}`,
        KOUKAN_SEED_API_KEY: 'kk_FullPath01_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB',
        LOG_LEVEL: 'warn',
      },
    });
    stack.stdout?.on('data', (d) => {
      output += d;
    });
    stack.stderr?.on('data', (d) => {
      output += d;
    });
    // Ready when the router answers /readyz and the MSA greets (expect.poll is for tests only).
    const deadline = Date.now() + 90_000;
    for (;;) {
      const ready = await fetch(`http://127.0.0.1:${ports.router}/readyz`).catch(() => null);
      const msa = nodemailer.createTransport({
        host: '127.0.0.1',
        port: ports.msa,
        secure: false,
        tls: { rejectUnauthorized: false },
      });
      const greets = await msa.verify().then(
        () => true,
        (e: { code?: string }) => e.code === 'EAUTH' || e.code === 'ENOAUTH',
      );
      if (ready?.ok && greets) break;
      if (Date.now() > deadline || stack.exitCode !== null) {
        throw new Error(`the stack did not come up:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }, 120_000);

  afterAll(async () => {
    if (stack && stack.exitCode === null) {
      await new Promise((resolve) => {
        stack.on('exit', resolve);
        stack.kill('SIGTERM');
      });
    }
    await sink?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('MSA: three recipients; two delivered unchanged but for Received:, a DSN for the refused one', async () => {
    // smtp-msa's API key: the CLI can make one while the stack runs.
    const { execFileSync } = await import('node:child_process');
    const key = execFileSync(
      process.execPath,
      ['--import', 'tsx', 'apps/cli/src/main.ts', 'apikey', 'create', 'smtp-msa'],
      {
        cwd: repoRoot,
        // Through the running stack's embedded database (it announces itself in the data dir).
        env: { ...withoutDatabaseUrl(), KOUKAN_DATA_DIR: join(dir, 'data') },
      },
    )
      .toString()
      .trim();
    const client = nodemailer.createTransport({
      host: '127.0.0.1',
      port: ports.msa,
      secure: false,
      requireTLS: true,
      tls: { rejectUnauthorized: false },
      auth: { user: 'smtp-msa', pass: key },
    });
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
    expect(dsn?.data).toMatch(/Content-Type: multipart\/report; report-type=delivery-status/i);
    expect(dsn?.data).toMatch(/Final-Recipient: rfc822; ?refused@example.org/i);
    expect(dsn?.data).toMatch(/Status: 5\.1\.1/);
    const delivered = sink.received.filter((r) => r !== dsn);
    expect(delivered.flatMap((r) => r.to).sort()).toEqual(['bob@example.org', 'carol@example.org']);
    for (const r of delivered) {
      expect(r.from).toBe('alice@example.com');
      // Identical apart from the Received: header the chain prepends.
      const [first, ...rest] = r.data.split('\r\n');
      expect(first).toMatch(/^Received: /);
      // The gateway's session facts reach the chain: client address, TLS and AUTH.
      const received = r.data.slice(0, r.data.indexOf('\r\n', r.data.indexOf(';')));
      expect(received).toContain('127.0.0.1');
      expect(received).toMatch(/ESMTPSA/);
      const afterReceived = rest.join('\r\n').replace(/^(?:[ \t].*\r\n)*/, '');
      expect(afterReceived).toBe(raw);
    }
  }, 120_000);

  it('MX: accepts mail for the local domain into the sandbox and refuses relaying', async () => {
    const mx = nodemailer.createTransport({
      host: '127.0.0.1',
      port: ports.mx,
      secure: false,
      ignoreTLS: true,
    });
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
    expect(output).not.toContain('kk_FullPath01');
  }, 60_000);

  // Debian's swaks and Postfix's smtp-source as the clients. CI installs them and sets
  // KOUKAN_REQUIRE_SMTP_PEERS, so there they must run; elsewhere, missing, this is skipped.
  const peers =
    Boolean(process.env.KOUKAN_REQUIRE_SMTP_PEERS) ||
    (existsSync('/usr/bin/swaks') && existsSync('/usr/sbin/smtp-source'));
  it.runIf(peers)(
    'swaks submits through the MSA and smtp-source through the MX',
    async () => {
      const run = promisify(execFile);
      const key = (
        await run(
          process.execPath,
          ['--import', 'tsx', 'apps/cli/src/main.ts', 'apikey', 'create', 'smtp-msa'],
          {
            cwd: repoRoot,
            env: { ...withoutDatabaseUrl(), KOUKAN_DATA_DIR: join(dir, 'data') },
          },
        )
      ).stdout.trim();
      const before = sink.received.length;
      const swaks = await run('/usr/bin/swaks', [
        '--server',
        `127.0.0.1:${ports.msa}`,
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
      await run('/usr/sbin/smtp-source', [
        '-c',
        '-d',
        '-s',
        '2',
        '-m',
        '10',
        '-f',
        'source@example.net',
        '-t',
        'postmaster@localhost',
        `127.0.0.1:${ports.mx}`,
      ]);
      const url = /(postgres:\/\/\S+)/.exec(output)?.[1];
      const db = createDb({ url: url!, poolSize: 1 });
      try {
        await expect
          .poll(
            async () =>
              (
                await db.pool.query(
                  `select count(*)::int as n from transactions t join senders s on s.id = t.sender_id
                  where s.name = 'smtp-mx-output' and t.status = 'delivered'
                    and t.mail_from->>'m' = 'source@example.net'`,
                )
              ).rows[0].n,
            { timeout: 30_000 },
          )
          .toBe(10);
      } finally {
        await db.close();
      }
    },
    120_000,
  );
});
