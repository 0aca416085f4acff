/** Shared helpers for this package's tests (not exported from the package). */
import { Writable } from 'node:stream';
import pino from 'pino';
import { bodyFromBuffer, streamToBuffer } from './body.ts';
import { type Chain, type ChainInput, validateChain } from './schemas.ts';
import type { ChainContext, ChainTransaction, SandboxStore } from './types.ts';

let seq = 0;

/** A pino logger writing JSON lines into `lines` (so tests can check what got logged). */
export function captureLogger(lines: string[] = []) {
  const dest = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, dest), lines };
}

export function testContext(extra: Partial<ChainContext> = {}): ChainContext & { lines: string[] } {
  const { logger, lines } = captureLogger();
  return { logger, hostname: 'mx.koukan.test', lines, ...extra };
}

export const simpleMessage = (
  from = 'alice@example.com',
  to = 'bob@example.net',
  body = 'Hello Bob.\r\n',
) =>
  [
    `From: Alice <${from}>`,
    `To: <${to}>`,
    'Subject: test message',
    'Date: Mon, 30 Nov 2026 10:00:00 +0000',
    `Message-ID: <test-${++seq}@example.com>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    body,
  ].join('\r\n');

export function testTx(
  over: Partial<ChainTransaction> & { message?: string } = {},
): ChainTransaction {
  const { message, ...rest } = over;
  return {
    id: `tx-${++seq}`,
    sender: 'submission',
    mail_from: { m: 'alice@example.com' },
    rcpt_to: [{ m: 'bob@example.net' }],
    body: bodyFromBuffer(message ?? simpleMessage()),
    ...rest,
  };
}

/** Validate a chain or fail the test with the errors. */
export function chainOf(input: ChainInput): Chain {
  const r = validateChain(input);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.chain;
}

/** A real in-memory implementation of the sandbox port: what it stored, in `stored`. */
export function memorySandbox() {
  const stored: { rcpt: string[]; body: string; mailbox?: string }[] = [];
  const store: SandboxStore = {
    async store(msg) {
      stored.push({
        rcpt: msg.rcpt_to.map((r) => r.m),
        body: (await streamToBuffer(msg.body)).toString(),
        ...(msg.mailbox ? { mailbox: msg.mailbox } : {}),
      });
      return { id: `sb-${stored.length}` };
    },
  };
  return { store, stored };
}
