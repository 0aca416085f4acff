import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { mxTransport } from '../../../bench/smtp-koukan.ts';
import type { Sink } from '../../gateway/src/testing/sink.ts';
import { cleanEnv, nextHop, repoRoot, stackSuite } from './testing/stack.ts';

/**
 * Inbound mail (MX) with the default configuration pointed elsewhere than the sandbox:
 * KOUKAN_INBOUND_URL → the example receiving application (examples/receiver, its real main.ts,
 * whose stdout is checked), KOUKAN_INBOUND_LMTP → a real LMTP server (smtp-server in LMTP mode).
 * Real SMTP client, the whole stack as `npm start` runs it, all on loopback.
 */
const raw = [
  'From: Sender <someone@example.net>',
  'To: postmaster@localhost',
  'Subject: inbound ✓',
  'Message-ID: <inbound-1@example.net>',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=utf-8',
  'Content-Transfer-Encoding: 8bit',
  '',
  'Für die Anwendung.',
  '',
].join('\r\n');

async function sendToMx(port: number): Promise<string> {
  const info = await mxTransport(port).sendMail({
    envelope: { from: 'someone@example.net', to: ['postmaster@localhost'] },
    raw,
  });
  return info.response;
}

describe('MX → KOUKAN_INBOUND_URL → the example receiver', () => {
  const token = 'inbound-test-token-abcdefghijkl';
  let receiver: ChildProcess | undefined;
  let printed = '';
  const { sink, stack } = stackSuite(async () => {
    const started = spawn(process.execPath, ['--import', 'tsx', 'examples/receiver/src/main.ts'], {
      cwd: repoRoot,
      env: { ...cleanEnv(), RECEIVER_PORT: '0', RECEIVER_TOKEN: token },
    });
    receiver = started;
    started.stdout.on('data', (d) => {
      printed += d;
    });
    // Ready once it says where it listens (on stderr), or failed if it exits first.
    const port = await new Promise<string>((resolve, reject) => {
      let said = '';
      started.stderr.on('data', (d) => {
        said += d;
        const m = /receiver listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(said);
        if (m) resolve(m[1]!);
      });
      started.on('exit', (code) => reject(new Error(`receiver exited ${code}: ${said}`)));
    });
    return { KOUKAN_INBOUND_URL: `http://127.0.0.1:${port}`, KOUKAN_INBOUND_TOKEN: token };
  });
  afterAll(() => void receiver?.kill('SIGTERM'));

  it('prints the message as parsed JSON', async () => {
    expect(await sendToMx(stack.ports.mx)).toMatch(/^250 /);
    await expect.poll(() => printed, { timeout: 60_000 }).toContain('\n');
    const lines = printed.trim().split('\n');
    expect(lines).toHaveLength(1);
    const got = JSON.parse(lines[0]!);
    expect(got).toMatchObject({
      sender: 'inbound',
      mail_from: 'someone@example.net',
      rcpt_to: ['postmaster@localhost'],
      message: {
        subject: 'inbound ✓',
        message_id: '<inbound-1@example.net>',
        from: [{ address: 'someone@example.net', name: 'Sender' }],
        text: 'Für die Anwendung.\n',
      },
    });
    // The MX output chain's trace header is there, in the parsed headers.
    expect(got.message.headers.received?.length).toBeGreaterThanOrEqual(1);
    expect(sink.received).toHaveLength(0);
  });
});

describe('MX → KOUKAN_INBOUND_LMTP → an LMTP server', () => {
  let lmtp: Sink | undefined;
  const { sink, stack } = stackSuite(async () => {
    lmtp = await nextHop({ lmtp: true }).start();
    return { KOUKAN_INBOUND_LMTP: `127.0.0.1:${lmtp.port}` };
  });
  afterAll(() => lmtp?.close());

  it('delivers over LMTP through the gateway', async () => {
    expect(await sendToMx(stack.ports.mx)).toMatch(/^250 /);
    const delivered = lmtp!.received;
    await expect.poll(() => delivered.length, { timeout: 60_000 }).toBe(1);
    expect(delivered[0]!.to).toEqual(['postmaster@localhost']);
    // The MX output chain's trace headers (received_header, auth_check) come first.
    expect(delivered[0]!.body).toMatch(/^(?:[^\r\n]+\r\n)*Received: from /);
    expect(delivered[0]!.body).toContain('Für die Anwendung.');
    expect(delivered[0]!.body.endsWith(raw.slice(raw.indexOf('From: ')))).toBe(true);
    expect(sink.received).toHaveLength(0);
  });
});
