import {
  claimTransactions,
  getBlob,
  getTransaction,
  listAttempts,
  listEvents,
  readBlob,
  releaseLeases,
} from '@koukan/db';
import { describe, expect, it } from 'vitest';
import { mailparserStatus } from '../notifications/testing/mailparser-status.ts';
import { useTestDatabase } from '../testing/database.ts';
import { makeSender, makeTransaction } from '../testing/fixtures.ts';
import { recordAttemptOutcome } from './record-outcome.ts';

const now = new Date('2030-05-01T12:00:00Z');
const { t, ctx } = useTestDatabase('system:engine', { now: () => now });
const OWNER = '11111111-1111-4111-8111-111111111111';
const dsn = { reportingMta: 'mx.koukan.test' };
const ok = { code: 250, message: '2.0.0 ok' };
const delivered = { mailResponse: ok, rcptResponse: [ok], dataResponse: ok };

async function claimOne(id: string) {
  const [c] = await claimTransactions(t.db, { owner: OWNER, leaseMs: 60_000, limit: 1, id });
  return c!;
}

type Input = Parameters<typeof recordAttemptOutcome>[0]['input'];
/** Records `verdict` for an attempt of `transactionId` held by OWNER; `extra` adds to the input. */
const record = (
  transactionId: string,
  attemptId: string,
  verdict: Input['verdict'],
  extra: Partial<Input> = {},
) =>
  recordAttemptOutcome({
    ctx,
    input: { transactionId, attemptId, owner: OWNER, verdict, dsn, ...extra },
  });

describe('recordAttemptOutcome', () => {
  it('persists a success as delivered with the responses and timeline', async () => {
    const s = await makeSender(t.db);
    const tx = await makeTransaction(t.db, s.id);
    const c = await claimOne(tx.id);
    const verdict = {
      upstreamHost: 'mx.example.net',
      mailResponse: ok,
      rcptResponse: [ok],
      dataResponse: { code: 250, message: '2.0.0 queued as X' },
      events: [{ type: 'chain_note', data: { filter: 'sink' } }],
    };
    const r = await record(tx.id, c.attempt.id, verdict);
    expect(r.written).toBe(true);
    const row = (await getTransaction(t.db, tx.id))!;
    expect(row).toMatchObject({
      status: 'delivered',
      finalAttemptReason: 'upstream_success',
      attemptCount: 1,
      leaseOwner: null,
      dataResponse: verdict.dataResponse,
      finishedAt: now,
      version: c.transaction.version + 1,
    });
    const [attempt] = await listAttempts(t.db, tx.id);
    expect(attempt).toMatchObject({
      number: 1,
      outcome: 'success',
      upstreamHost: 'mx.example.net',
    });
    expect((await listEvents(t.db, tx.id)).map((e) => e.type)).toEqual([
      'attempt_started',
      'responses',
      'chain_note',
      'attempt_finished',
      'final',
    ]);
  });

  it('schedules a temporary failure by the sender policy and the injected clock', async () => {
    const s = await makeSender(t.db, { retry: { schedule: ['1m', '5m'] } });
    const tx = await makeTransaction(t.db, s.id);
    const c = await claimOne(tx.id);
    const busy = { mailResponse: ok, rcptResponse: [{ code: 451, message: '4.2.0 busy' }] };
    await record(tx.id, c.attempt.id, busy, { senderRetry: s.retry });
    const row = (await getTransaction(t.db, tx.id))!;
    expect(row).toMatchObject({ status: 'queued', attemptCount: 1, finalAttemptReason: null });
    expect(row.nextAttemptAt).toEqual(new Date(now.getTime() + 60_000));
    const events = await listEvents(t.db, tx.id);
    expect(events.at(-1)).toMatchObject({ type: 'retry_scheduled', data: { delay_ms: 60_000 } });
  });

  it('writes nothing once the lease is lost', async () => {
    const s = await makeSender(t.db);
    const tx = await makeTransaction(t.db, s.id);
    const c = await claimOne(tx.id);
    await releaseLeases(t.db, { owner: OWNER, ids: [tx.id] });
    const before = (await getTransaction(t.db, tx.id))!;
    const r = await record(tx.id, c.attempt.id, delivered);
    expect(r).toEqual({ written: false });
    expect(await getTransaction(t.db, tx.id)).toEqual(before);
    expect((await listAttempts(t.db, tx.id))[0]).toMatchObject({ outcome: 'abandoned' });
  });

  it('does not let an attempt abandoned by a re-claim of the same owner write', async () => {
    const s = await makeSender(t.db);
    const tx = await makeTransaction(t.db, s.id);
    const first = await claimOne(tx.id);
    await t.pool.query(
      `update transactions set lease_expires_at = now() - interval '1 second' where id = $1`,
      [tx.id],
    );
    // The owner's own running attempt is excluded from its claims…
    expect(
      await claimTransactions(t.db, {
        owner: OWNER,
        leaseMs: 60_000,
        limit: 1,
        id: tx.id,
        exclude: [tx.id],
      }),
    ).toEqual([]);
    // …but were it re-claimed, the first attempt is closed and may no longer write.
    const second = await claimOne(tx.id);
    expect(second.abandoned?.id).toBe(first.attempt.id);
    const r = await record(tx.id, first.attempt.id, delivered);
    expect(r).toEqual({ written: false });
    expect((await listAttempts(t.db, tx.id)).map((a) => a.outcome)).toEqual(['abandoned', null]);
    expect((await getTransaction(t.db, tx.id))!.status).toBe('inflight');
  });

  it('turns a failure into cancelled when a cancel was requested during the attempt', async () => {
    const s = await makeSender(t.db, { notification: { enabled: true } });
    const tx = await makeTransaction(t.db, s.id, { cancelRequestedAt: now });
    const c = await claimOne(tx.id);
    const refused = { mailResponse: { code: 550, message: '5.7.1 no' } };
    const r = await record(tx.id, c.attempt.id, refused, { senderNotification: s.notification });
    expect(r).toMatchObject({ written: true, next: { status: 'cancelled', reason: 'cancelled' } });
    expect(r.written && r.dsn).toBeUndefined();
  });
});

async function failPermanently(
  senderOverrides: Parameters<typeof makeSender>[1],
  txOverrides: Parameters<typeof makeTransaction>[2] = {},
) {
  const s = await makeSender(t.db, senderOverrides);
  const tx = await makeTransaction(t.db, s.id, {
    rcptTo: [{ m: 'nobody@example.net' }],
    ...txOverrides,
  });
  const c = await claimOne(tx.id);
  const r = await recordAttemptOutcome({
    ctx,
    input: {
      transactionId: tx.id,
      attemptId: c.attempt.id,
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
