import { claimTransactions, getBlob, getTransaction, listEvents, readBlob } from '@koukan/db';
import { describe, expect, it } from 'vitest';
import { recordAttemptOutcome } from '../delivery/record-outcome.ts';
import { useTestDatabase } from '../testing/database.ts';
import { makeSender, makeTransaction } from '../testing/fixtures.ts';
import { mailparserStatus } from './testing/mailparser-status.ts';

const now = new Date('2030-05-01T12:00:00Z');
const { t, ctx } = useTestDatabase('system:engine', { now: () => now });
const OWNER = '22222222-2222-4222-8222-222222222222';
const dsn = { reportingMta: 'mx.koukan.test' };

async function failPermanently(
  senderOverrides: Parameters<typeof makeSender>[1],
  txOverrides: Parameters<typeof makeTransaction>[2] = {},
) {
  const s = await makeSender(t.db, senderOverrides);
  const tx = await makeTransaction(t.db, s.id, {
    rcptTo: [{ m: 'nobody@example.net' }],
    ...txOverrides,
  });
  const [c] = await claimTransactions(t.db, { owner: OWNER, leaseMs: 60_000, limit: 1, id: tx.id });
  const r = await recordAttemptOutcome({
    ctx,
    input: {
      transactionId: tx.id,
      attemptId: c!.attempt.id,
      owner: OWNER,
      verdict: {
        upstreamHost: 'mx.example.net',
        mailResponse: { code: 250, enhanced: '2.1.0', message: 'ok' },
        rcptResponse: [
          { code: 550, enhanced: '5.1.1', message: '<nobody@example.net>: no such user' },
        ],
      },
      senderRetry: s.retry,
      senderNotification: s.notification,
      dsn,
    },
  });
  if (!r.written) throw new Error('not written');
  return { sender: s, tx, result: r };
}

describe('DSN on permanent failure', () => {
  it('stores an RFC 3464 report as a due transaction of the notification sender', async () => {
    const bounces = await makeSender(t.db);
    const { tx, result } = await failPermanently({
      notification: {
        enabled: true,
        sender: bounces.name,
        mailer_daemon: 'MAILER-DAEMON@koukan.test',
      },
    });
    expect(result.next).toEqual({ status: 'failed', reason: 'upstream_permanent_failure_rcpt' });
    expect(result.dsn).toMatchObject({ created: true });
    const dsnId = result.dsn?.created ? result.dsn.dsnId : '';
    const d = (await getTransaction(t.db, dsnId))!;
    expect(d).toMatchObject({
      senderId: bounces.id,
      status: 'queued',
      parentId: tx.id,
      mailFrom: { m: '' },
      rcptTo: [{ m: 'alice@example.com' }],
      metadata: { dsn_for: tx.id },
      nextAttemptAt: now,
    });
    expect(await getBlob(t.db, d.bodyBlobId!)).toMatchObject({ status: 'finalized', refCount: 1 });
    const events = await listEvents(t.db, tx.id);
    expect(events.at(-1)).toMatchObject({ type: 'dsn_sent', data: { dsn_id: dsnId } });

    const raw = await readBlob(t.db, d.bodyBlobId!);
    const { mail, byType, blocks } = await mailparserStatus(raw);
    expect(mail.from?.value).toEqual([
      { address: 'MAILER-DAEMON@koukan.test', name: 'Mail Delivery System' },
    ]);
    expect(mail.to && !Array.isArray(mail.to) && mail.to.value[0]?.address).toBe(
      'alice@example.com',
    );
    const ct = mail.headers.get('content-type') as {
      value: string;
      params: Record<string, string>;
    };
    expect(ct.value).toBe('multipart/report');
    expect(ct.params['report-type']).toBe('delivery-status');
    expect(mail.text).toContain('<nobody@example.net>: 550 5.1.1');
    expect(byType.get('message/delivery-status')).toBeDefined();
    expect(Object.assign({}, ...blocks)).toMatchObject({
      'Reporting-MTA': 'dns; mx.koukan.test',
      'Final-Recipient': 'rfc822; nobody@example.net',
      Action: 'failed',
      Status: '5.1.1',
      'Diagnostic-Code': 'smtp; 550 5.1.1 <nobody@example.net>: no such user',
    });
    const headers = byType.get('text/rfc822-headers');
    expect(headers).toContain('Subject: Quarterly report');
    expect(headers).toContain('Message-ID: <q3-report@example.com>');
    expect(headers).not.toContain('The numbers are in.');
  });

  it('is never sent for a null reverse path, a DSN, or when disabled', async () => {
    const policy = { notification: { enabled: true } };
    const nullPath = await failPermanently(policy, { mailFrom: { m: '' } });
    expect(nullPath.result.dsn).toEqual({ created: false, reason: 'null_reverse_path' });
    const forDsn = await failPermanently(policy, { metadata: { dsn_for: nullPath.tx.id } });
    expect(forDsn.result.dsn).toEqual({ created: false, reason: 'dsn_for_dsn' });
    const off = await failPermanently({ notification: { enabled: false } });
    expect(off.result.dsn).toBeUndefined();
    // The transaction's own policy wins over its sender's.
    const own = await failPermanently(
      { notification: { enabled: false } },
      { notification: { enabled: true } },
    );
    expect(own.result.dsn).toMatchObject({ created: true });
  });
});
